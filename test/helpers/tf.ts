// Unit tests run tfjs on its pure-JS cpu backend: slow, but exact and present everywhere.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node bundle registers no gradients; its ESM sources do. Vitest transforms this
// ESM file (plain Node cannot load it: extensionless imports), and the registry is global.
import '@tensorflow/tfjs-core/dist/register_all_gradients';

export async function useCpuBackend(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** A tensor of values drawn from a seeded uniform [-1, 1). */
export function seededUniform(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}

/** A batch of one-hot rows, row i hot at (i × 7 + offset) mod length. */
export function oneHotRows(n: number, length: number, offset = 0): tf.Tensor2D {
  if (length === 0) return tf.zeros([n, 0]);
  // A lone yes/no attribute: alternate 0 and 1 (tf.oneHot needs a depth of 2 or more).
  if (length === 1) return tf.tensor2d(Array.from({ length: n }, (_, i) => [(i + offset) % 2]));
  return tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 7 + offset) % length), 'int32'), length), 'float32') as tf.Tensor2D;
}
