// clsFakeNeither: with lambdaClsFake, D's head learns a binary attribute of a fake as 0.5
// (neither value) instead of 0, which is the value "no"; one-hot slots stay 0 (none of the values).
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNTHETIC_FACES } from '../../../core/graph/attributes';
import type { Graph } from '../../../core/graph/graph';
import { bceWithLogits } from '../../../core/train/losses';
import { type TrainModel, buildTrainModel, disposeModel } from '../../../core/train/model';
import { Trainer } from '../../../core/train/trainer';
import { type TrainerInternals, batchOf, modelOf, settings, transformer } from '../../helpers/trainer-cases';
import { useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

const base = settings({ lambdaClsFake: 1 });
const groups = [SYNTHETIC_FACES.hair, SYNTHETIC_FACES.smiling];
const faces: Graph = {
  nodes: [
    { id: 'E', kind: 'encoder', params: { imageSize: 16, baseChannels: 4 } },
    { id: 'T_hair', kind: 'transformer', params: { baseChannels: 4, resBlocks: 0, attributes: [SYNTHETIC_FACES.hair] } },
    { id: 'T_smile', kind: 'transformer', params: { baseChannels: 4, resBlocks: 0, attributes: [SYNTHETIC_FACES.smiling] } },
    { id: 'R', kind: 'reconstructor', params: { imageSize: 16, baseChannels: 4 } },
  ],
  edges: [],
};
/** Two 16 px faces: black hair and smiling, brown hair and not. */
const faceBatch = () => {
  const images = new Float32Array(2 * 16 * 16 * 3).map((_, i) => Math.cos(i * 0.37) * 0.7);
  return { index: 0, size: 2, images, labels: Float32Array.from([1, 0, 0, 1, 0, 0, 1, 0]) };
};

const built: TrainModel[] = [];
const facesModel = async () => built[built.push(await buildTrainModel(faces, { mode: 'translation', imageSize: 16, datasetGroups: groups, seed: 0, baseDir: '.' })) - 1]!;
afterAll(() => built.forEach(disposeModel));

/** Σ over D_i of BCE(D_i(its transformer's image), what a fake shows: `binary` in binary slots, 0 in one-hot ones). */
function expected(model: TrainModel, tr: Trainer, binary: number): number {
  const internals = tr as unknown as TrainerInternals;
  return tf.tidy(() => {
    const inp = internals.inputs(0, faceBatch());
    const fakes = internals.fakes(0, internals.baseFeature(inp), inp, [0, 1]);
    let sum = 0;
    model.discriminators.forEach((d, i) => {
      const logits = d.module.apply({ image: fakes.get(i)!.image }).logits;
      const row = i === 0 ? [0, 0, 0] : [binary];
      sum += bceWithLogits(logits, tf.tensor2d([row, row])).dataSync()[0]!;
    });
    return sum;
  });
}

describe('clsFakeNeither', () => {
  it('teaches D that a fake shows neither value of a binary attribute (0.5) and none of a one-hot group; the other terms stay', async () => {
    const [a, b] = [await facesModel(), await facesModel()];
    const on = new Trainer(a, { ...base, clsFakeNeither: true });
    const want = expected(a, on, 0.5);
    const l = on.step(0, faceBatch());
    on.dispose();
    const off = new Trainer(b, base);
    const wantOff = expected(b, off, 0);
    const lOff = off.step(0, faceBatch());
    off.dispose();
    expect(l.d_cls_fake).toBeCloseTo(want, 4);
    expect(lOff.d_cls_fake).toBeCloseTo(wantOff, 4);
    expect(Math.abs(want - wantOff)).toBeGreaterThan(0.01);
    for (const k of ['d_adv', 'd_gp', 'd_cls'] as const) expect(l[k]).toBeCloseTo(lOff[k]!, 5);
  });

  it('changes nothing when every attribute is one-hot', async () => {
    const models = [await modelOf(transformer('T_color', 'color'), transformer('T_bg', 'background')), await modelOf(transformer('T_color', 'color'), transformer('T_bg', 'background'))];
    built.push(...models);
    const batch = batchOf((i) => Math.sin(i * 0.29) * 0.8);
    const losses = [false, true].map((n, j) => {
      const tr = new Trainer(models[j]!, { ...base, clsFakeNeither: n });
      const out = tr.step(0, batch);
      tr.dispose();
      return out;
    });
    expect(losses[1]).toEqual(losses[0]);
  });
});
