// A project that passes every range check can still need more memory than the machine has:
// base channels 512 with 32 residual blocks per transformer is tens of GB of weights alone,
// 1024 px images hundreds of GB of activations. Run, batch, train and eval (and the studio's
// run and train calls) must refuse it with the numbers before allocating anything — weights,
// optimiser state, the onnxruntime session, the eval classifier — so the process's peak
// resident memory barely moves. The shipped projects must still be accepted.

import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngineService } from '../../core/engine/service';
import type { RunEvent } from '../../core/api/types';
import { evalCommand } from '../../cli/eval';
import { trainCommand } from '../../cli/train';
import { evaluateProject } from '../../core/eval/evaluate';
import { checkEvalMemory } from '../../core/eval/memory';
import { DEFAULT_DATASET_GROUPS } from '../../core/graph/attributes';
import { loadProject } from '../../core/graph';
import type { Graph } from '../../core/graph/graph';
import type { AttributeGroup } from '../../core/graph/ports';
import { runBatch } from '../../core/runtime/batch';
import { RunError, runGraph } from '../../core/runtime/executor';
import { memoryBudget } from '../../core/runtime/memory-budget';
import { checkTrainingMemory, trainingTerms } from '../../core/train/memory';
import { planTrainModel } from '../../core/train/model';
import { TrainSetupError, runTraining } from '../../core/train/run';
import { tinyProject } from '../helpers/training';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DEMO = join(ROOT, 'assets', 'demo', 'demo.mgproj.json');
const MB = 1024 * 1024;
/** What a refusal may add to the process's peak resident memory. */
const ALLOWED_GROWTH = 200 * MB;

const status = (key: 'VmRSS' | 'VmHWM'): number => Number(/(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(`${key}:`))!)![1]) * 1024;

/**
 * How far `fn` raised the peak resident memory above where it started. The kernel's peak
 * (VmHWM) is reset first, so an allocation freed again before `fn` returns still counts.
 */
async function peakGrowth(fn: () => Promise<unknown>): Promise<number> {
  let resettable = true;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    resettable = false;
  }
  const before = status('VmRSS');
  let peak = before;
  // Where the peak cannot be reset, sample it instead.
  const timer = resettable ? undefined : setInterval(() => (peak = Math.max(peak, status('VmRSS'))), 5);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, resettable ? status('VmHWM') : status('VmRSS')) - before;
}

type Json = Record<string, unknown>;
type Node = { id: string; kind: string; params: Json };
const MODULES = new Set(['encoder', 'generator', 'transformer', 'reconstructor']);

/** Every module at base channels 512, every transformer with 32 residual blocks: in range, and tens of GB. */
function huge(nodes: Node[]): void {
  for (const n of nodes) {
    if (!MODULES.has(n.kind)) continue;
    n.params.baseChannels = 512;
    if (n.kind === 'transformer') n.params.resBlocks = 32;
  }
}

const demoProject = () => JSON.parse(readFileSync(DEMO, 'utf8')) as { graph: { nodes: Node[]; edges: unknown[] } };

/** The demo's graph with huge modules; its weights files (made absolute) stay named, so the refusal must come before they are read. */
function hugeDemoGraph(keepWeights: boolean): Graph {
  const p = demoProject();
  for (const n of p.graph.nodes) {
    if (n.kind === 'image-input') n.params.path = join(dirname(DEMO), n.params.path as string);
    if (typeof n.params.weights === 'string') {
      if (keepWeights) n.params.weights = join(dirname(DEMO), n.params.weights);
      else delete n.params.weights;
    }
  }
  huge(p.graph.nodes);
  return p.graph as unknown as Graph;
}

/** The tiny ColorMNIST project made huge (base channels 512, 32 residual blocks), or at 1024 px. */
const hugeTiny = (how: 'channels' | 'pixels', name: string) =>
  tinyProject((p) => {
    const nodes = (p.graph as { nodes: Node[] }).nodes;
    if (how === 'channels') {
      huge(nodes);
      Object.assign(p.training as Json, { dBaseChannels: 512 });
    } else {
      for (const n of nodes) if (n.kind === 'generator' || n.kind === 'reconstructor') n.params.imageSize = 1024;
      (p.datasets as Json[])[0]!.imageSize = 1024;
      Object.assign(p.training as Json, { batchSize: 64, dDepth: 6 });
    }
  }, name);

/** A run folder whose index lists a checkpoint (without its files): eval goes on to load it. */
function fakeCheckpoint(project: string): void {
  const root = join(project.replace(/\.mgproj\.json$/, '.train'), 'checkpoints');
  mkdirSync(join(root, 'iter-000001'), { recursive: true });
  writeFileSync(join(root, 'index.json'), JSON.stringify({ checkpoints: [{ iteration: 1, path: 'iter-000001', createdAt: new Date().toISOString(), score: null }], best: null }));
}

/** What the machine has, or under a memory limit (a container's), what the process may still take. */
const AVAILABLE = String.raw`(this machine has [\d.]+ [MG]B free|this process may take [\d.]+ [MG]B more \(its memory limit is [\d.]+ [MG]B\))`;
const WEIGHTS_REFUSAL = new RegExp(String.raw`needs about \d+ GB \(\d+ GB for weights, [\d.]+ [MG]B for activations\); ${AVAILABLE}\. Most of it is weights; the largest module is transformer '\w+' \(base channels 512, 32 residual blocks: [\d.]+ GB of weights, \d+ GB with their copies\) — lower its base channels or its residual blocks`);

const work = mkdtempSync(join(tmpdir(), 'mg-memory-'));
const service = createEngineService({ stateDir: join(work, 'state'), demoPath: DEMO, host: 'test' });
const events: RunEvent[] = [];
service.onRunEvent((e) => events.push(e));
const until = async <T>(find: () => T | undefined, ms = 60_000): Promise<T> => {
  const t0 = Date.now();
  for (;;) {
    const v = find();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out; events: ${events.map((e) => e.type).join(', ')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

beforeAll(async () => {
  // The studio's run of the shipped demo, as it is: accepted, and it loads the engine's
  // backend and libraries, so that what follows measures only the refusals.
  const p = demoProject();
  const { runId } = await service.startRun({ graph: p.graph as unknown as Graph, baseDir: dirname(DEMO), count: 2, batchSize: 2, previews: 0 });
  const end = await until(() => events.find((e) => 'runId' in e && e.runId === runId && (e.type === 'finished' || e.type === 'failed')));
  expect(end).toMatchObject({ type: 'finished', processed: readdirSync(join(dirname(DEMO), 'images')).length });
}, 120_000);

describe('a project too large for the machine is refused before anything is allocated', () => {
  it('run: base channels 512 × 32 residual blocks, weights files named or not, and through the studio', async () => {
    for (const keepWeights of [false, true]) {
      let error: unknown;
      const growth = await peakGrowth(() => runGraph(hugeDemoGraph(keepWeights), { batchSize: 4 }, () => undefined).catch((e: unknown) => (error = e)));
      expect(error).toBeInstanceOf(RunError);
      expect((error as Error).message).toMatch(/^Running 4 image\(s\) at a time at 32 px /);
      expect((error as Error).message).toMatch(WEIGHTS_REFUSAL);
      expect((error as RunError).node).toBe('T_hair');
      expect(growth, `${keepWeights ? 'with' : 'without'} weights files`).toBeLessThan(ALLOWED_GROWTH);
    }
    let failed: Extract<RunEvent, { type: 'failed' }> | undefined;
    const growth = await peakGrowth(async () => {
      const { runId } = await service.startRun({ graph: hugeDemoGraph(false), baseDir: work });
      failed = await until(() => events.find((e): e is Extract<RunEvent, { type: 'failed' }> => e.type === 'failed' && e.runId === runId));
    });
    expect(failed!.message).toMatch(WEIGHTS_REFUSAL);
    expect(growth).toBeLessThan(ALLOWED_GROWTH);
  });

  it('batch', async () => {
    let error: unknown;
    const out = join(work, 'batch-out');
    const growth = await peakGrowth(() => runBatch(hugeDemoGraph(false), { input: join(dirname(DEMO), 'images'), output: out, baseDir: work }).catch((e: unknown) => (error = e)));
    expect((error as Error).message).toMatch(WEIGHTS_REFUSAL);
    expect(growth).toBeLessThan(ALLOWED_GROWTH);
  });

  it('train: channels (weights) and 1024 px (activations), from the command line and the studio', async () => {
    const file = hugeTiny('channels', 'wide');
    let error: unknown;
    let growth = await peakGrowth(() => runTraining(file).catch((e: unknown) => (error = e)));
    expect(error).toBeInstanceOf(TrainSetupError);
    expect((error as Error).message).toMatch(/^Training at batch size 4 and 32 px needs about/);
    expect((error as Error).message).toMatch(WEIGHTS_REFUSAL);
    expect(growth).toBeLessThan(ALLOWED_GROWTH);
    // Refused before the run folder was touched.
    expect(readdirSync(dirname(file))).toEqual(['wide.mgproj.json']);

    const big = hugeTiny('pixels', 'big');
    const lines: string[] = [];
    growth = await peakGrowth(async () => expect(await trainCommand(big, {}, (l) => lines.push(l))).toBe(1));
    expect(lines.at(-1)).toMatch(new RegExp(String.raw`^error: Training at batch size 64 and 1024 px needs about \d+ GB \([\d.]+ [MG]B for weights, \d+ GB for activations\); ${AVAILABLE}\. Most of it is activations, the largest in '\w+' — lower the batch size in the training settings`));
    expect(growth).toBeLessThan(ALLOWED_GROWTH);

    growth = await peakGrowth(async () => {
      await service.startTraining({ projectPath: file });
      await until(() => events.find((e) => e.type === 'training-failed'));
    });
    expect(events.find((e) => e.type === 'training-failed')).toMatchObject({ message: expect.stringMatching(WEIGHTS_REFUSAL) });
    expect(growth).toBeLessThan(ALLOWED_GROWTH);

    // The Training tab's "Sample now" with no training running builds the model: refused the same way.
    let sampleError: unknown;
    growth = await peakGrowth(() => service.sampleNow(file).catch((e: unknown) => (sampleError = e)));
    expect((sampleError as Error).message).toMatch(/^A sample grid of 8 images at 32 px needs about/);
    expect((sampleError as Error).message).toMatch(WEIGHTS_REFUSAL);
    expect(growth).toBeLessThan(ALLOWED_GROWTH);
  });

  it('eval: the trained run, the baseline and the classifier are counted before any is loaded', async () => {
    const file = hugeTiny('channels', 'evalwide');
    fakeCheckpoint(file);
    let error: unknown;
    let growth = await peakGrowth(() => evaluateProject(file, { reportDir: join(work, 'report'), classifierIterations: 1 }).catch((e: unknown) => (error = e)));
    expect((error as Error).message).toMatch(/^Evaluating 2 trained run\(s\) at 32 px needs about/);
    expect((error as Error).message).toMatch(WEIGHTS_REFUSAL);
    expect(growth).toBeLessThan(ALLOWED_GROWTH);

    // The classifier alone: a width the machine cannot hold is refused before it is built.
    const lines: string[] = [];
    growth = await peakGrowth(async () => expect(await evalCommand(file, { classifierOnly: true, classifierWidth: '4096', backend: 'cpu' }, (l) => lines.push(l))).toBe(1));
    expect(lines.at(-1)).toMatch(/^error: Training the attribute classifier \(width 4096\) at 32 px, 32 images a step needs about \d+ GB .*lower the classifier width \(--classifier-width\)/);
    expect(growth).toBeLessThan(ALLOWED_GROWTH);
  });
});

describe('the shipped projects are accepted', () => {
  const projects = ['projects', 'demo', 'samples'].flatMap((d) => readdirSync(join(ROOT, 'assets', d)).filter((f) => f.endsWith('.mgproj.json')).map((f) => join(ROOT, 'assets', d, f)));

  it('train and eval fit a machine like ours (24 GB, native) and, at 32 px, the wasm backend', async () => {
    expect(projects.length).toBeGreaterThanOrEqual(9);
    for (const file of projects) {
      const r = loadProject(readFileSync(file, 'utf8'));
      if (!r.ok) throw new Error(`${file} does not load`);
      const p = r.value.value;
      const t = p.training!;
      const ref = p.datasets.find((d) => d.id === t.dataset)!;
      const groups = (ref.attributes?.length ? ref.attributes : DEFAULT_DATASET_GROUPS[ref.source as keyof typeof DEFAULT_DATASET_GROUPS]) as AttributeGroup[];
      const plan = await planTrainModel(p.graph, {
        mode: t.mode,
        imageSize: ref.imageSize,
        datasetGroups: groups,
        seed: 0,
        baseDir: dirname(file),
        ...(t.dBaseChannels === undefined ? {} : { dBaseChannels: t.dBaseChannels }),
        ...(t.dDepth === undefined ? {} : { dDepth: t.dDepth }),
      });
      expect(checkTrainingMemory(plan, t.batchSize, ref.imageSize, memoryBudget('native', 24e9), true, trainingTerms(t)), file).toMatchObject({ ok: true });
      if (ref.imageSize <= 32) expect(checkTrainingMemory(plan, t.batchSize, ref.imageSize, memoryBudget('wasm', 24e9), false, trainingTerms(t)), file).toMatchObject({ ok: true });
      const classifier = { imageSize: ref.imageSize, width: 16, slots: groups.reduce((n, g) => n + (g.kind === 'onehot' ? g.values.length : 1), 0) };
      expect(checkEvalMemory(plan, ref.imageSize, { classifier, classifierBatch: 32, chunk: 25, runs: 3 }, memoryBudget('native', 24e9)), file).toMatchObject({ ok: true });
    }
  });
});
