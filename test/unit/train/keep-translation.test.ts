// lambdaKeep in translation mode: in each T_i's image every other D reads its attribute as it
// should be there — the input's own value, or the target of a transformer chained before T_i.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bceWithLogits } from '../../../core/train/losses';
import { disposeModel, type TrainModel } from '../../../core/train/model';
import { Trainer } from '../../../core/train/trainer';
import { type TrainerInternals, batchOf, modelOf, settings, transformer } from '../../helpers/trainer-cases';
import { useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

// Ds frozen: the G step then sees the Ds the reference below is computed with.
const base = settings({ frozen: ['D_T_color', 'D_T_bg'] });
const batch = () => batchOf((i) => Math.sin(i * 0.37) * 0.9);

describe('lambdaKeep in translation mode', () => {
  let model: TrainModel;
  let single: TrainModel;
  beforeAll(async () => {
    model = await modelOf(transformer('T_color', 'color'), transformer('T_bg', 'background'));
    single = await modelOf(transformer('T_color', 'color'));
  });
  afterAll(() => {
    disposeModel(model);
    disposeModel(single);
  });

  /** Σ over T_i, Σ over the other D_j: BCE of D_j on T_i's image against the label it should read. */
  function expected(tr: Trainer, chained = true): number {
    const internals = tr as unknown as TrainerInternals;
    return tf.tidy(() => {
      const inp = internals.inputs(0, batch());
      const fakes = internals.fakes(0, internals.baseFeature(inp), inp, [0, 1]);
      let sum = 0;
      for (const i of [0, 1]) {
        const j = 1 - i;
        const label = chained && tr.chainBefore(0, i).includes(j) ? inp.target[j]! : inp.real[j]!;
        sum += bceWithLogits(model.discriminators[j]!.module.apply({ image: fakes.get(i)!.image }).logits, label).dataSync()[0]!;
      }
      return sum;
    });
  }

  it('adds every other D reading its attribute unchanged (the input\'s value) in each T_i\'s image', () => {
    const tr = new Trainer(model, { ...base, lambdaKeep: 2 });
    const want = expected(tr);
    const l = tr.step(0, batch());
    tr.dispose();
    expect(l.g_keep).toBeCloseTo(want, 4);
    expect(l.g_keep).toBeGreaterThan(0);
    expect(l.g_total).toBeCloseTo(l.g_adv! + l.g_cls! + 10 * l.g_rec! + 10 * l.g_cyc! + 2 * l.g_keep!, 3);
  });

  it('reads the target of a transformer chained before T_i as what T_i must keep', () => {
    const tr = new Trainer(model, { ...base, lambdaKeep: 1, chainProbability: 1 });
    // Every other transformer runs before T_i: D_j must read T_j's target, not the input's value.
    expect(tr.chainBefore(0, 0)).toEqual([1]);
    const want = expected(tr);
    const wrong = expected(tr, false);
    const l = tr.step(0, batch());
    tr.dispose();
    expect(l.g_keep).toBeCloseTo(want, 4);
    // The batch's targets differ from its labels here, so the two readings are told apart.
    expect(Math.abs(want - wrong)).toBeGreaterThan(1e-3);
  });

  it('is off by default, and absent with a single transformer (the StarGAN-style baseline)', () => {
    const off = new Trainer(model, base);
    expect(off.step(0, batch()).g_keep).toBeUndefined();
    off.dispose();
    const one = new Trainer(single, { ...base, frozen: ['D_T_color'], lambdaKeep: 1 });
    expect(one.step(0, batch()).g_keep).toBeUndefined();
    one.dispose();
  });
});
