// clsFakeBinary: with lambdaClsFake, what D's head learns a binary attribute of a fake as — 0
// ('absent', the default), 0.5 ('neither') or nothing ('skip'); one-hot slots stay 0 (none of
// the values); the mode can also be given per binary attribute by name.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNTHETIC_FACES } from '../../../core/graph/attributes';
import type { ClsFakeBinarySetting } from '../../../core/graph/format/schemas';
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

/** The faces graph with a third transformer, for glasses: two binary attributes to set apart. */
const threeGroups = [...groups, SYNTHETIC_FACES.glasses];
const threeFaces: Graph = {
  nodes: [...faces.nodes, { id: 'T_glasses', kind: 'transformer', params: { baseChannels: 4, resBlocks: 0, attributes: [SYNTHETIC_FACES.glasses] } }],
  edges: [],
};
/** faceBatch with glasses on the first face only. */
const threeBatch = () => ({ ...faceBatch(), labels: Float32Array.from([1, 0, 0, 1, 1, 0, 0, 1, 0, 0]) });
const threeModel = async () => built[built.push(await buildTrainModel(threeFaces, { mode: 'translation', imageSize: 16, datasetGroups: threeGroups, seed: 0, baseDir: '.' })) - 1]!;

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

  it('takes a mode per binary attribute by name (attributes not named: absent)', async () => {
    const model = await threeModel();
    const tr = new Trainer(model, { ...base, clsFakeBinary: { smiling: 'skip', glasses: 'neither' } });
    const internals = tr as unknown as TrainerInternals;
    // By hand: D_hair's three one-hot slots 0, D_smiling left out, D_glasses 0.5.
    const want = tf.tidy(() => {
      const inp = internals.inputs(0, threeBatch());
      const fakes = internals.fakes(0, internals.baseFeature(inp), inp, [0, 1, 2]);
      const read = (i: number) => model.discriminators[i]!.module.apply({ image: fakes.get(i)!.image }).logits;
      return bceWithLogits(read(0), tf.zeros([2, 3])).dataSync()[0]! + bceWithLogits(read(2), tf.fill([2, 1], 0.5)).dataSync()[0]!;
    });
    const got = tr.step(0, threeBatch()).d_cls_fake!;
    tr.dispose();
    expect(got).toBeCloseTo(want, 4);
    // The same model with one mode for all, and with each attribute named: what was asked of
    // glasses alone moves the term.
    const runs = await Promise.all(
      ([{ smiling: 'neither', glasses: 'neither' }, 'neither', { smiling: 'neither' }] as ClsFakeBinarySetting[]).map(async (mode) => {
        const m = await threeModel();
        const t = new Trainer(m, { ...base, clsFakeBinary: mode });
        const l = t.step(0, threeBatch()).d_cls_fake!;
        t.dispose();
        return l;
      }),
    );
    expect(runs[0]).toBeCloseTo(runs[1]!, 6);
    expect(Math.abs(runs[2]! - runs[1]!)).toBeGreaterThan(1e-3);
  });

  it('refuses a name that is not a binary attribute of any discriminator, naming it', async () => {
    const model = await threeModel();
    expect(() => new Trainer(model, { ...base, clsFakeBinary: { glases: 'absent' } })).toThrow(/clsFakeBinary: 'glases' is not a binary attribute.*smiling, glasses/);
    expect(() => new Trainer(model, { ...base, clsFakeBinary: { hair: 'skip' } })).toThrow(/'hair' is not a binary attribute/);
  });
});
