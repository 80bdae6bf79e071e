// clsFakeOthers: with lambdaClsFake, each transformer's D also reads one other transformer's
// image (drawn per iteration) as showing none of its attributes.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bceWithLogits } from '../../../core/train/losses';
import { disposeModel, type TrainModel } from '../../../core/train/model';
import { Trainer } from '../../../core/train/trainer';
import { type TrainerInternals, batchOf, modelOf, settings, transformer } from '../../helpers/trainer-cases';
import { useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

const base = settings({ lambdaClsFake: 1 });
const batch = () => batchOf((i) => Math.sin(i * 0.29) * 0.8);

// A step changes the weights: each trainer gets a model of its own, built from the same seed.
const built: TrainModel[] = [];
const two = async () => built[built.push(await modelOf(transformer('T_color', 'color'), transformer('T_bg', 'background'))) - 1]!;
const one = async () => built[built.push(await modelOf(transformer('T_color', 'color'))) - 1]!;
afterAll(() => built.forEach(disposeModel));

describe('clsFakeOthers', () => {

  /** Σ over D_i of BCE(D_i(image), 0) for its own transformer's image, and with `others` the other's too. */
  function expected(model: TrainModel, tr: Trainer, others: boolean): number {
    const internals = tr as unknown as TrainerInternals;
    return tf.tidy(() => {
      const inp = internals.inputs(0, batch());
      const fakes = internals.fakes(0, internals.baseFeature(inp), inp, [0, 1]);
      let sum = 0;
      for (const i of [0, 1]) {
        for (const of of others ? [i, 1 - i] : [i]) {
          const logits = model.discriminators[i]!.module.apply({ image: fakes.get(of)!.image }).logits;
          sum += bceWithLogits(logits, tf.zerosLike(logits) as tf.Tensor2D).dataSync()[0]!;
        }
      }
      return sum;
    });
  }

  it("adds each D reading another transformer's image as showing none of its attributes; the other terms stay", async () => {
    const [a, b] = [await two(), await two()];
    const on = new Trainer(a, { ...base, clsFakeOthers: true });
    const want = expected(a, on, true);
    const l = on.step(0, batch());
    on.dispose();
    const off = new Trainer(b, base);
    const wantOff = expected(b, off, false);
    const lOff = off.step(0, batch());
    off.dispose();
    expect(l.d_cls_fake).toBeCloseTo(want, 4);
    expect(lOff.d_cls_fake).toBeCloseTo(wantOff, 4);
    expect(want - wantOff).toBeGreaterThan(0.1);
    for (const k of ['d_adv', 'd_gp', 'd_cls'] as const) expect(l[k]).toBeCloseTo(lOff[k]!, 5);
  });

  it('changes nothing with a single transformer (the StarGAN-style baseline)', async () => {
    const models = [await one(), await one()];
    const losses = [false, true].map((o, n) => {
      const tr = new Trainer(models[n]!, { ...base, clsFakeOthers: o });
      const l = tr.step(0, batch());
      tr.dispose();
      return l;
    });
    expect(losses[1]).toEqual(losses[0]);
  });
});
