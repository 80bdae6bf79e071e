// lambdaUnmasked: each masked transformer's f' is judged as its image is, and D learns it as a
// fake. Checked against the definitions, computed here by hand, with one D per transformer and
// with a shared D.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { bceWithLogits, criticScore, gradientPenalty } from '../../../core/train/losses';
import { disposeModel, type TrainModel } from '../../../core/train/model';
import { Trainer } from '../../../core/train/trainer';
import type { Transformer } from '../../../core/modules/transformer';
import { type TrainerInternals, batchOf, modelOf, settings, sharedModelOf, transformer } from '../../helpers/trainer-cases';
import { useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

// Ds frozen and n_critic 1: the G step sees the weights the reference is computed with.
const base = settings({ frozen: ['D_T_color', 'D_T_bg'], lambdaCls: 2 });
const batch = () => batchOf((i) => Math.sin(i * 0.23) * 0.8);

const built: TrainModel[] = [];
const keep = (m: TrainModel) => built[built.push(m) - 1]!;
afterAll(() => built.forEach(disposeModel));

/** Σ_i −mean critic(D_i(R(f'_i))) + λ_cls · BCE(D_i's logits on it, T_i's target), f'_i = T_i's f' on E(x). */
function byDefinition(m: TrainModel, tr: Trainer, lambdaCls: number): number {
  const internals = tr as unknown as TrainerInternals;
  return tf.tidy(() => {
    const inp = internals.inputs(0, batch());
    const f = internals.baseFeature(inp);
    return m.transformers.reduce((sum, node, i) => {
      const fPrime = (node.module as Transformer).unmasked(f, inp.target[i]!);
      const out = m.discriminators[i]!.module.apply({ image: m.reconstructor.module.apply({ feature: fPrime }).image });
      const adv = -tf.mean(criticScore(out.patch)).dataSync()[0]!;
      return sum + adv + lambdaCls * bceWithLogits(out.logits, inp.target[i]!).dataSync()[0]!;
    }, 0);
  });
}

describe('lambdaUnmasked', () => {
  it("Σ_i T_i's adversarial and classification terms on R(f'_i), weighted into g_total", async () => {
    const m = keep(await modelOf(transformer('T_color', 'color', 1), transformer('T_bg', 'background', 1)));
    const tr = new Trainer(m, { ...base, lambdaUnmasked: 0.7 });
    const want = byDefinition(m, tr, 2);
    const l = tr.step(0, batch());
    tr.dispose();
    expect(l.g_unmasked).toBeCloseTo(want, 4);
    // Not the masked image's own terms: the mask blends f' with f there.
    expect(Math.abs(l.g_unmasked! - (l.g_adv! + 2 * l.g_cls!))).toBeGreaterThan(1e-3);
    expect(l.g_total).toBeCloseTo(l.g_adv! + 2 * l.g_cls! + 10 * l.g_rec! + 10 * l.g_cyc! + 0.7 * l.g_unmasked!, 3);
  });

  it('reads a shared D as every other term does: its critic and each transformer\'s slots', async () => {
    const m = keep(await sharedModelOf(transformer('T_color', 'color'), transformer('T_bg', 'background')));
    const tr = new Trainer(m, { ...base, frozen: ['D'], lambdaUnmasked: 1 });
    const want = byDefinition(m, tr, 2);
    const l = tr.step(0, batch());
    tr.dispose();
    expect(l.g_unmasked).toBeCloseTo(want, 4);
  });

  it("moves the transformers' weights the masked terms alone do not", async () => {
    const weightsAfter = async (lambdaUnmasked: number | undefined) => {
      const m = keep(await modelOf(transformer('T_color', 'color')));
      const tr = new Trainer(m, { ...settings({ frozen: ['D_T_color'] }), ...(lambdaUnmasked === undefined ? {} : { lambdaUnmasked }) });
      tr.step(0, batch());
      tr.dispose();
      return Float32Array.from(m.transformers[0]!.module.variables['T.conv0.weight']!.dataSync());
    };
    const off = await weightsAfter(undefined);
    const on = await weightsAfter(5);
    expect(Math.max(...off.map((v, j) => Math.abs(v - on[j]!)))).toBeGreaterThan(1e-6);
  });

  it('is off by default, and a transformer without a mask gets no second term (f\' is its image)', async () => {
    const m = keep(await modelOf(transformer('T_color', 'color')));
    const one = settings({ frozen: ['D_T_color'], lambdaCls: 2 });
    const tr = new Trainer(m, one);
    expect(tr.step(0, batch()).g_unmasked).toBeUndefined();
    tr.dispose();
    const plain = { ...transformer('T_color', 'color'), params: { ...transformer('T_color', 'color').params, useMask: false } };
    const n = keep(await modelOf(plain as ReturnType<typeof transformer>));
    const tn = new Trainer(n, { ...one, lambdaUnmasked: 1 });
    expect(tn.step(0, batch()).g_unmasked).toBe(0);
    tn.dispose();
  });

  it("D_i learns R(f'_i) as a fake, weighted: critic, the penalty's interpolates, the head on fakes", async () => {
    const m = keep(await modelOf(transformer('T_color', 'color'), transformer('T_bg', 'background')));
    const w = 0.6;
    const tr = new Trainer(m, settings({ lambdaUnmasked: w, lambdaClsFake: 1 }));
    const internals = tr as unknown as TrainerInternals;
    const want = tf.tidy(() => {
      const inp = internals.inputs(0, batch());
      const fakes = internals.fakes(0, internals.baseFeature(inp), inp, [0, 1]);
      const x = inp.x[0] as tf.Tensor4D;
      let adv = 0;
      let gp = 0;
      let clsFake = 0;
      for (const i of [0, 1]) {
        const d = m.discriminators[i]!.module;
        const fake = fakes.get(i)!.image;
        const u = m.reconstructor.module.apply({ feature: fakes.get(i)!.unmasked! }).image;
        const critic = (img: tf.Tensor4D) => criticScore(d.apply({ image: img }).patch);
        const onReal = tf.mean(critic(x)).dataSync()[0]!;
        adv += tf.mean(critic(fake)).dataSync()[0]! - onReal + w * (tf.mean(critic(u)).dataSync()[0]! - onReal);
        const rand = seedrandom.alea(`3:gp:0:${i}`);
        const eps = tf.tensor1d([rand(), rand()]);
        const towards = tf.concat([0, 1].map((s) => tf.slice(rand() < 0.5 ? u : fake, [s, 0, 0, 0], [1, -1, -1, -1])));
        gp += gradientPenalty(critic, x, towards as tf.Tensor4D, eps).dataSync()[0]!;
        const zeros = (l: tf.Tensor2D) => bceWithLogits(l, tf.zerosLike(l)).dataSync()[0]!;
        clsFake += zeros(d.apply({ image: fake }).logits) + w * zeros(d.apply({ image: u }).logits);
      }
      return { adv, gp, clsFake };
    });
    const l = tr.step(0, batch());
    tr.dispose();
    expect(l.d_adv).toBeCloseTo(want.adv, 4);
    expect(l.d_gp).toBeCloseTo(want.gp, 4);
    expect(l.d_cls_fake).toBeCloseTo(want.clsFake, 4);
  });

  it("a shared D learns every R(f') as a fake, weighted, in the same pass", async () => {
    const m = keep(await sharedModelOf(transformer('T_color', 'color'), transformer('T_bg', 'background')));
    const w = 0.6;
    const tr = new Trainer(m, settings({ lambdaUnmasked: w, lambdaClsFake: 1 }));
    const internals = tr as unknown as TrainerInternals;
    const d = m.sharedD!.module;
    const want = tf.tidy(() => {
      const inp = internals.inputs(0, batch());
      const fakes = internals.fakes(0, internals.baseFeature(inp), inp, [0, 1]);
      const x = inp.x[0] as tf.Tensor4D;
      const mean = (img: tf.Tensor4D) => tf.mean(criticScore(d.apply({ image: img }).patch)).dataSync()[0]!;
      const all = tf.concat([0, 1].map((i) => fakes.get(i)!.image));
      const us = tf.concat([0, 1].map((i) => m.reconstructor.module.apply({ feature: fakes.get(i)!.unmasked! }).image));
      return mean(all) - mean(x) + w * (mean(us) - mean(x));
    });
    const l = tr.step(0, batch());
    tr.dispose();
    expect(l.d_adv).toBeCloseTo(want, 4);
  });
});
