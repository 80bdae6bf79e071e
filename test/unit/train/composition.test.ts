// The training extensions beyond the paper: composition training (chainProbability), in
// generation mode G's D checking that transformers keep G's condition (lambdaKeep), and the
// whole-chain term (lambdaChain).
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLOR_MNIST } from '../../../core/graph/attributes';
import type { Graph } from '../../../core/graph/graph';
import { buildTrainModel, disposeModel, type TrainModel } from '../../../core/train/model';
import { Trainer, type TrainSettings } from '../../../core/train/trainer';
import { useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

const groups = [COLOR_MNIST.digit, COLOR_MNIST.color, COLOR_MNIST.style, COLOR_MNIST.background];
const labelLength = 10 + 5 + 2 + 5;
const t = (id: string, g: keyof typeof COLOR_MNIST) => ({ id, kind: 'transformer', params: { baseChannels: 4, resBlocks: 0, attributes: [COLOR_MNIST[g]] } });
const graph: Graph = {
  nodes: [
    { id: 'G', kind: 'generator', params: { imageSize: 16, baseChannels: 4, noiseLength: 8, attributes: [COLOR_MNIST.digit] } },
    t('T_color', 'color'),
    t('T_style', 'style'),
    t('T_bg', 'background'),
    { id: 'R', kind: 'reconstructor', params: { imageSize: 16, baseChannels: 4 } },
  ],
  edges: [],
};
const base: TrainSettings = { iterations: 10, batchSize: 2, learningRate: 1e-3, beta1: 0.5, beta2: 0.999, nCritic: 1, lambdaGp: 10, lambdaCls: 1, lambdaRec: 10, lambdaCyc: 10, seed: 0, frozen: [] };

function batch(k: number) {
  const images = new Float32Array(2 * 16 * 16 * 3).map((_, i) => Math.sin(i * (k + 1)) * 0.9);
  const labels = new Float32Array(2 * labelLength);
  for (const [s, on] of [[0, [3, 10, 15, 17]], [1, [7, 12, 16, 21]]] as const) for (const j of on) labels[s * labelLength + j] = 1;
  return { index: k, size: 2, images, labels };
}

describe('composition training and keeping G\'s condition', () => {
  let model: TrainModel;
  let initial: tf.Tensor[];
  beforeAll(async () => {
    model = await buildTrainModel(graph, { mode: 'generation', imageSize: 16, datasetGroups: groups, seed: 0, baseDir: '.' });
    initial = model.all.flatMap((p) => Object.values(p.module.variables).map((v) => tf.clone(v)));
  });
  afterAll(() => {
    disposeModel(model);
    tf.dispose(initial);
  });
  // Every case starts from the same weights, so their losses can be compared.
  const reset = () => model.all.flatMap((p) => Object.values(p.module.variables)).forEach((v, i) => v.assign(initial[i]!));

  it('draws, per iteration and transformer, a random subset of the others in random order', () => {
    const off = new Trainer(model, base);
    expect(off.chainBefore(0, 0)).toEqual([]);
    off.dispose();
    const all = new Trainer(model, { ...base, chainProbability: 1 });
    const half = new Trainer(model, { ...base, chainProbability: 0.5 });
    const orders = new Set<string>();
    const lengths = new Set<number>();
    for (let k = 0; k < 60; k++) {
      for (let i = 0; i < 3; i++) {
        const c = all.chainBefore(k, i);
        expect([...c].sort()).toEqual([0, 1, 2].filter((j) => j !== i));
        orders.add(`${i}:${c.join()}`);
        const h = half.chainBefore(k, i);
        expect(h).not.toContain(i);
        expect(new Set(h).size).toBe(h.length);
        lengths.add(h.length);
        // The same (seed, k, i) gives the same chain: the D and G steps, and a resumed run, agree.
        expect(half.chainBefore(k, i)).toEqual(h);
      }
    }
    expect(orders.size).toBe(6);
    expect([...lengths].sort()).toEqual([0, 1, 2]);
    all.dispose();
    half.dispose();
  });

  it('judges chained images: the losses change, stay finite, and nothing leaks', () => {
    reset();
    const plain = new Trainer(model, base);
    const a = plain.step(0, batch(0));
    plain.dispose();
    reset();
    const chained = new Trainer(model, { ...base, chainProbability: 1 });
    const b = chained.step(0, batch(0));
    const n = tf.memory().numTensors;
    chained.step(1, batch(1));
    expect(tf.memory().numTensors).toBe(n);
    chained.dispose();
    for (const v of Object.values(b)) expect(Number.isFinite(v)).toBe(true);
    expect(b.d_adv).not.toBeCloseTo(a.d_adv!, 6);
    expect(b.g_adv).not.toBeCloseTo(a.g_adv!, 6);
    expect(a.g_keep).toBeUndefined();
  });

  it('adds G\'s D reading the digit of every transformed image to G\'s loss, weighted by lambdaKeep', () => {
    reset();
    const one = new Trainer(model, { ...base, lambdaKeep: 1 });
    const a = one.step(0, batch(0));
    one.dispose();
    reset();
    const three = new Trainer(model, { ...base, lambdaKeep: 3 });
    const b = three.step(0, batch(0));
    three.dispose();
    expect(a.g_keep).toBeGreaterThan(0);
    expect(b.g_keep).toBeCloseTo(a.g_keep!, 5);
    expect(b.g_total! - a.g_total!).toBeCloseTo(2 * a.g_keep!, 3);
    expect(a.g_total).toBeCloseTo(a.g_adv! + a.g_cls! + a.g_keep!, 3);
  });

  it('runs every transformer in a seeded random order and lets every D judge the result, weighted by lambdaChain', () => {
    const tr = new Trainer(model, { ...base, lambdaChain: 1 });
    const orders = new Set<string>();
    for (let k = 0; k < 60; k++) {
      const o = tr.wholeChain(k);
      expect([...o].sort()).toEqual([0, 1, 2]);
      expect(tr.wholeChain(k)).toEqual(o);
      orders.add(o.join());
    }
    expect(orders.size).toBe(6);
    tr.dispose();
    const losses = (settings: Partial<TrainSettings>) => {
      reset();
      const trainer = new Trainer(model, { ...base, ...settings });
      const before = tf.memory().numTensors;
      const l = trainer.step(0, batch(0));
      expect(tf.memory().numTensors).toBe(before);
      trainer.dispose();
      return l;
    };
    const off = losses({});
    const one = losses({ lambdaChain: 1 });
    const two = losses({ lambdaChain: 2 });
    const withKeep = losses({ lambdaChain: 1, lambdaKeep: 1 });
    expect(off.g_chain).toBeUndefined();
    expect(Number.isFinite(one.g_chain)).toBe(true);
    expect(two.g_chain).toBeCloseTo(one.g_chain!, 5);
    expect(one.g_total! - off.g_total!).toBeCloseTo(one.g_chain!, 3);
    expect(two.g_total! - off.g_total!).toBeCloseTo(2 * one.g_chain!, 3);
    // With lambdaKeep, G's D also reads the digit of the composed image: a positive BCE more.
    expect(withKeep.g_chain! - one.g_chain!).toBeGreaterThan(0);
  });
});
