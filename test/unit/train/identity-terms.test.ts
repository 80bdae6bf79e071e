// lambdaRoundTrip, lambdaIdentity and lambdaMask: what keeps a transformer from redrawing what
// it was not asked to change. Each term is checked against its definition, computed here by hand.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { l1 } from '../../../core/train/losses';
import { disposeModel, type TrainModel } from '../../../core/train/model';
import { Trainer } from '../../../core/train/trainer';
import type { Encoder } from '../../../core/modules/encoder';
import type { Transformer } from '../../../core/modules/transformer';
import { type TrainerInternals, batchOf, modelOf, settings, transformer } from '../../helpers/trainer-cases';
import { useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

// Ds frozen and n_critic 1: the G step sees the weights the reference is computed with.
const base = settings({ frozen: ['D_T_color', 'D_T_bg'] });
const batch = () => batchOf((i) => Math.cos(i * 0.31) * 0.85);

const built: TrainModel[] = [];
const model = async () => built[built.push(await modelOf(transformer('T_color', 'color', 1), transformer('T_bg', 'background', 1))) - 1]!;
afterAll(() => built.forEach(disposeModel));

describe('identity terms', () => {
  it("lambdaRoundTrip: Σ_i |T_i(E(T_i's image), own value) − T_i's input|, weighted into g_total", async () => {
    const m = await model();
    const tr = new Trainer(m, { ...base, lambdaRoundTrip: 3 });
    const internals = tr as unknown as TrainerInternals;
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

  it('lambdaIdentity: Σ_i |R(T_i(E(x), own value)) − x|, weighted into g_total', async () => {
    const m = await model();
    const tr = new Trainer(m, { ...base, lambdaIdentity: 2 });
    const internals = tr as unknown as TrainerInternals;
    const want = tf.tidy(() => {
      const inp = internals.inputs(0, batch());
      const f = internals.baseFeature(inp);
      return m.transformers.reduce((sum, node, i) => {
        const kept = (node.module as Transformer).apply({ feature: f, condition: inp.real[i]! }).feature;
        return sum + l1(m.reconstructor.module.apply({ feature: kept }).image, inp.x[0] as tf.Tensor4D).dataSync()[0]!;
      }, 0);
    });
    const l = tr.step(0, batch());
    tr.dispose();
    expect(l.g_identity).toBeCloseTo(want, 5);
    expect(l.g_identity).toBeGreaterThan(0.01);
    // Not the reconstruction: a transformer between E and R changes the image.
    expect(Math.abs(l.g_identity! - 2 * l.g_rec!)).toBeGreaterThan(1e-4);
    expect(l.g_total).toBeCloseTo(l.g_adv! + l.g_cls! + 10 * l.g_rec! + 10 * l.g_cyc! + 2 * l.g_identity!, 3);
  });

  it("lambdaMask: Σ_i mean of T_i's mask in its own image, weighted into g_total", async () => {
    const m = await model();
    const tr = new Trainer(m, { ...base, lambdaMask: 0.5, chainProbability: 1 });
    const internals = tr as unknown as TrainerInternals;
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

  it('each is off by default (logs as before)', async () => {
    const tr = new Trainer(await model(), base);
    const l = tr.step(0, batch());
    tr.dispose();
    expect(l.g_round_trip).toBeUndefined();
    expect(l.g_identity).toBeUndefined();
    expect(l.g_mask).toBeUndefined();
  });
});
