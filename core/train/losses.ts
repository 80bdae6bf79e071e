// The loss terms of ModularGAN training. The gradient penalty differentiates D twice, so it
// must only see ops whose second derivative tfjs-core gets right (D itself is built that
// way; the penalty adds only square, sqrt, sub and mean). BCE is never inside the penalty.

import * as tf from '@tensorflow/tfjs-core';

/** Mean of the critic's patch map per sample: one WGAN score per image. */
export const criticScore = (patch: tf.Tensor4D): tf.Tensor1D => tf.mean(patch, [1, 2, 3]) as tf.Tensor1D;

/**
 * WGAN-GP's penalty: mean over samples of (‖∂D(x̂)/∂x̂‖₂ − 1)² at x̂ = εx + (1 − ε)x̃, ε per
 * sample. `critic` maps images to per-sample scores; `epsilon` has one value per sample.
 */
export function gradientPenalty(critic: (x: tf.Tensor4D) => tf.Tensor1D, real: tf.Tensor4D, fake: tf.Tensor4D, epsilon: tf.Tensor1D): tf.Scalar {
  const e = tf.reshape(epsilon, [-1, 1, 1, 1]);
  const mixed = tf.add(tf.mul(e, real), tf.mul(tf.sub(1, e), fake)) as tf.Tensor4D;
  const g = tf.grad((x: tf.Tensor) => tf.sum(critic(x as tf.Tensor4D)))(mixed);
  // A tiny floor keeps sqrt's derivative finite where a gradient vanishes exactly.
  const norms = tf.sqrt(tf.add(tf.sum(tf.square(g), [1, 2, 3]), 1e-12));
  return tf.mean(tf.square(tf.sub(norms, 1)));
}

/**
 * Binary cross-entropy with logits, summed over attribute slots and averaged over the batch
 * (StarGAN's scaling). Written as relu(x) − x·z + log(1 + e^(−|x|)), stable for large |x|.
 */
export function bceWithLogits(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  const perSlot = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
  return tf.div(tf.sum(perSlot), logits.shape[0]);
}

/** Mean absolute difference. */
export const l1 = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.mean(tf.abs(tf.sub(a, b)));
