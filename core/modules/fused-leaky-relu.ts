// Leaky ReLU as one kernel where the backend has it (the native CPU backend), with gradients
// that are themselves differentiable: D's gradient penalty differentiates it twice. The plain
// form (layers.ts: relu(x) − a·relu(−x)) runs five ops forward and more backward, and keeps
// two copies of each activation for them; this keeps only its output, which the next
// convolution keeps anyway (for a positive slope the output's sign is the input's), and
// computes exactly the plain form's values.

import * as tf from '@tensorflow/tfjs-core';
import { fusedPathEnabled } from './fusion';

/** y = x > 0 ? x : slope·x. Inputs {x}; attrs {slope}. */
export const LEAKY_RELU_KERNEL = 'ModularGanLeakyRelu';
/** dx = y > 0 ? dy : y < 0 ? slope·dy : 0. Inputs {dy, y}; attrs {slope}. */
export const LEAKY_RELU_GRAD_KERNEL = 'ModularGanLeakyReluGrad';

export interface LeakyReluAttrs {
  slope: number;
}

let gradientsRegistered = false;

function registerGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient({
    kernelName: LEAKY_RELU_KERNEL,
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => ({
      x: () => tf.engine().runKernel(LEAKY_RELU_GRAD_KERNEL, { dy: dy as tf.Tensor, y: saved[0]! }, attrs as never) as tf.Tensor,
    }),
  });
  // Linear in dy with a mask that is constant almost everywhere: d/dy is the same kernel, d/dy (of the mask) zero.
  tf.registerGradient({
    kernelName: LEAKY_RELU_GRAD_KERNEL,
    inputsToSave: ['y'],
    gradFunc: (ddx, saved, attrs) => ({
      dy: () => tf.engine().runKernel(LEAKY_RELU_GRAD_KERNEL, { dy: ddx as tf.Tensor, y: saved[0]! }, attrs as never) as tf.Tensor,
      y: () => tf.zerosLike(saved[0]!),
    }),
  });
}

/** Whether the current backend runs the fused kernel (and the fast paths are on). */
export function hasFusedLeakyRelu(): boolean {
  return fusedPathEnabled('leakyRelu') && tf.getKernel(LEAKY_RELU_KERNEL, tf.getBackend()) !== undefined && tf.getKernel(LEAKY_RELU_GRAD_KERNEL, tf.getBackend()) !== undefined;
}

/** The fused kernel; call only where hasFusedLeakyRelu() holds, with slope > 0. */
export function fusedLeakyRelu<T extends tf.Tensor>(x: T, slope: number): T {
  registerGradients();
  return tf.engine().runKernel(LEAKY_RELU_KERNEL, { x }, { slope } as never) as T;
}
