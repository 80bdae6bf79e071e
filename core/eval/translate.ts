// Translating test images with a trained model for a target: E(x) (or G(z, digit)), then the
// chain of transformers that change the target's attribute groups, each given its target
// condition, then R. The StarGAN-style baseline is the same with its single transformer
// given the whole target label vector. Also: the chain without masks (each T's f' replaces
// f outright, the ablation of the mask), and the sum of the chain's masks (Figure 6).

import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { type AttributeGroup, groupLength } from '../graph/ports';
import type { Generator } from '../modules/generator';
import { gaussian } from '../runtime/noise';
import type { TrainModel } from '../train/model';

/** One evaluation target: the set of attribute groups to change ("H", "HG", "HGS"). */
export interface Target {
  /** Short column name: the groups' initials (the paper's H, G, S), or names when initials clash. */
  readonly code: string;
  readonly groups: readonly string[];
}

/** Every non-empty subset of `groups`, by size, then in group order: H, G, S, HG, HS, GS, HGS. */
export function allTargets(groups: readonly string[]): Target[] {
  const initials = groups.map((g) => g[0]!.toUpperCase());
  const unique = new Set(initials).size === initials.length;
  const out: Target[] = [];
  for (let size = 1; size <= groups.length; size++) {
    const pick = (from: number, chosen: number[]): void => {
      if (chosen.length === size) {
        out.push({ code: chosen.map((i) => (unique ? initials[i] : groups[i])).join(unique ? '' : '+'), groups: chosen.map((i) => groups[i]!) });
        return;
      }
      for (let i = from; i < groups.length; i++) pick(i + 1, [...chosen, i]);
    };
    pick(0, []);
  }
  return out;
}

/** Where each group sits in the label vector. */
export function groupSlots(groups: readonly AttributeGroup[]): Map<string, { at: number; group: AttributeGroup }> {
  const m = new Map<string, { at: number; group: AttributeGroup }>();
  let at = 0;
  for (const g of groups) {
    m.set(g.name, { at, group: g });
    at += groupLength(g);
  }
  return m;
}

/**
 * The target value index of `group` for test item `item`: always a value other than the
 * item's own (binary: the other one), drawn from (seed, item, group) so every method and
 * every target asks for the same change.
 */
export function targetValue(group: AttributeGroup, source: number, item: number, seed: number): number {
  const n = group.kind === 'onehot' ? group.values.length : 2;
  const r = seedrandom.alea(`${seed}:eval-target:${item}:${group.name}`)();
  return (source + 1 + Math.floor(r * (n - 1))) % n;
}

/** The label vector with the target's groups set to their target values. */
export function targetLabels(
  labels: Float32Array,
  slots: ReturnType<typeof groupSlots>,
  target: Target,
  values: ReadonlyMap<string, number>,
): Float32Array {
  const out = Float32Array.from(labels);
  for (const name of target.groups) {
    const { at, group } = slots.get(name)!;
    const v = values.get(name)!;
    if (group.kind === 'binary') out[at] = v;
    else for (let j = 0; j < group.values.length; j++) out[at + j] = j === v ? 1 : 0;
  }
  return out;
}

export interface TranslateInput {
  /** N×S×S×3 source images (translation mode). */
  readonly images: Float32Array;
  /** N × label length: the items' own labels. */
  readonly labels: Float32Array;
  /** N × label length: what to ask for. */
  readonly targets: Float32Array;
  /** Test item indices, for generation noise. */
  readonly items: readonly number[];
  readonly n: number;
}

export interface TranslateOptions {
  /** Transformer positions in model.transformers, applied in this order. */
  readonly chain: readonly number[];
  readonly useMask?: boolean;
  readonly seed: number;
}

/** Images N×S×S×3 and the chain's summed masks N×h×w×1 (feature resolution), as arrays. */
export async function translate(model: TrainModel, size: number, input: TranslateInput, opts: TranslateOptions): Promise<{ images: Float32Array; maskSum: Float32Array; maskSide: number }> {
  const { images, maskSum } = tf.tidy(() => {
    const len = input.labels.length / input.n;
    const own = tf.tensor2d(input.labels, [input.n, len]);
    const want = tf.tensor2d(input.targets, [input.n, len]);
    const pick = (t: tf.Tensor2D, idx: readonly number[]) => tf.gather(t, tf.tensor1d(idx as number[], 'int32'), 1) as tf.Tensor2D;
    let f: tf.Tensor4D;
    if (model.base.module.kind === 'E') f = model.base.module.apply({ image: tf.tensor4d(input.images, [input.n, size, size, 3]) }).feature;
    else {
      const g = model.base.module as Generator;
      const nl = g.params.noiseLength as number;
      const noise = new Float32Array(input.n * nl);
      input.items.forEach((item, i) => noise.set(gaussian(`${opts.seed}:eval:${item}`, nl), i * nl));
      f = g.apply({ noise: tf.tensor2d(noise, [input.n, nl]), condition: pick(own, model.base.labelIndex) }).feature;
    }
    let sum = tf.zeros([input.n, f.shape[1], f.shape[2], 1]) as tf.Tensor4D;
    for (const j of opts.chain) {
      const t = model.transformers[j]!;
      const c = pick(want, t.labelIndex);
      if (opts.useMask === false) f = t.module.unmasked(f, c);
      else {
        const out = t.module.apply({ feature: f, condition: c });
        f = out.feature;
        sum = tf.add(sum, out.mask);
      }
    }
    return { images: tf.clipByValue(model.reconstructor.module.apply({ feature: f }).image, -1, 1), maskSum: sum };
  });
  const side = maskSum.shape[1]!;
  const out = { images: (await images.data()) as Float32Array, maskSum: (await maskSum.data()) as Float32Array, maskSide: side };
  images.dispose();
  maskSum.dispose();
  return out;
}
