// The fused leaky ReLU kernels core/modules/fused-leaky-relu.ts asks for, on the addon.

import type * as tf from '@tensorflow/tfjs-core';
import { LEAKY_RELU_GRAD_KERNEL, LEAKY_RELU_KERNEL, type LeakyReluAttrs } from '../../modules/fused-leaky-relu';
import type { NativeAddon } from './addon';
import { type KernelArgs, alloc, floats, output } from './kernel-utils';

function need(args: KernelArgs, t: tf.TensorInfo | undefined, kernel: string, what: string): Float32Array {
  const v = floats(args, t);
  if (!v) throw new Error(`${kernel}: ${what} must be a float32 tensor`);
  return v;
}

export function leakyReluKernel(args: KernelArgs, addon: NativeAddon): tf.TensorInfo {
  const { x } = args.inputs;
  const { slope } = args.attrs as unknown as LeakyReluAttrs;
  const xv = need(args, x, LEAKY_RELU_KERNEL, 'x');
  const y = alloc(args, xv.length);
  addon.leakyRelu!(xv, y, slope);
  return output(args, [...x!.shape], y);
}

export function leakyReluGradKernel(args: KernelArgs, addon: NativeAddon): tf.TensorInfo {
  const { dy, y } = args.inputs;
  const { slope } = args.attrs as unknown as LeakyReluAttrs;
  const dyv = need(args, dy, LEAKY_RELU_GRAD_KERNEL, 'dy');
  const yv = need(args, y, LEAKY_RELU_GRAD_KERNEL, 'y');
  if (dyv.length !== yv.length) throw new Error(`${LEAKY_RELU_GRAD_KERNEL}: dy has ${dyv.length} values, y ${yv.length}`);
  const dx = alloc(args, dyv.length);
  addon.leakyReluGrad!(dyv, yv, dx, slope);
  return output(args, [...dy!.shape], dx);
}

/** Whether this addon build has the kernels (one built before them has not, until rebuilt). */
export const hasLeakyReluKernels = (addon: NativeAddon): boolean => typeof addon.leakyRelu === 'function' && typeof addon.leakyReluGrad === 'function';

export const LEAKY_RELU_KERNEL_NAMES = [LEAKY_RELU_KERNEL, LEAKY_RELU_GRAD_KERNEL];
