import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLOR_MNIST } from '../../../core/graph/attributes';
import type { Graph } from '../../../core/graph/graph';
import type { Batch } from '../../../core/data/loader';
import { bestScore } from '../../../core/train/checkpoint';
import { buildTrainModel, defaultDiscriminatorDepth, disposeModel, labelIndex, type TrainModel } from '../../../core/train/model';
import { NonFiniteLossError, Trainer } from '../../../core/train/trainer';
import { useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

const groups = [COLOR_MNIST.digit, COLOR_MNIST.color, COLOR_MNIST.background];
const graph: Graph = {
  nodes: [
    { id: 'E', kind: 'encoder', params: { imageSize: 16, baseChannels: 4 } },
    { id: 'T_bg', kind: 'transformer', params: { baseChannels: 4, resBlocks: 0, attributes: [COLOR_MNIST.background] } },
    { id: 'R', kind: 'reconstructor', params: { imageSize: 16, baseChannels: 4 } },
  ],
  edges: [],
};
const settings = { iterations: 10, batchSize: 2, learningRate: 1e-3, beta1: 0.5, beta2: 0.999, nCritic: 1, lambdaGp: 10, lambdaCls: 1, lambdaRec: 10, lambdaCyc: 10, seed: 0, frozen: [] };

/** The trainer's private steps the loss tests rebuild their references from. */
interface TrainerInternals {
  inputs(k: number, b: Batch): { x: tf.Tensor4D[]; real: tf.Tensor2D[] };
  baseFeature(inp: unknown): tf.Tensor4D;
  fakes(k: number, f: tf.Tensor4D, inp: unknown, which: number[]): Map<number, { image: tf.Tensor4D }>;
}

describe('training model from a graph', () => {
  let model: TrainModel;
  beforeAll(async () => {
    model = await buildTrainModel(graph, { mode: 'translation', imageSize: 16, datasetGroups: groups, seed: 0, baseDir: '.' });
  });
  afterAll(() => disposeModel(model));

  it('adds one discriminator per transformer, sized from the dataset', () => {
    expect(model.discriminators.map((d) => d.id)).toEqual(['D_T_bg']);
    expect(model.discriminators[0]!.module.params.depth).toBe(3);
    expect(model.transformers[0]!.labelIndex).toEqual([15, 16, 17, 18, 19]);
    expect([16, 32, 64, 128, 256].map(defaultDiscriminatorDepth)).toEqual([3, 4, 5, 6, 6]);
  });

  it('stops on a NaN loss, naming it, and leaves the weights untouched', () => {
    const trainer = new Trainer(model, settings);
    const before = Object.values(model.transformers[0]!.module.variables).map((v) => v.dataSync().slice());
    const images = new Float32Array(2 * 16 * 16 * 3).fill(Number.NaN);
    const labels = new Float32Array(2 * 20);
    expect(() => trainer.step(0, { index: 0, size: 2, images, labels })).toThrow(NonFiniteLossError);
    expect(() => trainer.step(0, { index: 0, size: 2, images, labels })).toThrow(/loss 'd_adv' is NaN at iteration 0/);
    const after = Object.values(model.transformers[0]!.module.variables).map((v) => v.dataSync().slice());
    expect(after).toEqual(before);
    trainer.dispose();
  });

  it('scores real and fake images as the WGAN critic and classifier define it (one batch through D)', () => {
    const trainer = new Trainer(model, { ...settings, nCritic: 1000 });
    const images = new Float32Array(2 * 16 * 16 * 3).map((_, i) => Math.cos(i * 0.7) * 0.8);
    const labels = new Float32Array(2 * 20);
    labels[2] = labels[14] = labels[16] = labels[20 + 5] = labels[20 + 11] = labels[20 + 19] = 1;
    const batch = { index: 0, size: 2, images, labels };
    // Reference, before the step changes D: real and fake through D separately.
    const internals = trainer as unknown as TrainerInternals;
    const [adv, cls] = tf.tidy(() => {
      const inp = internals.inputs(0, batch);
      const fake = internals.fakes(0, internals.baseFeature(inp), inp, [0]).get(0)!.image;
      const d = model.discriminators[0]!.module;
      const onReal = d.apply({ image: inp.x[0]! });
      const score = (p: tf.Tensor4D) => tf.mean(tf.mean(p, [1, 2, 3]));
      const a = tf.sub(score(d.apply({ image: fake }).patch), score(onReal.patch));
      const z = inp.real[0]!;
      const l = onReal.logits;
      const bce = tf.div(tf.sum(tf.add(tf.sub(tf.relu(l), tf.mul(l, z)), tf.log1p(tf.exp(tf.neg(tf.abs(l)))))), 2);
      return [a.dataSync()[0]!, bce.dataSync()[0]!];
    });
    const losses = trainer.step(0, batch);
    expect(losses.d_adv).toBeCloseTo(adv, 5);
    expect(losses.d_cls).toBeCloseTo(cls, 5);
    trainer.dispose();
  });

  it('teaches D\'s attribute head that fakes show no attribute when lambdaClsFake is set', () => {
    const trainer = new Trainer(model, { ...settings, nCritic: 1000, lambdaClsFake: 0.5 });
    const images = new Float32Array(2 * 16 * 16 * 3).map((_, i) => Math.sin(i * 0.3) * 0.8);
    const labels = new Float32Array(2 * 20);
    labels[1] = labels[12] = labels[15] = labels[20 + 7] = labels[20 + 10] = labels[20 + 18] = 1;
    const batch = { index: 0, size: 2, images, labels };
    const internals = trainer as unknown as TrainerInternals;
    // Reference before the step changes D: BCE of D's logits on the fake against all-zero targets.
    const expected = tf.tidy(() => {
      const inp = internals.inputs(0, batch);
      const l = model.discriminators[0]!.module.apply({ image: internals.fakes(0, internals.baseFeature(inp), inp, [0]).get(0)!.image }).logits;
      return tf.div(tf.sum(tf.add(tf.relu(l), tf.log1p(tf.exp(tf.neg(tf.abs(l)))))), 2).dataSync()[0]!;
    });
    const l = trainer.step(0, batch);
    expect(l.d_cls_fake).toBeCloseTo(expected, 5);
    expect(l.d_cls_fake).toBeGreaterThan(0);
    expect(l.d_total).toBeCloseTo(l.d_adv! + 10 * l.d_gp! + l.d_cls! + 0.5 * l.d_cls_fake!, 3);
    trainer.dispose();
  });

  it('leaks no tensors over an iteration', () => {
    const trainer = new Trainer(model, settings);
    const images = new Float32Array(2 * 16 * 16 * 3).map((_, i) => Math.sin(i));
    const labels = new Float32Array(2 * 20);
    labels[0] = labels[15] = labels[20 + 3] = labels[20 + 17] = 1;
    trainer.step(0, { index: 0, size: 2, images, labels });
    const n = tf.memory().numTensors;
    const losses = trainer.step(1, { index: 1, size: 2, images, labels });
    expect(tf.memory().numTensors).toBe(n);
    expect(Object.keys(losses).sort()).toEqual(['d_adv', 'd_cls', 'd_gp', 'd_total', 'g_adv', 'g_cls', 'g_cyc', 'g_rec', 'g_total', 'lr']);
    trainer.dispose();
  });

  it('has no whole-chain term with a single transformer: it would only repeat that transformer\'s own', () => {
    const trainer = new Trainer(model, { ...settings, lambdaChain: 1 });
    const images = new Float32Array(2 * 16 * 16 * 3).map((_, i) => Math.sin(i));
    const labels = new Float32Array(2 * 20);
    labels[0] = labels[15] = labels[20 + 3] = labels[20 + 17] = 1;
    const losses = trainer.step(0, { index: 0, size: 2, images, labels });
    expect(losses.g_chain).toBeUndefined();
    expect(losses.g_total).toBeCloseTo(losses.g_adv! + losses.g_cls! + 10 * losses.g_rec! + 10 * losses.g_cyc!, 3);
    trainer.dispose();
  });

  it('weighs the adversarial terms by lambdaAdv', () => {
    const trainer = new Trainer(model, { ...settings, lambdaAdv: 0.5 });
    const images = new Float32Array(2 * 16 * 16 * 3).map((_, i) => Math.cos(i));
    const labels = new Float32Array(2 * 20);
    labels[0] = labels[15] = labels[20 + 3] = labels[20 + 17] = 1;
    const l = trainer.step(0, { index: 0, size: 2, images, labels }) as Record<string, number>;
    expect(l.d_total!).toBeCloseTo(0.5 * l.d_adv! + 10 * l.d_gp! + l.d_cls!, 3);
    expect(l.g_total!).toBeCloseTo(0.5 * l.g_adv! + l.g_cls! + 10 * l.g_rec! + 10 * l.g_cyc!, 3);
    trainer.dispose();
  });

  it('names unknown frozen modules', () => {
    expect(() => new Trainer(model, { ...settings, frozen: ['T_hair'] })).toThrow(/frozen: no module 'T_hair'/);
  });
});

describe('label mapping', () => {
  it('names the node and the mismatch', () => {
    expect(() => labelIndex("T 'x'", [{ name: 'style', kind: 'binary' }], groups)).toThrow(/T 'x': the dataset has no attribute 'style'/);
    expect(() => labelIndex("T 'x'", [{ name: 'color', kind: 'binary' }], groups)).toThrow(/'color' is color \(yes\/no\) here but color ∈/);
  });
});

describe('best checkpoint criterion', () => {
  it('is the mean reconstruction + cycle loss over G iterations (translation)', () => {
    expect(bestScore('translation', [{ d_total: 1 }, { g_total: 1, g_rec: 1, g_cyc: 2 }, { g_total: 1, g_rec: 2, g_cyc: 1 }])).toBe(3);
    expect(bestScore('generation', [{ g_total: 1, g_cls: 4 }])).toBe(4);
    expect(bestScore('translation', [{ d_total: 1 }])).toBeNull();
  });
});
