// Differentiable augmentation (DiffAugment: Zhao, Liu, Lin, Zhu, Han, NeurIPS 2020) of every
// image a discriminator sees, real and fake alike, so a small dataset does not let D memorise
// its real images. Because fakes are augmented too and every op is differentiable, G still gets
// a gradient through the augmentation, and D's judgement stays about the images, not about the
// augmentation. Images are NHWC in [-1, 1].
//
// Every op here is linear in the image (adds, products with constants, means, matrix products
// with 0/1 matrices), so the gradient penalty can differentiate through it twice: tfjs-core gets
// second derivatives of these right, unlike those of gather or of any nonlinearity.

import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import type { AUGMENT_KINDS } from '../graph/format/schemas';

/** A policy, as DiffAugment names it; `training.augment` lists which to apply. */
export type AugmentKind = (typeof AUGMENT_KINDS)[number];

/** Translation moves an image by up to this fraction of its side; cutout blanks a square of this fraction. */
const SHIFT_RATIO = 1 / 8;
const CUTOUT_RATIO = 1 / 2;

/** The random part of one augmentation of n images: drawn once, applied by `applyAugment`. */
export interface AugmentDraw {
  readonly kinds: readonly AugmentKind[];
  readonly n: number;
  readonly size: number;
  /** color: brightness offset in [-0.5, 0.5), saturation factor in [0, 2), contrast factor in [0.5, 1.5). */
  readonly brightness: Float32Array;
  readonly saturation: Float32Array;
  readonly contrast: Float32Array;
  /** translation: rows and columns each image moves by (down/right positive). */
  readonly shiftY: Int32Array;
  readonly shiftX: Int32Array;
  /** cutout: the top-left corner of the blanked square (may start above or left of the image). */
  readonly cutY: Int32Array;
  readonly cutX: Int32Array;
}

/**
 * Draws an augmentation of n square images of side `size` from `key` alone, so a resumed run
 * and an uninterrupted one draw the same (the trainer keys by seed, iteration and D).
 */
export function drawAugment(kinds: readonly AugmentKind[], n: number, size: number, key: string): AugmentDraw {
  const rand = seedrandom.alea(key);
  const floats = (f: () => number) => Float32Array.from({ length: n }, f);
  const ints = (lo: number, hi: number) => Int32Array.from({ length: n }, () => lo + Math.floor(rand() * (hi - lo + 1)));
  const shift = Math.floor(size * SHIFT_RATIO);
  const cut = Math.round(size * CUTOUT_RATIO);
  // Drawn whether used or not, in a fixed order: turning one policy off leaves the others' draws as they were.
  return {
    kinds,
    n,
    size,
    brightness: floats(() => rand() - 0.5),
    saturation: floats(() => rand() * 2),
    contrast: floats(() => rand() + 0.5),
    shiftY: ints(-shift, shift),
    shiftX: ints(-shift, shift),
    // The square's centre is anywhere in the image, so it is cut off at the edges as often as not.
    cutY: ints(0, size - 1).map((c) => c - Math.floor(cut / 2)),
    cutX: ints(0, size - 1).map((c) => c - Math.floor(cut / 2)),
  };
}

/** n matrices [size, size] that move a vector by `shift[i]` entries, with zeros coming in. */
function shiftMatrices(shift: Int32Array, size: number): tf.Tensor3D {
  const m = new Float32Array(shift.length * size * size);
  shift.forEach((s, i) => {
    for (let r = 0; r < size; r++) {
      const from = r - s;
      if (from >= 0 && from < size) m[i * size * size + r * size + from] = 1;
    }
  });
  return tf.tensor3d(m, [shift.length, size, size]);
}

/** Moves each image by (shiftY, shiftX) pixels, filling with zeros (mid-grey in [-1, 1]). */
function translate(x: tf.Tensor4D, d: AugmentDraw): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  // Rows: [n, h, h] × [n, h, w·c]. Columns: the same on the image with h and w swapped.
  const rows = tf.reshape(tf.matMul(shiftMatrices(d.shiftY, h), tf.reshape(x, [n, h, w * c])), [n, h, w, c]);
  const swapped = tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [n, w, h * c]);
  const cols = tf.reshape(tf.matMul(shiftMatrices(d.shiftX, w), swapped), [n, w, h, c]);
  return tf.transpose(cols, [0, 2, 1, 3]) as tf.Tensor4D;
}

/** Sets a square of each image to zero. */
function cutout(x: tf.Tensor4D, d: AugmentDraw): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const side = Math.round(d.size * CUTOUT_RATIO);
  const mask = new Float32Array(n * h * w).fill(1);
  for (let i = 0; i < n; i++)
    for (let r = Math.max(0, d.cutY[i]!); r < Math.min(h, d.cutY[i]! + side); r++)
      for (let q = Math.max(0, d.cutX[i]!); q < Math.min(w, d.cutX[i]! + side); q++) mask[i * h * w + r * w + q] = 0;
  return tf.mul(x, tf.tensor4d(mask, [n, h, w, 1]));
}

/** Brightness, then saturation, then contrast, each with its own factor per image. */
function color(x: tf.Tensor4D, d: AugmentDraw): tf.Tensor4D {
  const perImage = (v: Float32Array) => tf.tensor4d(v, [d.n, 1, 1, 1]);
  let y: tf.Tensor4D = tf.add(x, perImage(d.brightness));
  const grey = tf.mean(y, 3, true);
  y = tf.add(tf.mul(tf.sub(y, grey), perImage(d.saturation)), grey);
  const mean = tf.mean(y, [1, 2, 3], true);
  return tf.add(tf.mul(tf.sub(y, mean), perImage(d.contrast)), mean);
}

/** Applies a draw to images [n, size, size, c]; differentiable in the images. */
export function applyAugment(x: tf.Tensor4D, d: AugmentDraw): tf.Tensor4D {
  if (x.shape[0] !== d.n || x.shape[1] !== d.size || x.shape[2] !== d.size)
    throw new Error(`augmentation drawn for ${d.n} images of ${d.size}×${d.size}, given ${x.shape.slice(0, 3).join('×')}`);
  let y = x;
  if (d.kinds.includes('color')) y = color(y, d);
  if (d.kinds.includes('translation')) y = translate(y, d);
  if (d.kinds.includes('cutout')) y = cutout(y, d);
  return y;
}

/** Draws and applies in one call: what the trainer does for every batch a D sees. */
export function augment(x: tf.Tensor4D, kinds: readonly AugmentKind[], key: string): tf.Tensor4D {
  if (!kinds.length) return x;
  return applyAugment(x, drawAugment(kinds, x.shape[0], x.shape[1], key));
}
