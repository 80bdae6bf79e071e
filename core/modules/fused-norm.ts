// Instance norm (+ ReLU) as one kernel with its own backward, where the backend has one (the
// native CPU backend). Modules ask for it through layers.ts and fall back to the composite
// ops elsewhere; the two compute the same function. Its gradient is first-order only
// (tf.customGrad): fine, since instance norm is never inside D, the one module the gradient
// penalty differentiates twice.

import * as tf from '@tensorflow/tfjs-core';
import { fusedPathEnabled } from './fusion';

/** Kernel names a backend registers to provide the fused norm: [y, mean, rstd] and [dx, dγ, dβ]. */
export const INSTANCE_NORM_KERNEL = 'ModularGanInstanceNorm';
export const INSTANCE_NORM_GRAD_KERNEL = 'ModularGanInstanceNormGrad';

export interface InstanceNormAttrs {
  epsilon: number;
  relu: boolean;
}

export function hasFusedInstanceNorm(): boolean {
  return fusedPathEnabled('instanceNorm') && tf.getKernel(INSTANCE_NORM_KERNEL, tf.getBackend()) !== undefined;
}

function fused(relu: boolean, epsilon: number) {
  return tf.customGrad(((x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, mean, rstd] = tf.engine().runKernel(INSTANCE_NORM_KERNEL, { x, gamma, beta }, { epsilon, relu } as never) as tf.Tensor[];
    save([x, gamma, y!, mean!, rstd!]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg, sy, sm, sr] = saved;
        const grads = tf.engine().runKernel(INSTANCE_NORM_GRAD_KERNEL, { dy, x: sx!, gamma: sg!, y: sy!, mean: sm!, rstd: sr! }, { relu } as never);
        return grads as tf.Tensor[];
      },
    };
    // tfjs types the function as variadic (...inputs, save); ours names its three inputs.
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
}

const cache = new Map<string, ReturnType<typeof fused>>();

/** The fused kernel; call only where hasFusedInstanceNorm() holds. */
export function fusedInstanceNorm(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, relu: boolean, epsilon: number): tf.Tensor4D {
  const key = `${relu}:${epsilon}`;
  let f = cache.get(key);
  if (!f) cache.set(key, (f = fused(relu, epsilon)));
  return f(x, gamma, beta) as tf.Tensor4D;
}
