// The trainer's optional features beyond the paper that change what D sees or what is kept:
// training.augment (DiffAugment before every D) and training.ema (the weight average).
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLOR_MNIST } from '../../../core/graph/attributes';
import type { Graph } from '../../../core/graph/graph';
import { augment } from '../../../core/train/augment';
import { buildTrainModel, disposeModel, type TrainModel } from '../../../core/train/model';
import { Trainer, variableKey } from '../../../core/train/trainer';
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
const settings = { iterations: 10, batchSize: 2, learningRate: 1e-3, beta1: 0.5, beta2: 0.999, nCritic: 1, lambdaGp: 10, lambdaCls: 1, lambdaRec: 10, lambdaCyc: 10, seed: 3, frozen: [] };
const images = new Float32Array(2 * 16 * 16 * 3).map((_, i) => Math.cos(i * 0.7) * 0.8);
const labels = new Float32Array(2 * 20);
labels[2] = labels[16] = labels[20 + 5] = labels[20 + 19] = 1;
const batch = { index: 0, size: 2, images, labels };

/** Records every image batch D_T_bg is shown while `f` runs. */
function watchD(model: TrainModel, f: () => void): Float32Array[] {
  const d = model.discriminators[0]!.module;
  const apply = d.apply.bind(d);
  const seen: Float32Array[] = [];
  d.apply = (inputs) => {
    seen.push(inputs.image.dataSync().slice() as Float32Array);
    return apply(inputs);
  };
  try {
    f();
  } finally {
    d.apply = apply;
  }
  return seen;
}

describe('trainer options', () => {
  let model: TrainModel;
  beforeAll(async () => {
    model = await buildTrainModel(graph, { mode: 'translation', imageSize: 16, datasetGroups: groups, seed: 0, baseDir: '.' });
  });
  afterAll(() => disposeModel(model));

  it('training.augment: D is shown the augmented real and fake images, in both steps, and G learns through it', () => {
    const kinds = ['color', 'translation', 'cutout'] as const;
    // nCritic 1000: the D step only, so D's inputs can be rebuilt from the same weights.
    const trainer = new Trainer(model, { ...settings, nCritic: 1000, augment: kinds });
    const x = tf.tensor4d(images, [2, 16, 16, 3]);
    const seen = watchD(model, () => trainer.step(0, batch));
    // The first image batch D sees is real and fake in one batch; its real half must be the
    // augmentation of the real images drawn from (seed, iteration, D), not the images themselves.
    const first = seen[0]!;
    expect(first.length).toBe(2 * images.length);
    const expectedReal = tf.tidy(() => tf.slice(augment(tf.concat([x, x], 0), kinds, `3:augment:d:0:0`), 0, 2).dataSync());
    const real = first.subarray(0, images.length);
    real.forEach((v, i) => expect(v).toBeCloseTo(expectedReal[i]!, 5));
    expect(Array.from(real)).not.toEqual(Array.from(images));
    // Fakes are augmented too: cutout leaves an exact 0 square in every fake image of the batch.
    for (let j = 0; j < 2; j++) {
      const img = first.subarray(images.length + (j * images.length) / 2, images.length + ((j + 1) * images.length) / 2);
      expect(img.filter((v) => v === 0).length).toBeGreaterThanOrEqual(3 * 4);
    }
    trainer.dispose();

    // The G step: every D input is augmented, and G's weights still move (the gradient passes through).
    const gTrainer = new Trainer(model, { ...settings, augment: kinds });
    const before = model.reconstructor.module.variables;
    const w0 = Object.values(before).map((v) => v.dataSync().slice());
    const gSeen = watchD(model, () => gTrainer.step(0, batch));
    expect(gSeen.length).toBeGreaterThan(2);
    for (const s of gSeen) expect(s.some((v) => v === 0)).toBe(true);
    const w1 = Object.values(model.reconstructor.module.variables).map((v) => v.dataSync().slice());
    expect(w1.some((w, i) => w.some((v, j) => v !== w0[i]![j]))).toBe(true);
    gTrainer.dispose();
    x.dispose();
  });

  it('training.augment off: D sees the images unchanged and the losses are those of the plain trainer', () => {
    const a = new Trainer(model, { ...settings, nCritic: 1000 });
    const seen = watchD(model, () => a.step(1, batch));
    expect(Array.from(seen[0]!.subarray(0, images.length))).toEqual(Array.from(images));
    a.dispose();
  });

  it('training.ema: the average follows the warmed-up recurrence over the weights after each generator update', () => {
    const trainer = new Trainer(model, { ...settings, ema: 0.8 });
    const key = variableKey('R', Object.keys(model.reconstructor.module.variables)[0]!);
    const w = trainer.gOpt.vars.get(key)!;
    let expected = Array.from(w.dataSync());
    for (let k = 0; k < 3; k++) {
      trainer.step(k, batch);
      const now = Array.from(w.dataSync());
      // The k-th iteration's update is the average's n-th: its decay warms up to 0.8.
      const b = trainer.ema!.decayAt(Math.floor((k + 1) / trainer.cfg.nCritic));
      expect(b).toBeLessThan(0.8);
      expected = expected.map((s, i) => b * s + (1 - b) * now[i]!);
      const avg = trainer.ema!.values().get(key)!;
      avg.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
      // The average is not the weights themselves.
      expect(Array.from(avg)).not.toEqual(now);
    }
    // Only generator-side modules are averaged.
    expect([...trainer.ema!.values().keys()].some((k) => k.startsWith('D_'))).toBe(false);
    trainer.dispose();
  });
});
