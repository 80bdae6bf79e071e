// One training iteration of ModularGAN: a discriminator update on every iteration and a
// generator-side update (E or G, every T, R) every n_critic-th, as in StarGAN's schedule.
// Every random draw (target labels, noise, penalty interpolation) is a function of
// (seed, iteration), so the trainer's only state besides weights is the optimisers'.

import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import type { Batch } from '../data/loader';
import { seededPermutation, shuffleWith } from '../data/loader';
import type { ClsFakeBinary, ClsFakeBinarySetting } from '../graph/format/schemas';
import { type AttributeGroup, groupLength } from '../graph/ports';
import type { GanModule } from '../modules/create';
import type { Discriminator } from '../modules/discriminator';
import type { Generator } from '../modules/generator';
import { leanVariableGrads } from '../runtime/lean-gradients';
import { gaussian } from '../runtime/noise';
import { Adam, learningRateAt } from './adam';
import { type AugmentKind, augment } from './augment';
import { WeightAverage } from './ema';
import { bceWithLogits, criticScore, gradientPenalty, l1 } from './losses';
import type { Judge, Part, SharedJudge, TrainModel } from './model';

export interface TrainSettings {
  iterations: number;
  batchSize: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  nCritic: number;
  decayFrom?: number;
  /** Weight of the adversarial terms of D and G (default 1). */
  lambdaAdv?: number;
  lambdaGp: number;
  lambdaCls: number;
  lambdaRec: number;
  lambdaCyc: number;
  /**
   * Composition training (not in the paper; default 0 = off): each other transformer joins the
   * chain before T_i with this probability, in random order, so T_i learns to work on features
   * other transformers already changed, and D_i judges the composed image.
   */
  chainProbability?: number;
  /**
   * Keeping what was not asked (not in the paper; default 0 = off). Generation mode: weight of
   * G's own D reading G's condition (the digit) in every transformed image, so transformers keep
   * what G made (with no encoder there is no cycle loss to do that job). Translation mode: in
   * each T_i's image every other D reads its attribute as the input had it (or as a transformer
   * chained before T_i set it), so T_i changes only its own attribute.
   */
  lambdaKeep?: number;
  /**
   * Whole-chain term (not in the paper; default 0 = off): every transformer runs, in an order
   * drawn from (seed, iteration), and every D judges the one composed image — its realism, its
   * own attribute and (with lambdaKeep) G's condition. The check that matters at test time is
   * all attributes at once; without this term T_i is only judged when it runs last.
   */
  lambdaChain?: number;
  /**
   * Classifiers that fakes cannot fool (not in the paper; default 0 = off): each D's attribute
   * head also learns, with this weight, that generated images show none of its attributes
   * (every slot 0). With real images alone the head is easily satisfied by faint patterns G
   * learns to paint; here G only wins by drawing the attribute the way real images do.
   */
  lambdaClsFake?: number;
  /**
   * With lambdaClsFake, translation with several transformers (not in the paper; default off):
   * each D's head also learns that the image of one other transformer, drawn per iteration, shows
   * none of its attributes. Without it a D's head learns from real images and its own
   * transformer's fakes only, and the keep term (lambdaKeep) reads other transformers' images
   * with it; with it each D learns from every transformer's fakes, as the single D of a
   * StarGAN-style model does.
   */
  clsFakeOthers?: boolean;
  /**
   * With lambdaClsFake (not in the paper): what the slot of a binary attribute is learned as on
   * fakes. 'absent' (the default): 0, as for one-hot slots. But for a binary attribute 0 is a
   * value ("not smiling", "no glasses"): a head taught that fakes show 0 reads "looks generated"
   * as that value, so a transformer asked to remove the attribute is passed without removing it
   * (measured on faces: asked to stop smiling, 62% of T_smile's faces still smiled; asked to
   * smile, none failed). 'neither': 0.5, the binary form of what 0 says for a one-hot group
   * (none of the values); symmetric, but a head that reads fakes as undecided pushes less than
   * one that reads them as wrong (docs/results.md: on faces T_glasses then stopped adding
   * glasses). 'skip': binary slots are not learned on fakes (the paper's head, for them).
   * One-hot slots stay 0. (Teaching the head the other value than the one asked for
   * was tried and fails: it inverts the head's reading on fakes, so showing an attribute more
   * clearly makes a fake read as lacking it.) One mode for all, or a mode per binary attribute
   * by name (attributes not named: 'absent'), since what suits removing a smile need not suit
   * drawing glasses.
   */
  clsFakeBinary?: ClsFakeBinarySetting;
  /**
   * Translation with an encoder (not in the paper; default 0 = off): T_i's image, encoded again
   * and given to T_i with the value T_i's input had, gives back T_i's input features, L1
   * weighted by this (StarGAN's cycle through our modules; g_round_trip). The paper's feature
   * cycle only asks R and E to agree, so nothing stops a transformer from redrawing what it was
   * not asked to change (eye colour, skin, background) as long as D is fooled; what must come
   * back from the image cannot be lost from it. Costs one T pass per transformer: E of the image
   * is the feature cycle's.
   */
  lambdaRoundTrip?: number;
  /**
   * Translation with an encoder (not in the paper; default 0 = off): each transformer asked for
   * the value the input already has gives the input image back through R, L1 weighted by this
   * (g_identity; CycleGAN's identity loss). The reconstruction term trains R on E's features
   * only, while every picture a user sees is R of a transformer's features; this asks R and the
   * transformers to keep a face exactly where nothing is to change. Costs one T and one R pass
   * per transformer.
   */
  lambdaIdentity?: number;
  /**
   * Weight of the mean of each transformer's mask in its own image (not in the paper; default 0
   * = off; g_mask): a mask open everywhere lets a transformer touch the whole face, a sparse one
   * only where its attribute lives.
   */
  lambdaMask?: number;
  /**
   * Weight of each masked transformer's f' judged on its own (not in the paper; default 0 =
   * off; g_unmasked): R(f'), the image T_i would give with its mask open everywhere, gets T_i's
   * adversarial and classification terms as its own image does. With a mask, only g'·(f' − f)
   * reaches the image, so a mask half as open with f' twice as far from f gives the same image:
   * the mask penalty then slides the mask shut and f' past what it should draw, until f' can go
   * no further and the change is left half made (docs/results.md: T_hair's f' too dark with the
   * mask open, its mask at 0.2 on the hair). Judging f' itself fixes what f' draws, so the mask
   * decides only where. D_i learns R(f') as a fake too, with the same weight (its critic, its
   * penalty's interpolates, and with lambdaClsFake its head): judged by a D that never saw such
   * images, f' drifts to what D scores above real faces (measured: critic −2.6 on R(f') against
   * −7.5 on the exact answers). Costs one R pass per transformer and larger D batches.
   */
  lambdaUnmasked?: number;
  /**
   * Differentiable augmentation (not in the paper; default none): every image a D sees, real
   * and fake, goes through these DiffAugment policies first, drawn per image from (seed,
   * iteration, D). For small datasets, where D would otherwise memorise the real images.
   */
  augment?: readonly AugmentKind[];
  /**
   * Decay of an exponential moving average of the generator side's weights (not in the paper;
   * default off), updated after every generator update; samples, evaluation and export use it.
   */
  ema?: number;
  seed: number;
  /** Node ids (or D_<id>) whose weights stay fixed. */
  frozen: readonly string[];
}

/** Loss values of one iteration by name ("d_adv", "g_cyc", ...), plus the learning rate. */
export type Losses = Record<string, number>;

/** A loss came out NaN or infinite; nothing was updated with it. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly loss: string,
    readonly iteration: number,
    readonly value: number,
  ) {
    super(`loss '${loss}' is ${value} at iteration ${iteration}; training stopped before applying that update`);
  }
}

/** The stable key of a variable in optimiser state and checkpoints. */
export const variableKey = (partId: string, name: string): string => `${partId}/${name}`;

function trainableVars(parts: readonly Part<GanModule>[], frozen: ReadonlySet<string>): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  for (const p of parts) if (!frozen.has(p.id)) for (const [n, v] of Object.entries(p.module.variables)) out.set(variableKey(p.id, n), v);
  return out;
}

/** One D's image to judge, with what made it: T_i's output features and mask, and its input. */
interface Fake {
  readonly image: tf.Tensor4D;
  readonly feature?: tf.Tensor4D;
  readonly mask?: tf.Tensor4D;
  readonly input?: tf.Tensor4D;
  /** T_i's f' (lambdaUnmasked). */
  readonly unmasked?: tf.Tensor4D;
}

export class Trainer {
  readonly frozen: ReadonlySet<string>;
  readonly dOpt: Adam;
  readonly gOpt: Adam;
  /** The generator side's weight average, when training.ema is on. */
  readonly ema?: WeightAverage;
  /** D_i indices whose D is trained; the rest are skipped in the D step. */
  private readonly activeD: number[];

  constructor(
    readonly model: TrainModel,
    readonly cfg: TrainSettings,
  ) {
    const ids = new Set(model.all.map((p) => p.id));
    for (const f of cfg.frozen) if (!ids.has(f)) throw new Error(`frozen: no module '${f}' in the training model (${[...ids].join(', ')})`);
    // A discriminator is frozen with the module it judges: it has nothing new to learn.
    const frozen = new Set(cfg.frozen);
    model.discriminators.forEach((d, i) => {
      const judged = i < model.transformers.length ? model.transformers[i]!.id : model.base.id;
      if (frozen.has(judged)) frozen.add(d.id);
    });
    // A shared D is frozen when everything it judges is (or when named itself).
    if (model.sharedD && model.discriminators.every((d) => frozen.has(d.id))) frozen.add(model.sharedD.id);
    this.frozen = frozen;
    if (typeof cfg.clsFakeBinary === 'object') {
      const binary = new Set(model.discriminators.flatMap((d) => d.module.params.attributes as AttributeGroup[]).filter((g) => g.kind === 'binary').map((g) => g.name));
      for (const name of Object.keys(cfg.clsFakeBinary))
        if (!binary.has(name)) throw new Error(`training.clsFakeBinary: '${name}' is not a binary attribute of any discriminator (binary attributes: ${[...binary].join(', ') || 'none'})`);
    }
    // A shared D learns from every module's images while it is trained at all.
    const dTrained = (i: number) => (model.sharedD ? !frozen.has(model.sharedD.id) : !frozen.has(model.discriminators[i]!.id));
    this.activeD = model.discriminators.map((_, i) => i).filter(dTrained);
    this.dOpt = new Adam(trainableVars(model.sharedD ? [model.sharedD] : (model.discriminators as Part<Discriminator>[]), frozen), cfg.beta1, cfg.beta2);
    this.gOpt = new Adam(trainableVars([model.base, ...model.transformers, model.reconstructor], frozen), cfg.beta1, cfg.beta2);
    if (cfg.ema !== undefined) this.ema = new WeightAverage(this.gOpt.vars, cfg.ema);
  }

  /** Whether iteration k also updates the generator side. */
  updatesG(k: number): boolean {
    return (k + 1) % this.cfg.nCritic === 0;
  }

  /** Runs iteration k (0-based) on `batch`; returns its losses. Throws NonFiniteLossError. */
  step(k: number, batch: Batch): Losses {
    const lr = learningRateAt(k, this.cfg.learningRate, this.cfg.iterations, this.cfg.decayFrom);
    const inputs = this.inputs(k, batch);
    try {
      const losses: Losses = { lr };
      if (this.dOpt.vars.size) {
        // Fakes are constants for D: made before the gradient tape starts, so no gradient
        // flows into the generator side and the tape keeps none of their intermediates.
        // Per active D: its fake, and R(f') where its transformer's f' is judged (lambdaUnmasked).
        const { fakes, us } = tf.tidy(() => {
          const made = [...this.fakes(k, this.baseFeature(inputs), inputs, this.activeD).values()];
          return { fakes: made.map((v) => v.image), us: made.map((v) => v.unmasked && this.model.reconstructor.module.apply({ feature: v.unmasked }).image) };
        });
        try {
          Object.assign(losses, this.update(k, this.dOpt, lr, () => (this.model.sharedD ? this.dLossesShared(k, inputs, fakes, us) : this.dLosses(k, inputs, fakes, us))));
        } finally {
          tf.dispose([...fakes, ...us.filter((u) => u !== undefined)]);
        }
      }
      if (this.updatesG(k) && this.gOpt.vars.size) {
        Object.assign(losses, this.update(k, this.gOpt, lr, () => this.gLosses(k, inputs)));
        // The count of generator updates so far, this one included.
        this.ema?.update(Math.floor((k + 1) / this.cfg.nCritic));
      }
      return losses;
    } finally {
      tf.dispose(Object.values(inputs).flat());
    }
  }

  /** Tensors of one iteration: images, real labels and target labels per D part, noise. */
  private inputs(k: number, batch: Batch) {
    const { model, cfg } = this;
    const s = batch.images.length / batch.size / 3;
    const side = Math.round(Math.sqrt(s));
    return tf.tidy(() => {
      const x = tf.tensor4d(batch.images, [batch.size, side, side, 3]);
      const labels = tf.tensor2d(batch.labels, [batch.size, batch.labels.length / batch.size]);
      const real: tf.Tensor2D[] = [];
      const target: tf.Tensor2D[] = [];
      model.discriminators.forEach((d, i) => {
        const r = tf.gather(labels, tf.tensor1d(d.labelIndex as number[], 'int32'), 1) as tf.Tensor2D;
        // Targets: the labels of other images of the same batch (MISSION: shuffled within the batch).
        const perm = seededPermutation(batch.size, `${cfg.seed}:target:${k}:${i}`);
        real.push(r);
        target.push(tf.gather(r, tf.tensor1d(perm, 'int32'), 0) as tf.Tensor2D);
      });
      let z: tf.Tensor2D[] = [];
      if (model.mode === 'generation') {
        const len = (model.base.module as Generator).params.noiseLength as number;
        z = [tf.tensor2d(gaussian(`${cfg.seed}:z:${k}`, batch.size * len), [batch.size, len])];
      }
      return { x: [x], real, target, z };
    });
  }

  /** The shared feature map: E(x), or G(z, a0) with a0 the generator's target condition. */
  private baseFeature(inp: ReturnType<Trainer['inputs']>): tf.Tensor4D {
    const { base, transformers } = this.model;
    if (base.module.kind === 'E') return base.module.apply({ image: inp.x[0] as tf.Tensor4D }).feature;
    return base.module.apply({ noise: inp.z[0]!, condition: inp.target[transformers.length]! }).feature;
  }

  /**
   * The transformers that run before T_i in iteration k (chainProbability): a random subset of
   * the others in random order, drawn from (seed, k, i) so the D and G steps and a resumed run
   * see the same chain.
   */
  chainBefore(k: number, i: number): number[] {
    const p = this.cfg.chainProbability ?? 0;
    if (p <= 0) return [];
    const rand = seedrandom.alea(`${this.cfg.seed}:chain:${k}:${i}`);
    return shuffleWith(this.model.transformers.map((_, j) => j).filter((j) => j !== i && rand() < p), rand);
  }

  /** The order of all transformers in iteration k's whole-chain term (lambdaChain). */
  wholeChain(k: number): number[] {
    return seededPermutation(this.model.transformers.length, `${this.cfg.seed}:whole-chain:${k}`);
  }

  /** Whether D_i also judges T_i's f' (lambdaUnmasked): only a transformer with a mask has an f' of its own. */
  private judgesUnmasked(i: number): boolean {
    const t = this.model.transformers[i];
    return !!this.cfg.lambdaUnmasked && !!t && t.module.useMask;
  }

  /** Images to judge per D: R(T_i(chain(f), target_i)), and R(f) for the generator's own D. */
  private fakes(k: number, f: tf.Tensor4D, inp: ReturnType<Trainer['inputs']>, which: readonly number[]): Map<number, Fake> {
    const { transformers, reconstructor } = this.model;
    const out = new Map<number, Fake>();
    const apply = (j: number, g: tf.Tensor4D) => transformers[j]!.module.apply({ feature: g, condition: inp.target[j]! });
    for (const i of which) {
      if (i < transformers.length) {
        const input = this.chainBefore(k, i).reduce((g, j) => apply(j, g).feature, f);
        const { feature: ft, mask, unmasked } = transformers[i]!.module.parts({ feature: input, condition: inp.target[i]! });
        out.set(i, { image: reconstructor.module.apply({ feature: ft }).image, feature: ft, mask, input, ...(this.judgesUnmasked(i) ? { unmasked } : {}) });
      } else out.set(i, { image: reconstructor.module.apply({ feature: f }).image });
    }
    return out;
  }

  /** D's losses; `fakes[j]` is the image judged by D number activeD[j], `us[j]` its R(f') (lambdaUnmasked). */
  private dLosses(k: number, inp: ReturnType<Trainer['inputs']>, fakes: readonly tf.Tensor4D[], us: readonly (tf.Tensor4D | undefined)[]): Record<string, tf.Scalar> {
    const { cfg, model } = this;
    const x = inp.x[0] as tf.Tensor4D;
    let adv: tf.Scalar = tf.scalar(0);
    let gp: tf.Scalar = tf.scalar(0);
    let cls: tf.Scalar = tf.scalar(0);
    let clsFake: tf.Scalar = tf.scalar(0);
    const fakeWeight = cfg.lambdaClsFake ?? 0;
    const unmaskedWeight = cfg.lambdaUnmasked ?? 0;
    const n = x.shape[0];
    this.activeD.forEach((i, j) => {
      const d = model.discriminators[i]!.module;
      const fake = fakes[j]!;
      const u = us[j];
      const blocks = u ? [x, fake, u] : [x, fake];
      // Real and fake images go through D as one batch (D has no op across samples): each
      // weight then gets one gradient from this pass instead of two the tape must add up, and
      // the convolutions run on batches twice as large.
      const seen = this.seenByD(tf.concat(blocks, 0), `d:${k}:${i}`);
      const both = d.apply({ image: seen });
      const [onReal, onFake, onU] = tf.split(criticScore(both.patch), blocks.length);
      adv = tf.add(adv, tf.sub(tf.mean(onFake!), tf.mean(onReal!)));
      if (onU) adv = tf.add(adv, tf.mul(tf.sub(tf.mean(onU), tf.mean(onReal!)), unmaskedWeight));
      const rand = seedrandom.alea(`${cfg.seed}:gp:${k}:${i}`);
      const eps = tf.tensor1d(Array.from({ length: n }, () => rand()));
      // With augmentation the penalty holds D to 1-Lipschitz between the images it actually
      // sees (augmented real and fake), and needs no second derivative of the augmentation.
      const [realSeen, fakeSeen, uSeen] = cfg.augment?.length ? (tf.split(seen, blocks.length) as tf.Tensor4D[]) : blocks;
      // With R(f') judged too, each real image's interpolate is drawn towards its fake or its R(f').
      const towards = uSeen ? pickPerImage(fakeSeen!, uSeen, Array.from({ length: n }, () => rand() < 0.5)) : fakeSeen!;
      gp = tf.add(gp, gradientPenalty((img) => criticScore(d.apply({ image: img }).patch), realSeen!, towards, eps));
      if (d.conditionLength) {
        const [logitsReal, logitsFake, logitsU] = tf.split(both.logits, blocks.length) as tf.Tensor2D[];
        cls = tf.add(cls, bceWithLogits(logitsReal!, inp.real[i]!));
        if (fakeWeight) clsFake = tf.add(clsFake, this.fakeCls(d, logitsFake!));
        if (fakeWeight && logitsU) clsFake = tf.add(clsFake, tf.mul(this.fakeCls(d, logitsU), unmaskedWeight));
      }
    });
    if (fakeWeight && cfg.clsFakeOthers) {
      const nT = model.transformers.length;
      for (const i of this.activeD) {
        const d = model.discriminators[i]!.module;
        const others = this.activeD.map((o, p) => [o, p] as const).filter(([o]) => o !== i && o < nT);
        if (i >= nT || !d.conditionLength || !others.length) continue;
        // One other transformer per D and iteration, drawn from (seed, k, D): its image costs one
        // more D pass, where judging all of them would cost one per transformer.
        const [o, p] = others[Math.floor(seedrandom.alea(`${cfg.seed}:cls-fake:${k}:${i}`)() * others.length)]!;
        const logits = d.apply({ image: this.seenByD(fakes[p]!, `d:${k}:${i}:of:${o}`) }).logits;
        clsFake = tf.add(clsFake, this.fakeCls(d, logits));
      }
    }
    return this.dTerms(adv, gp, cls, clsFake);
  }

  /** D's terms by name and their weighted total. */
  private dTerms(adv: tf.Scalar, gp: tf.Scalar, cls: tf.Scalar, clsFake: tf.Scalar): Record<string, tf.Scalar> {
    const { cfg } = this;
    const fakeWeight = cfg.lambdaClsFake ?? 0;
    const terms = [weighted(adv, cfg.lambdaAdv), tf.mul(gp, cfg.lambdaGp), tf.mul(cls, cfg.lambdaCls)];
    // Logged only when on, so logs of runs without it stay as they were.
    if (fakeWeight) terms.push(tf.mul(clsFake, fakeWeight));
    const total = tf.addN(terms) as tf.Scalar;
    return { d_adv: adv, d_gp: gp, d_cls: cls, ...(fakeWeight ? { d_cls_fake: clsFake } : {}), d_total: total };
  }

  /**
   * D's losses with one D shared by every transformer (training.sharedDiscriminator), as
   * StarGAN's single D: the real batch once and every transformer's fakes after it in one pass,
   * one penalty between each real image and a fake drawn for it among them, the head on real
   * images against every module's labels, and (lambdaClsFake) every slot on every module's fakes;
   * with lambdaUnmasked every R(f') after the fakes, as further fakes.
   */
  private dLossesShared(k: number, inp: ReturnType<Trainer['inputs']>, fakes: readonly tf.Tensor4D[], us: readonly (tf.Tensor4D | undefined)[]): Record<string, tf.Scalar> {
    const { cfg, model } = this;
    const unmasked = us.filter((u) => u !== undefined);
    const d = model.sharedD!.module;
    const x = inp.x[0] as tf.Tensor4D;
    const n = x.shape[0];
    const nF = fakes.length;
    const nU = unmasked.length;
    const unmaskedWeight = cfg.lambdaUnmasked ?? 0;
    const seen = this.seenByD(tf.concat([x, ...fakes, ...unmasked], 0), `d:${k}:shared`);
    const out = d.apply({ image: seen });
    const sizes = nU ? [n, n * nF, n * nU] : [n, n * nF];
    const [onReal, onFake, onU] = tf.split(criticScore(out.patch), sizes);
    let adv = tf.sub(tf.mean(onFake!), tf.mean(onReal!)) as tf.Scalar;
    if (nU) adv = tf.add(adv, tf.mul(tf.sub(tf.mean(onU!), tf.mean(onReal!)), unmaskedWeight));
    const rand = seedrandom.alea(`${cfg.seed}:gp:${k}:shared`);
    const eps = tf.tensor1d(Array.from({ length: n }, () => rand()));
    // Each real image's interpolate goes towards a fake drawn for it (or an R(f'), lambdaUnmasked).
    const pick = Array.from({ length: n }, (_, s) => Math.floor(rand() * (nF + nU)) * n + s);
    const [realSeen, fakesSeen] = cfg.augment?.length ? (tf.split(seen, [n, n * (nF + nU)]) as [tf.Tensor4D, tf.Tensor4D]) : [x, tf.concat([...fakes, ...unmasked], 0)];
    const fakeSeen = tf.gather(fakesSeen, tf.tensor1d(pick, 'int32')) as tf.Tensor4D;
    const gp = gradientPenalty((img) => criticScore(d.apply({ image: img }).patch), realSeen, fakeSeen, eps);
    const [logitsReal, logitsFake, logitsU] = tf.split(out.logits, sizes) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D | undefined];
    const fakeWeight = cfg.lambdaClsFake ?? 0;
    let cls: tf.Scalar = tf.scalar(0);
    let clsFake: tf.Scalar = tf.scalar(0);
    for (const i of this.activeD) {
      const view = model.discriminators[i]!.module as SharedJudge;
      if (!view.conditionLength) continue;
      cls = tf.add(cls, bceWithLogits(view.slice(logitsReal), inp.real[i]!));
      if (fakeWeight) clsFake = tf.add(clsFake, this.fakeCls(view, view.slice(logitsFake)));
      if (fakeWeight && logitsU) clsFake = tf.add(clsFake, tf.mul(this.fakeCls(view, view.slice(logitsU)), unmaskedWeight));
    }
    return this.dTerms(adv, gp, cls, clsFake);
  }

  private gLosses(k: number, inp: ReturnType<Trainer['inputs']>): Record<string, tf.Scalar> {
    const { cfg, model } = this;
    const x = inp.x[0] as tf.Tensor4D;
    const f = this.baseFeature(inp);
    const all = model.discriminators.map((_, i) => i);
    const fakes = this.fakes(k, f, inp, all);
    const nT = model.transformers.length;
    // G's own D, when it reads G's condition: it checks that transformers keep that condition.
    const baseD = model.discriminators[nT]?.module;
    const keepWeight = model.mode === 'generation' && baseD?.conditionLength ? (cfg.lambdaKeep ?? 0) : 0;
    // Translation: every other D reads its own attribute in T_i's image as it should be there
    // (the input's value, or the target of a transformer that ran before T_i), so a transformer
    // leaves alone what it was not asked to change. One T (the StarGAN-style baseline) has no others.
    const keepOthers = model.mode === 'translation' && nT > 1 ? (cfg.lambdaKeep ?? 0) : 0;
    let adv: tf.Scalar = tf.scalar(0);
    let cls: tf.Scalar = tf.scalar(0);
    let cyc: tf.Scalar = tf.scalar(0);
    let rec: tf.Scalar = tf.scalar(0);
    let keep: tf.Scalar = tf.scalar(0);
    const roundTripWeight = model.base.module.kind === 'E' ? (cfg.lambdaRoundTrip ?? 0) : 0;
    const maskWeight = cfg.lambdaMask ?? 0;
    const identityWeight = model.base.module.kind === 'E' ? (cfg.lambdaIdentity ?? 0) : 0;
    let identity: tf.Scalar = tf.scalar(0);
    const unmaskedWeight = cfg.lambdaUnmasked ?? 0;
    let unmaskedTerm: tf.Scalar = tf.scalar(0);
    let roundTrip: tf.Scalar = tf.scalar(0);
    let maskMean: tf.Scalar = tf.scalar(0);
    for (const i of all) {
      const { image, feature, mask, input, unmasked } = fakes.get(i)!;
      if (maskWeight && mask) maskMean = tf.add(maskMean, tf.mean(mask));
      const d = model.discriminators[i]!.module;
      // A shared D reads T_i's image once; every D_j's reading of it is its slots of that pass.
      const read = this.reader(image, `g:${k}:${i}`);
      const out = read(i, `g:${k}:${i}`);
      adv = tf.sub(adv, tf.mean(criticScore(out.patch)));
      if (d.conditionLength) cls = tf.add(cls, bceWithLogits(out.logits, inp.target[i]!));
      if (keepWeight && i < nT) keep = tf.add(keep, bceWithLogits(read(nT, `keep:${k}:${i}`).logits, inp.target[nT]!));
      if (keepOthers && i < nT) {
        const before = this.chainBefore(k, i);
        for (let j = 0; j < nT; j++) {
          const dj = model.discriminators[j]!.module;
          if (j === i || !dj.conditionLength) continue;
          const label = before.includes(j) ? inp.target[j]! : inp.real[j]!;
          keep = tf.add(keep, bceWithLogits(read(j, `keep:${k}:${i}:${j}`).logits, label));
        }
      }
      // Feature cycle: the translated features should survive a trip through R and E.
      if (feature && model.base.module.kind === 'E') {
        const again = model.base.module.apply({ image }).feature;
        cyc = tf.add(cyc, l1(feature, again));
        // T_i never changes itself in a chain before it, so its input held the input's own value.
        if (roundTripWeight && input) roundTrip = tf.add(roundTrip, l1(model.transformers[i]!.module.apply({ feature: again, condition: inp.real[i]! }).feature, input));
      }
      // f' judged as T_i's image is: realism and the asked attribute, not what the mask keeps.
      if (unmasked) {
        const u = this.reader(model.reconstructor.module.apply({ feature: unmasked }).image, `unmasked:${k}:${i}`)(i, `unmasked:${k}:${i}`);
        unmaskedTerm = tf.add(unmaskedTerm, weighted(tf.neg(tf.mean(criticScore(u.patch))) as tf.Scalar, cfg.lambdaAdv));
        if (d.conditionLength) unmaskedTerm = tf.add(unmaskedTerm, tf.mul(bceWithLogits(u.logits, inp.target[i]!), cfg.lambdaCls));
      }
      if (identityWeight && i < nT) {
        const kept = model.transformers[i]!.module.apply({ feature: f, condition: inp.real[i]! }).feature;
        identity = tf.add(identity, l1(model.reconstructor.module.apply({ feature: kept }).image, x));
      }
    }
    if (model.base.module.kind === 'E') rec = l1(model.reconstructor.module.apply({ feature: f }).image, x);
    const terms = [weighted(adv, cfg.lambdaAdv), tf.mul(cls, cfg.lambdaCls), tf.mul(rec, cfg.lambdaRec), tf.mul(cyc, cfg.lambdaCyc)];
    // The extra terms are logged only when they are on, so logs of runs without them stay as they were.
    if (keepWeight || keepOthers) terms.push(tf.mul(keep, keepWeight || keepOthers));
    if (roundTripWeight) terms.push(tf.mul(roundTrip, roundTripWeight));
    if (maskWeight) terms.push(tf.mul(maskMean, maskWeight));
    if (identityWeight) terms.push(tf.mul(identity, identityWeight));
    if (unmaskedWeight) terms.push(tf.mul(unmaskedTerm, unmaskedWeight));
    const chainWeight = cfg.lambdaChain ?? 0;
    let chain: tf.Scalar | undefined;
    // With one transformer the whole chain is that transformer's own term (the StarGAN-style
    // baseline has one): counting it twice would change that model's objective, not compose.
    if (chainWeight && nT > 1) {
      const ft = this.wholeChain(k).reduce((g, j) => model.transformers[j]!.module.apply({ feature: g, condition: inp.target[j]! }).feature, f);
      const image = model.reconstructor.module.apply({ feature: ft }).image;
      const parts: tf.Scalar[] = [];
      const read = this.reader(image, `chain:${k}`);
      for (let i = 0; i < nT; i++) {
        const d = model.discriminators[i]!.module;
        const out = read(i, `chain:${k}:${i}`);
        // One critic judges the composed image once when it is shared.
        if (i === 0 || !model.sharedD) parts.push(weighted(tf.neg(tf.mean(criticScore(out.patch))) as tf.Scalar, cfg.lambdaAdv));
        if (d.conditionLength) parts.push(tf.mul(bceWithLogits(out.logits, inp.target[i]!), cfg.lambdaCls));
      }
      if (keepWeight) parts.push(tf.mul(bceWithLogits(read(nT, `chain-keep:${k}`).logits, inp.target[nT]!), keepWeight));
      chain = tf.addN(parts) as tf.Scalar;
      terms.push(tf.mul(chain, chainWeight));
    }
    const total = tf.addN(terms) as tf.Scalar;
    return {
      g_adv: adv,
      g_cls: cls,
      g_rec: rec,
      g_cyc: cyc,
      ...(keepWeight || keepOthers ? { g_keep: keep } : {}),
      ...(chain ? { g_chain: chain } : {}),
      ...(roundTripWeight ? { g_round_trip: roundTrip } : {}),
      ...(maskWeight ? { g_mask: maskMean } : {}),
      ...(identityWeight ? { g_identity: identity } : {}),
      ...(unmaskedWeight ? { g_unmasked: unmaskedTerm } : {}),
      g_total: total,
    };
  }

  /**
   * D's head reading fakes (lambdaClsFake), BCE towards: 0 in one-hot slots; in a binary slot
   * what its attribute's clsFakeBinary mode says — 0 ('absent'), 0.5 ('neither'), or left out
   * ('skip': learned from real images only).
   */
  private fakeCls(d: Judge, logits: tf.Tensor2D): tf.Scalar {
    const setting = this.cfg.clsFakeBinary ?? 'absent';
    const modeOf = (g: AttributeGroup): ClsFakeBinary | undefined => (g.kind !== 'binary' ? undefined : typeof setting === 'string' ? setting : (setting[g.name] ?? 'absent'));
    // One entry per slot: its target on fakes, or undefined where the slot is left out.
    const row = (d.params.attributes as AttributeGroup[]).flatMap((g) => {
      const mode = modeOf(g);
      return Array<number | undefined>(groupLength(g)).fill(mode === 'skip' ? undefined : mode === 'neither' ? 0.5 : 0);
    });
    const kept = row.flatMap((t, j) => (t === undefined ? [] : [j]));
    if (!kept.length) return tf.scalar(0);
    const part = kept.length === row.length ? logits : (tf.gather(logits, tf.tensor1d(kept, 'int32'), 1) as tf.Tensor2D);
    return bceWithLogits(part, tf.tile(tf.tensor2d([kept.map((j) => row[j]!)]), [logits.shape[0], 1]));
  }

  /**
   * How D_j reads `image`: its own pass on the image as augmented by `key` (one D per module),
   * or its slots of one pass of the shared D (augmented by `sharedKey`), made at the first read.
   */
  private reader(image: tf.Tensor4D, sharedKey: string): (j: number, key: string) => { patch: tf.Tensor4D; logits: tf.Tensor2D } {
    const { model } = this;
    if (!model.sharedD) return (j, key) => model.discriminators[j]!.module.apply({ image: this.seenByD(image, key) });
    let full: { patch: tf.Tensor4D; logits: tf.Tensor2D } | undefined;
    return (j) => {
      full ??= model.sharedD!.module.apply({ image: this.seenByD(image, sharedKey) });
      return { patch: full.patch, logits: (model.discriminators[j]!.module as SharedJudge).slice(full.logits) };
    };
  }

  /** What a D is shown of `images`: themselves, or their augmentation (training.augment) drawn from `key`. */
  private seenByD(images: tf.Tensor4D, key: string): tf.Tensor4D {
    return augment(images, this.cfg.augment ?? [], `${this.cfg.seed}:augment:${key}`);
  }

  /** Computes losses and gradients, checks every loss is finite, then applies the update. */
  private update(k: number, opt: Adam, lr: number, f: () => Record<string, tf.Scalar>): Losses {
    const parts: Record<string, tf.Scalar> = {};
    const keyOf = new Map([...opt.vars].map(([key, v]) => [v.name, key]));
    const { value, grads } = leanVariableGrads(() => {
      const terms = f();
      for (const [name, t] of Object.entries(terms)) parts[name] = tf.keep(t);
      return terms[Object.keys(terms).find((n) => n.endsWith('_total'))!]!;
    }, [...opt.vars.values()]);
    try {
      const losses: Losses = {};
      for (const [name, t] of Object.entries(parts)) {
        const v = t.dataSync()[0]!;
        if (!Number.isFinite(v)) throw new NonFiniteLossError(name, k, v);
        losses[name] = v;
      }
      const named = new Map<string, tf.Tensor>();
      for (const [vname, g] of Object.entries(grads)) named.set(keyOf.get(vname)!, g);
      opt.apply(named, lr);
      return losses;
    } finally {
      tf.dispose([value, ...Object.values(grads), ...Object.values(parts)]);
    }
  }

  dispose(): void {
    this.dOpt.dispose();
    this.gOpt.dispose();
    this.ema?.dispose();
  }
}

/** Per image s, row s of `b` where `useB[s]`, else of `a` (a blend, so no gather's gradient is needed). */
function pickPerImage(a: tf.Tensor4D, b: tf.Tensor4D, useB: readonly boolean[]): tf.Tensor4D {
  const m = tf.tensor4d(useB.map(Number), [useB.length, 1, 1, 1]);
  return tf.add(tf.mul(a, tf.sub(1, m)), tf.mul(b, m));
}

/** A loss term times its weight; a weight of 1 (the default) adds no operation at all. */
function weighted(x: tf.Scalar, w: number | undefined): tf.Scalar {
  return w === undefined || w === 1 ? x : (tf.mul(x, w) as tf.Scalar);
}

