import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CELEBA } from '../../../core/graph/attributes';
import { type Project, loadProject } from '../../../core/graph';
import type { Graph } from '../../../core/graph/graph';
import { createModule, moduleWeightCount } from '../../../core/modules/create';
import { RunError, runGraph } from '../../../core/runtime/executor';
import { memoryBudget, systemBudget } from '../../../core/runtime/memory-budget';
import { type ModuleSpec, checkMemory, estimateInference, estimateTraining, formatBytes } from '../../../core/runtime/memory-estimate';
import { checkTrainingMemory, trainingModules, trainingTerms } from '../../../core/train/memory';
import { buildTrainModel, disposeModel } from '../../../core/train/model';
import { type TrainSettings, Trainer } from '../../../core/train/trainer';
import { oneHotRows, useCpuBackend } from '../../helpers/tf';

// The memory estimate against measured figures: tf.profile's peak tensor bytes of real
// training steps and of an E -> T -> R pass on the cpu backend (within a factor of 2), and
// the standard training iteration measured on this project's machines. Then the checks
// built on it: refusals name the setting to change.

beforeAll(useCpuBackend);

const groups = [CELEBA.hair, CELEBA.male, CELEBA.smiling];
const GB = 1e9;

function translationGraph(b: number, rb: number, transformers: number): Graph {
  return {
    nodes: [
      { id: 'E', kind: 'encoder', params: { imageSize: 0, baseChannels: b } },
      ...groups.slice(0, transformers).map((g, i) => ({ id: `T${i}`, kind: 'transformer', params: { baseChannels: b, resBlocks: rb, attributes: [g] } })),
      { id: 'R', kind: 'reconstructor', params: { imageSize: 0, baseChannels: b } },
    ],
    edges: [],
  } as Graph;
}

/** Peak tensor bytes of one training step (after a first one has set up Adam's state). */
async function measuredStep(size: number, b: number, rb: number, transformers: number, batch: number, sharedDiscriminator = false, extra: Partial<TrainSettings> = {}) {
  const model = await buildTrainModel(translationGraph(b, rb, transformers), { mode: 'translation', imageSize: size, datasetGroups: groups, seed: 0, baseDir: '.', sharedDiscriminator });
  const cfg: TrainSettings = { iterations: 10, batchSize: batch, learningRate: 1e-4, beta1: 0.5, beta2: 0.999, nCritic: 1, lambdaGp: 10, lambdaCls: 1, lambdaRec: 10, lambdaCyc: 10, seed: 0, frozen: [], ...extra };
  const trainer = new Trainer(model, cfg);
  const images = new Float32Array(batch * size * size * 3).map((_, i) => Math.sin(i));
  const labels = new Float32Array(batch * 5);
  trainer.step(0, { index: 0, size: batch, images, labels });
  const held = tf.memory().numBytes;
  const profile = await tf.profile(() => void trainer.step(1, { index: 1, size: batch, images, labels }));
  const estimate = estimateTraining(trainingModules(model, size), batch, { terms: trainingTerms(cfg) });
  trainer.dispose();
  disposeModel(model);
  return { measured: held + profile.peakBytes, estimate: estimate.bytes };
}

describe('memory estimate against measurements', () => {
  it('is within a factor of 2 of a training step on the cpu backend', async () => {
    for (const [size, b, rb, t, batch] of [
      [16, 4, 0, 1, 2],
      [32, 4, 1, 1, 2],
    ] as const) {
      const { measured, estimate } = await measuredStep(size, b, rb, t, batch);
      expect(measured / estimate, `${size} px, base ${b}, batch ${batch}`).toBeGreaterThan(0.5);
      expect(measured / estimate).toBeLessThan(2);
    }
  });

  // Each optional term puts more passes on a tape (lambdaUnmasked also a third batch on D's):
  // with them all on, a step holds about twice what a plain one does, and so must the estimate.
  it('grows with the optional terms as a measured step does', async () => {
    const extra = { lambdaChain: 1, chainProbability: 0.5, lambdaIdentity: 10, lambdaRoundTrip: 10, lambdaUnmasked: 1 };
    for (const shared of [false, true]) {
      const plain = await measuredStep(16, 4, 0, 3, 2, shared);
      const all = await measuredStep(16, 4, 0, 3, 2, shared, extra);
      expect(all.measured / all.estimate, `shared D: ${shared}`).toBeGreaterThan(0.5);
      expect(all.measured / all.estimate, `shared D: ${shared}`).toBeLessThan(2);
      const growth = all.estimate / plain.estimate / (all.measured / plain.measured);
      expect(growth, `shared D: ${shared}`).toBeGreaterThan(0.75);
      expect(growth, `shared D: ${shared}`).toBeLessThan(1.33);
    }
  });

  it('is within a factor of 2 of a training step with one D shared by three transformers', async () => {
    const { measured, estimate } = await measuredStep(16, 4, 0, 3, 2, true);
    expect(measured / estimate).toBeGreaterThan(0.5);
    expect(measured / estimate).toBeLessThan(2);
  });

  it('is within a factor of 2 of an E -> T -> R pass on the cpu backend', async () => {
    const size = 32;
    const batch = 4;
    const hair = [CELEBA.hair];
    const e = createModule('encoder', { imageSize: size, baseChannels: 8 }, 1);
    const t = createModule('transformer', { baseChannels: 8, resBlocks: 2, attributes: hair }, 2);
    const r = createModule('reconstructor', { imageSize: size, baseChannels: 8 }, 3);
    const weights = (m: { variables: Record<string, tf.Variable> }) => Object.values(m.variables).reduce((n, v) => n + v.size, 0);
    const image = tf.randomUniform([batch, size, size, 3], -1, 1) as tf.Tensor4D;
    const condition = oneHotRows(batch, 3);
    const before = tf.memory().numBytes;
    const profile = await tf.profile(() => {
      // As the tfjs engine runs a plan: each module's outputs are kept for the batch.
      const f = (e as never as { apply(i: unknown): { feature: tf.Tensor4D } }).apply({ image }).feature;
      const ft = (t as never as { apply(i: unknown): { feature: tf.Tensor4D; mask: tf.Tensor4D } }).apply({ feature: f, condition });
      const out = (r as never as { apply(i: unknown): { image: tf.Tensor4D } }).apply({ feature: ft.feature }).image;
      tf.dispose([f, ft.feature, ft.mask, out]);
    });
    const specs: ModuleSpec[] = [
      { id: 'E', kind: 'encoder', params: e.params, side: size, weights: weights(e) },
      { id: 'T', kind: 'transformer', params: t.params, side: size / 4, weights: weights(t) },
      { id: 'R', kind: 'reconstructor', params: r.params, side: size / 4, weights: weights(r) },
    ];
    const estimate = estimateInference(specs, batch);
    // The run holds its weights (counted twice in the estimate: the engine's copy) besides the pass.
    const measured = before + profile.peakBytes;
    expect(measured / estimate.bytes).toBeGreaterThan(0.5);
    expect(measured / estimate.bytes).toBeLessThan(2);
    expect(estimate.largest).toBe('E');
    tf.dispose([image, condition]);
    for (const m of [e, t, r]) m.dispose();
  });

  // The standard iteration (64 px, base 32, 3 transformers × 3 residual blocks, 3 D × 5
  // layers, batch 16), measured once on this project's 2-core machine with
  // `npx tsx scripts/measure-train-memory.ts wasm|native 64 32 3 3 16`:
  // wasm: heap 3.80 GB, peak tensor bytes 4.14 GB; native (fused norm): peak tensor bytes 1.71 GB.
  const b = 32;
  const c = 4 * b;
  const hair = { name: 'hair', kind: 'onehot', values: ['black', 'blond', 'brown'] };
  let dWeights = 9 * b * 16 + 4 * b * 16 * 3;
  for (let i = 0; i < 5; i++) dWeights += 16 * (i ? b * 2 ** (i - 1) : 3) * b * 2 ** i;
  const standard = {
    mode: 'translation' as const,
    base: { id: 'E', kind: 'encoder' as const, params: { baseChannels: b, resBlocks: 0 }, side: 64, weights: 49 * 3 * b + 16 * b * 2 * b + 16 * 2 * b * c },
    transformers: [0, 1, 2].map((i) => ({ id: `T${i}`, kind: 'transformer' as const, params: { baseChannels: b, resBlocks: 3, attributes: [hair], useMask: true }, side: 16, weights: 9 * (c + 3) * c + 6 * 9 * c * c + 49 * c })),
    reconstructor: { id: 'R', kind: 'reconstructor' as const, params: { baseChannels: b }, side: 16, weights: 16 * c * 2 * b + 16 * 2 * b * b + 49 * b * 3 },
    discriminators: [0, 1, 2].map((i) => ({ id: `D${i}`, kind: 'discriminator' as const, params: { baseChannels: b, depth: 5, attributes: [hair] }, side: 64, weights: dWeights })),
  };

  it('is within a factor of 2 of the standard iteration measured on wasm and native', () => {
    const wasm = estimateTraining(standard, 16).bytes;
    const native = estimateTraining(standard, 16, { fusedNorm: true }).bytes;
    for (const [measured, estimate] of [
      [3.8 * GB, wasm],
      [4.14 * GB, wasm],
      [1.71 * GB, native],
    ] as const) {
      expect(measured / estimate).toBeGreaterThan(0.5);
      expect(measured / estimate).toBeLessThan(2);
    }
  });

  it('lets batch 16 run on wasm with a warning, and refuses batch 32 there, as measured', () => {
    const wasm = memoryBudget('wasm', 20 * GB)!;
    expect(wasm.bytes).toBe(4 * 1024 ** 3);
    const v16 = checkMemory(estimateTraining(standard, 16), wasm, 'Training at batch size 16 and 64 px', 'lower the batch size');
    expect(v16).toMatchObject({ ok: true, warning: expect.stringMatching(/may run out of memory/) });
    const v32 = checkMemory(estimateTraining(standard, 32), wasm, 'Training at batch size 32 and 64 px', 'lower the batch size in the training settings');
    expect(v32).toEqual({
      ok: false,
      message: expect.stringMatching(/^Training at batch size 32 and 64 px needs about \d+(\.\d)? GB \(\d+ MB for weights, \d+(\.\d)? GB for activations\); the wasm backend can address at most 4\.3 GB\. Most of it is activations, the largest in 'T0' — lower the batch size in the training settings\.$/),
    });
    // Natively, with the machine's free memory, batch 32 fits.
    expect(checkMemory(estimateTraining(standard, 32, { fusedNorm: true }), memoryBudget('native', 20 * GB), 'x', 'y')).toEqual({ ok: true });
  });
});

describe('weights counted from parameters', () => {
  it('equal what the built module holds, for every module kind', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['encoder', { imageSize: 32, baseChannels: 8, resBlocks: 2 }],
      ['generator', { imageSize: 64, baseChannels: 4, noiseLength: 8, attributes: [CELEBA.hair] }],
      ['transformer', { baseChannels: 4, resBlocks: 3, attributes: [CELEBA.hair, CELEBA.male], useMask: true }],
      ['transformer', { baseChannels: 4, resBlocks: 0, attributes: [CELEBA.smiling], useMask: false }],
      ['reconstructor', { imageSize: 32, baseChannels: 8, resBlocks: 2 }],
      ['discriminator', { imageSize: 32, baseChannels: 4, depth: 3, attributes: [CELEBA.hair] }],
    ];
    for (const [kind, params] of cases) {
      const m = createModule(kind, params, 1);
      expect(moduleWeightCount(kind, params), kind).toBe(Object.values(m.variables).reduce((n, v) => n + v.size, 0));
      m.dispose();
    }
    // Out of range: refused as building it would be, without building it.
    expect(() => moduleWeightCount('transformer', { baseChannels: 4, resBlocks: 33 })).toThrow(/Residual blocks/);
  });
});

describe('memory checks', () => {
  it('says how much is needed and what the machine has', () => {
    expect(formatBytes(31.2e9)).toBe('31 GB');
    expect(formatBytes(2.26e9)).toBe('2.3 GB');
    expect(formatBytes(5e8)).toBe('500 MB');
    expect(memoryBudget('cpu', 22e9)).toEqual({ bytes: 22e9, what: 'this machine has 22 GB free' });
    expect(memoryBudget('wasm', 2e9)).toEqual({ bytes: 2e9, what: 'this machine has 2.0 GB free' });
    expect(memoryBudget('tensorflow', 22e9)).toBeNull();
    // Under a memory limit (a container's cgroup) the machine's free memory overstates what the process can take.
    expect(systemBudget(22e9, 3e9)).toMatchObject({ bytes: 3e9, what: expect.stringMatching(/^this process may take 3\.0 GB more/) });
    expect(systemBudget(22e9, 30e9)).toEqual({ bytes: 22e9, what: 'this machine has 22 GB free' });
    const est = { bytes: 31e9, weightBytes: 1e9, activationBytes: 30e9, largest: 'E', largestTensorBytes: 3e9 };
    expect(checkMemory(est, memoryBudget('native', 22e9), 'Training at batch size 64 and 256 px', 'lower the batch size in the training settings')).toEqual({
      ok: false,
      message: "Training at batch size 64 and 256 px needs about 31 GB (1.0 GB for weights, 30 GB for activations); this machine has 22 GB free. Most of it is activations, the largest in 'E' — lower the batch size in the training settings.",
    });
    expect(checkMemory(est, null, 'a', 'b')).toEqual({ ok: true });
    // WebGPU caps one buffer: a single tensor too large is refused however much memory there is.
    expect(checkMemory(est, { bytes: Infinity, what: 'the GPU', maxBufferBytes: 2 ** 31 }, 'Running 64 image(s)', 'use smaller images')).toEqual({
      ok: false,
      message: 'Running 64 image(s) makes a 3.0 GB tensor (in E); the GPU takes at most 2.1 GB in one buffer — use smaller images.',
    });
  });

  it('checks a built training model against a budget', async () => {
    const model = await buildTrainModel(translationGraph(4, 0, 1), { mode: 'translation', imageSize: 16, datasetGroups: groups, seed: 0, baseDir: '.' });
    expect(checkTrainingMemory(model, 8, 16, { bytes: 1e9, what: 'plenty' })).toEqual({ ok: true });
    expect(checkTrainingMemory(model, 8, 16, { bytes: 1e6, what: 'this machine has 1 MB free' })).toEqual({
      ok: false,
      message: expect.stringMatching(/^Training at batch size 8 and 16 px needs about \d+ MB \(\d+ MB for weights, \d+ MB for activations\); this machine has 1 MB free\. Most of it is activations, the largest in 'E' — lower the batch size in the training settings/),
    });
    disposeModel(model);
  });

  it('refuses a run too large for this machine before any of it runs, naming the module', async () => {
    const demoFile = join(import.meta.dirname, '../../../test/fixtures/demo/demo.mgproj.json');
    const r = loadProject(readFileSync(demoFile, 'utf8'));
    if (!r.ok) throw new Error('demo does not load');
    const demo: Project = r.value.value;
    // 1024 px through a base-64 encoder, 64 at a time: hundreds of GB.
    const graph = { ...demo.graph, nodes: demo.graph.nodes.map((n) => (n.kind === 'encoder' || n.kind === 'reconstructor' ? { ...n, params: { ...n.params, imageSize: 1024 } } : n)) } as Graph;
    let outputs = 0;
    const run = runGraph(graph, { baseDir: join(demoFile, '..'), batchSize: 64, engine: 'tfjs' }, () => void outputs++);
    await expect(run).rejects.toThrow(RunError);
    await expect(run).rejects.toThrow(/^Running 64 image\(s\) at a time at 1024 px needs about \d+ GB \(\d+ MB for weights, \d+ GB for activations\); (this machine has .* free|this process may take .* more \(its memory limit is .*\))\. Most of it is activations, the largest in 'E' — use smaller images \(the image size of 'E'\) or a smaller batch/);
    await run.catch((e: RunError) => expect(e.node).toBe('E'));
    expect(outputs).toBe(0);
  });
});
