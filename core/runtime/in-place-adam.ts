// What a backend may offer the optimiser (core/train/adam.ts): Adam's whole update in place.
// Declared here, beside the backends, so the native backend states it implements it without
// reaching up into the training layer.

import type * as tf from '@tensorflow/tfjs-core';

/**
 * A backend that can run Adam's whole update in place (the native one). It returns false to
 * decline — say, when another tensor shares a variable's data — and the ops run instead.
 * `coeffs`: [1 − β1, 1 − β2, β1, β2, lr / c1, c2, ε].
 */
export interface InPlaceAdamBackend {
  adamUpdateInPlace(w: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, coeffs: Float32Array): boolean;
}
