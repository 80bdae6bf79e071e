// training.sharedDiscriminator: one D, its head over every transformer's attributes, judges
// every transformer's image (StarGAN's single D); each transformer's terms read its slots.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWeightsFile } from '../../../core/files/weights-file';
import { COLOR_MNIST } from '../../../core/graph/attributes';
import { bceWithLogits, criticScore } from '../../../core/train/losses';
import { SharedJudge, type TrainModel, buildTrainModel, disposeModel } from '../../../core/train/model';
import { Trainer } from '../../../core/train/trainer';
import { type TrainerInternals, batchOf, settings, sharedModelOf, transformer } from '../../helpers/trainer-cases';
import { useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

const batch = () => batchOf((i) => Math.sin(i * 0.41) * 0.85);
const built: TrainModel[] = [];
const two = async () => built[built.push(await sharedModelOf(transformer('T_color', 'color'), transformer('T_bg', 'background'))) - 1]!;
afterAll(() => built.forEach(disposeModel));

describe('a shared discriminator', () => {
  it('is one D whose head holds each transformer\'s attributes, read by each through its slots', async () => {
    const model = await two();
    expect(model.sharedD?.id).toBe('D');
    expect(model.all.map((p) => p.id)).toEqual(['E', 'T_color', 'T_bg', 'R', 'D']);
    expect(model.sharedD!.module.params.attributes).toEqual([COLOR_MNIST.color, COLOR_MNIST.background]);
    expect(model.discriminators.map((d) => d.id)).toEqual(['D_T_color', 'D_T_bg']);
    const [color, bg] = model.discriminators.map((d) => d.module as SharedJudge);
    expect(color!.slots).toEqual([0, 1, 2, 3, 4]);
    expect(bg!.slots).toEqual([5, 6, 7, 8, 9]);
    // Each view is the shared D with its head cut to its slots.
    tf.tidy(() => {
      const image = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
      const full = model.sharedD!.module.apply({ image });
      const mine = bg!.apply({ image });
      expect(mine.logits.arraySync()).toEqual(tf.slice(full.logits, [0, 5], [2, 5]).arraySync());
      expect(mine.patch.arraySync()).toEqual(full.patch.arraySync());
    });
  });

  it('cuts slots that are not neighbours out of the head in their order, gradient included', async () => {
    const model = await two();
    const view = new SharedJudge(model.sharedD!.module, [1, 3, 4, 8], [COLOR_MNIST.color]);
    tf.tidy(() => {
      const logits = tf.tensor2d([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]]);
      expect(view.slice(logits).arraySync()).toEqual([[1, 3, 4, 8], [11, 13, 14, 18]]);
      const grad = tf.grad((x) => tf.sum(tf.mul(view.slice(x as tf.Tensor2D), tf.tensor1d([1, 2, 3, 4]))))(logits) as tf.Tensor2D;
      expect(grad.arraySync()[0]).toEqual([0, 1, 0, 2, 3, 0, 0, 0, 4, 0]);
    });
  });

  it("D's step: real images once against every transformer's fakes, every module's slots on real labels", async () => {
    const model = await two();
    const tr = new Trainer(model, settings({ lambdaClsFake: 1 }));
    const internals = tr as unknown as TrainerInternals;
    const d = model.sharedD!.module;
    const views = model.discriminators.map((v) => v.module as SharedJudge);
    const want = tf.tidy(() => {
      const inp = internals.inputs(0, batch());
      const fakes = internals.fakes(0, internals.baseFeature(inp), inp, [0, 1]);
      const x = inp.x[0] as tf.Tensor4D;
      const all = tf.concat([fakes.get(0)!.image, fakes.get(1)!.image]);
      const adv = tf.sub(tf.mean(criticScore(d.apply({ image: all }).patch)), tf.mean(criticScore(d.apply({ image: x }).patch)));
      const real = d.apply({ image: x }).logits;
      const cls = views.map((v, i) => bceWithLogits(v.slice(real), inp.real[i]!).dataSync()[0]!);
      // On fakes every slot of a one-hot group is learned as 0, on every transformer's images.
      const onFakes = d.apply({ image: all }).logits;
      const clsFake = views.map((v) => bceWithLogits(v.slice(onFakes), tf.zeros([4, 5]) as tf.Tensor2D).dataSync()[0]!);
      return { adv: adv.dataSync()[0]!, cls: cls[0]! + cls[1]!, clsFake: clsFake[0]! + clsFake[1]! };
    });
    const l = tr.step(0, batch());
    tr.dispose();
    expect(l.d_adv).toBeCloseTo(want.adv, 4);
    expect(l.d_cls).toBeCloseTo(want.cls, 4);
    expect(l.d_cls_fake).toBeCloseTo(want.clsFake, 4);
    expect(l.d_gp).toBeGreaterThan(0);
  });

  it('keep term: in T_i\'s image the other transformer\'s slots read the input\'s value, from the same pass', async () => {
    const model = await two();
    // D frozen (both transformers' D ids): the G step then sees the D the reference is computed with.
    const tr = new Trainer(model, settings({ frozen: ['D'], lambdaKeep: 2 }));
    const internals = tr as unknown as TrainerInternals;
    const views = model.discriminators.map((v) => v.module as SharedJudge);
    const want = tf.tidy(() => {
      const inp = internals.inputs(0, batch());
      const fakes = internals.fakes(0, internals.baseFeature(inp), inp, [0, 1]);
      let keep = 0;
      let cls = 0;
      for (const i of [0, 1]) {
        const logits = model.sharedD!.module.apply({ image: fakes.get(i)!.image }).logits;
        cls += bceWithLogits(views[i]!.slice(logits), inp.target[i]!).dataSync()[0]!;
        keep += bceWithLogits(views[1 - i]!.slice(logits), inp.real[1 - i]!).dataSync()[0]!;
      }
      return { keep, cls };
    });
    const l = tr.step(0, batch());
    tr.dispose();
    expect(l.d_adv).toBeUndefined();
    expect(l.g_keep).toBeCloseTo(want.keep, 4);
    expect(l.g_cls).toBeCloseTo(want.cls, 4);
  });

  it('is frozen with everything it judges, and otherwise learns from every transformer\'s images', async () => {
    const one = new Trainer(await two(), settings({ frozen: ['T_color'] }));
    expect(one.frozen.has('D')).toBe(false);
    expect(one.dOpt.vars.size).toBeGreaterThan(0);
    expect([...one.dOpt.vars.keys()].every((k) => k.startsWith('D/'))).toBe(true);
    expect((one as unknown as { activeD: number[] }).activeD).toEqual([0, 1]);
    one.dispose();
    const both = new Trainer(await two(), settings({ frozen: ['T_color', 'T_bg'] }));
    expect(both.frozen.has('D')).toBe(true);
    expect(both.dOpt.vars.size).toBe(0);
    both.dispose();
  });

  it("starts from a checkpoint's D.mgw beside a judged module's weights, or discriminatorWeights.D", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-shared-d-'));
    try {
      const trained = await two();
      await writeWeightsFile(join(dir, 'T_bg.mgw'), trained.transformers[1]!.module);
      await writeWeightsFile(join(dir, 'D.mgw'), trained.sharedD!.module);
      const graph = {
        nodes: [
          { id: 'E', kind: 'encoder', params: { imageSize: 16, baseChannels: 4 } },
          { ...transformer('T_color', 'color') },
          { ...transformer('T_bg', 'background'), params: { ...transformer('T_bg', 'background').params, weights: 'T_bg.mgw' } },
          { id: 'R', kind: 'reconstructor', params: { imageSize: 16, baseChannels: 4 } },
        ],
        edges: [],
      };
      const opts = { mode: 'translation' as const, imageSize: 16, datasetGroups: [COLOR_MNIST.digit, COLOR_MNIST.color, COLOR_MNIST.background], seed: 1, baseDir: dir, sharedDiscriminator: true };
      const again = await buildTrainModel(graph, opts);
      built.push(again);
      expect(again.sharedD!.module.params.weights).toBe(join(dir, 'D.mgw'));
      expect(again.sharedD!.module.variables['D.src.weight']!.arraySync()).toEqual(trained.sharedD!.module.variables['D.src.weight']!.arraySync());
      const named = await buildTrainModel(graph, { ...opts, discriminatorWeights: { D: 'elsewhere.mgw' } }).catch((e: Error) => e.message);
      expect(named).toMatch(/elsewhere\.mgw/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a graph with a node whose id the shared D would take', async () => {
    const graph = {
      nodes: [
        { id: 'E', kind: 'encoder', params: { imageSize: 16, baseChannels: 4 } },
        { id: 'D', kind: 'transformer', params: { baseChannels: 4, resBlocks: 0, attributes: [COLOR_MNIST.color] } },
        { id: 'R', kind: 'reconstructor', params: { imageSize: 16, baseChannels: 4 } },
      ],
      edges: [],
    };
    const opts = { mode: 'translation' as const, imageSize: 16, datasetGroups: [COLOR_MNIST.digit, COLOR_MNIST.color, COLOR_MNIST.background], seed: 0, baseDir: '.' };
    await expect(buildTrainModel(graph, { ...opts, sharedDiscriminator: true })).rejects.toThrow(/training.sharedDiscriminator: the graph has a node 'D'/);
  });
});
