// lambdaRoundTrip and lambdaMask: what keeps a transformer from redrawing what it was not
// asked to change. Each term is checked against its definition, computed here by hand.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLOR_MNIST } from '../../../core/graph/attributes';
import type { Graph } from '../../../core/graph/graph';
import type { Batch } from '../../../core/data/loader';
import { l1 } from '../../../core/train/losses';
import { buildTrainModel, disposeModel, type TrainModel } from '../../../core/train/model';
import { Trainer, type TrainSettings } from '../../../core/train/trainer';
import type { Encoder } from '../../../core/modules/encoder';
import type { Transformer } from '../../../core/modules/transformer';
import { useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

const groups = [COLOR_MNIST.digit, COLOR_MNIST.color, COLOR_MNIST.background];
const t = (id: string, g: 'color' | 'background') => ({ id, kind: 'transformer', params: { baseChannels: 4, resBlocks: 1, attributes: [COLOR_MNIST[g]] } });
const graph: Graph = {
  nodes: [{ id: 'E', kind: 'encoder', params: { imageSize: 16, baseChannels: 4 } }, t('T_color', 'color'), t('T_bg', 'background'), { id: 'R', kind: 'reconstructor', params: { imageSize: 16, baseChannels: 4 } }],
  edges: [],
};
// Ds frozen and n_critic 1: the G step sees the weights the reference is computed with.
const base: TrainSettings = { iterations: 10, batchSize: 2, learningRate: 1e-3, beta1: 0.5, beta2: 0.999, nCritic: 1, lambdaGp: 10, lambdaCls: 1, lambdaRec: 10, lambdaCyc: 10, seed: 3, frozen: ['D_T_color', 'D_T_bg'] };

interface Internals {
  inputs(k: number, b: Batch): { real: tf.Tensor2D[]; target: tf.Tensor2D[] };
  baseFeature(inp: unknown): tf.Tensor4D;
  fakes(k: number, f: tf.Tensor4D, inp: unknown, which: number[]): Map<number, { mask?: tf.Tensor4D }>;
}

function batch(): Batch {
  const images = new Float32Array(2 * 16 * 16 * 3).map((_, i) => Math.cos(i * 0.31) * 0.85);
  const labels = new Float32Array(2 * 20);
  for (const [s, on] of [[0, [3, 11, 17]], [1, [8, 14, 15]]] as const) for (const j of on) labels[s * 20 + j] = 1;
  return { index: 0, size: 2, images, labels };
}

const built: TrainModel[] = [];
const model = async () => built[built.push(await buildTrainModel(graph, { mode: 'translation', imageSize: 16, datasetGroups: groups, seed: 0, baseDir: '.' })) - 1]!;
afterAll(() => built.forEach(disposeModel));

describe('identity terms', () => {
  it("lambdaRoundTrip: Σ_i |T_i(E(T_i's image), own value) − T_i's input|, weighted into g_total", async () => {
    const m = await model();
    const tr = new Trainer(m, { ...base, lambdaRoundTrip: 3 });
    const internals = tr as unknown as Internals;
    const want = tf.tidy(() => {
      const inp = internals.inputs(0, batch());
      const f = internals.baseFeature(inp);
      let sum = 0;
      m.transformers.forEach((node, i) => {
        const T = node.module as Transformer;
        const image = m.reconstructor.module.apply({ feature: T.apply({ feature: f, condition: inp.target[i]! }).feature }).image;
        const again = (m.base.module as Encoder).apply({ image }).feature;
        sum += l1(T.apply({ feature: again, condition: inp.real[i]! }).feature, f).dataSync()[0]!;
      });
      return sum;
    });
    const l = tr.step(0, batch());
    tr.dispose();
    expect(l.g_round_trip).toBeCloseTo(want, 5);
    expect(l.g_round_trip).toBeGreaterThan(0.01);
    expect(l.g_total).toBeCloseTo(l.g_adv! + l.g_cls! + 10 * l.g_rec! + 10 * l.g_cyc! + 3 * l.g_round_trip!, 3);
  });

  it("lambdaMask: Σ_i mean of T_i's mask in its own image, weighted into g_total", async () => {
    const m = await model();
    const tr = new Trainer(m, { ...base, lambdaMask: 0.5, chainProbability: 1 });
    const internals = tr as unknown as Internals;
    const want = tf.tidy(() => {
      const inp = internals.inputs(0, batch());
      const fakes = internals.fakes(0, internals.baseFeature(inp), inp, [0, 1]);
      return [0, 1].reduce((s, i) => s + tf.mean(fakes.get(i)!.mask!).dataSync()[0]!, 0);
    });
    const l = tr.step(0, batch());
    tr.dispose();
    expect(l.g_mask).toBeCloseTo(want, 5);
    expect(l.g_mask).toBeGreaterThan(0.1);
    expect(l.g_total).toBeCloseTo(l.g_adv! + l.g_cls! + 10 * l.g_rec! + 10 * l.g_cyc! + 0.5 * l.g_mask!, 3);
  });

  it('both are off by default (logs as before)', async () => {
    const tr = new Trainer(await model(), base);
    const l = tr.step(0, batch());
    tr.dispose();
    expect(l.g_round_trip).toBeUndefined();
    expect(l.g_mask).toBeUndefined();
  });
});
