// clsFakeBinary: with lambdaClsFake, what D's head learns a binary attribute of a fake as — 0
// ('absent', the default), 0.5 ('neither') or nothing ('skip'); one-hot slots stay 0 (none of
// the values).
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

/** Σ over D_i of BCE(D_i(its transformer's image), what a fake shows: `binary` in binary slots (none: left out), 0 in one-hot ones). */
function expected(model: TrainModel, tr: Trainer, binary: number | undefined): number {
  const internals = tr as unknown as TrainerInternals;
  return tf.tidy(() => {
    const inp = internals.inputs(0, faceBatch());
    const fakes = internals.fakes(0, internals.baseFeature(inp), inp, [0, 1]);
    let sum = 0;
    model.discriminators.forEach((d, i) => {
      const logits = d.module.apply({ image: fakes.get(i)!.image }).logits;
      if (i === 1 && binary === undefined) return; // D_smile reads one binary slot: nothing left
      const row = i === 0 ? [0, 0, 0] : [binary!];
      sum += bceWithLogits(logits, tf.tensor2d([row, row])).dataSync()[0]!;
    });
    return sum;
  });
}

describe('clsFakeBinary', () => {
  const modes = { absent: 0, neither: 0.5, skip: undefined } as const;

  it('teaches D what each mode says a fake shows in a binary slot, none of a one-hot group; the other terms stay', async () => {
    const runs = await Promise.all(
      (Object.keys(modes) as (keyof typeof modes)[]).map(async (mode) => {
        const model = await facesModel();
        const tr = new Trainer(model, { ...base, clsFakeBinary: mode });
        const want = expected(model, tr, modes[mode]);
        const l = tr.step(0, faceBatch());
        tr.dispose();
        return { want, l };
      }),
    );
    for (const { want, l } of runs) expect(l.d_cls_fake).toBeCloseTo(want, 4);
    expect(new Set(runs.map((r) => r.want.toFixed(3))).size).toBe(3);
    for (const { l } of runs.slice(1)) for (const k of ['d_adv', 'd_gp', 'd_cls'] as const) expect(l[k]).toBeCloseTo(runs[0]!.l[k]!, 5);
  });

  it('changes nothing when every attribute is one-hot', async () => {
    const models = [await modelOf(transformer('T_color', 'color'), transformer('T_bg', 'background')), await modelOf(transformer('T_color', 'color'), transformer('T_bg', 'background'))];
    built.push(...models);
    const batch = batchOf((i) => Math.sin(i * 0.29) * 0.8);
    const losses = (['absent', 'skip'] as const).map((n, j) => {
      const tr = new Trainer(models[j]!, { ...base, clsFakeBinary: n });
      const out = tr.step(0, batch);
      tr.dispose();
      return out;
    });
    expect(losses[1]).toEqual(losses[0]);
  });
});
