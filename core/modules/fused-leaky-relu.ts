// Leaky ReLU as one kernel where the backend has it (the native CPU backend), alone or as the
// output stage of D's convolutions, with gradients that are themselves differentiable: D's
// gradient penalty differentiates it twice. The plain
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

/** y = leakyRelu(conv2d(x, filter)), NHWC, no dilation. Inputs {x, filter}; attrs ConvLeakyReluAttrs. */
export const CONV_LEAKY_RELU_KERNEL = 'ModularGanConv2DLeakyRelu';

export interface ConvLeakyReluAttrs {
  strides: [number, number];
  pad: number;
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
  // The conv's own gradients of the activation's gradient: ops that have gradients themselves,
  // so the penalty's second derivative goes through. The activation's gradient is made once,
  // here, for both (the engine frees it with the node's other temporaries).
  tf.registerGradient({
    kernelName: CONV_LEAKY_RELU_KERNEL,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const { strides, pad, slope } = attrs as unknown as ConvLeakyReluAttrs;
      const dz = tf.engine().runKernel(LEAKY_RELU_GRAD_KERNEL, { dy: dy as tf.Tensor, y }, { slope } as never) as tf.Tensor4D;
      const conv = { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
      return {
        x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: dz, filter }, { ...conv, inputShape: x.shape } as never) as tf.Tensor,
        filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dz }, { ...conv, filterShape: filter.shape } as never) as tf.Tensor,
      };
    },
  });
}

/** Whether the current backend runs the fused kernel (and the fast paths are on). */
export function hasFusedLeakyRelu(): boolean {
  return fusedPathEnabled('leakyRelu') && tf.getKernel(LEAKY_RELU_KERNEL, tf.getBackend()) !== undefined && tf.getKernel(LEAKY_RELU_GRAD_KERNEL, tf.getBackend()) !== undefined;
}

/** Whether the current backend runs conv + leaky ReLU as one kernel (and that path is on). */
export function hasFusedConvLeakyRelu(): boolean {
  return fusedPathEnabled('convLeakyRelu') && hasFusedLeakyRelu() && tf.getKernel(CONV_LEAKY_RELU_KERNEL, tf.getBackend()) !== undefined;
}

/** leakyRelu(conv2d(x, filter, stride, pad)) as one kernel; only where hasFusedConvLeakyRelu(), slope > 0. */
export function fusedConvLeakyRelu(x: tf.Tensor4D, filter: tf.Tensor4D, stride: number, pad: number, slope: number): tf.Tensor4D {
  registerGradients();
  const attrs: ConvLeakyReluAttrs = { strides: [stride, stride], pad, slope };
  return tf.engine().runKernel(CONV_LEAKY_RELU_KERNEL, { x, filter }, attrs as never) as tf.Tensor4D;
}

/** The fused kernel; call only where hasFusedLeakyRelu() holds, with slope > 0. */
export function fusedLeakyRelu<T extends tf.Tensor>(x: T, slope: number): T {
  registerGradients();
  return tf.engine().runKernel(LEAKY_RELU_KERNEL, { x }, { slope } as never) as T;
}
