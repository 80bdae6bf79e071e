// The fused instance norm kernels that core/modules/fused-norm.ts asks for, on the addon.

import type * as tf from '@tensorflow/tfjs-core';
import { INSTANCE_NORM_GRAD_KERNEL, INSTANCE_NORM_KERNEL, type InstanceNormAttrs } from '../../modules/fused-norm';
import type { NativeAddon } from './addon';
import { type KernelArgs, alloc, floats, output } from './kernel-utils';

function need(args: KernelArgs, t: tf.TensorInfo | undefined, what: string): Float32Array {
  const v = floats(args, t);
  if (!v) throw new Error(`${INSTANCE_NORM_KERNEL}: ${what} must be a float32 tensor`);
  return v;
}

function dims(x: tf.TensorInfo): Int32Array {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  return Int32Array.from([n, h * w, c]);
}

export function instanceNormKernel(args: KernelArgs, addon: NativeAddon): tf.TensorInfo[] {
  const { x, gamma, beta } = args.inputs;
  const { epsilon, relu } = args.attrs as unknown as InstanceNormAttrs;
  const d = dims(x!);
  const [n, , c] = d;
  const y = alloc(args, need(args, x, 'x').length);
  const mean = new Float32Array(n! * c!);
  const rstd = new Float32Array(n! * c!);
  addon.instanceNormForward(need(args, x, 'x'), need(args, gamma, 'gamma'), need(args, beta, 'beta'), y, mean, rstd, d, epsilon, relu);
  return [output(args, [...x!.shape], y), output(args, [n!, c!], mean), output(args, [n!, c!], rstd)];
}

export function instanceNormGradKernel(args: KernelArgs, addon: NativeAddon): tf.TensorInfo[] {
  const { dy, x, y, gamma, mean, rstd } = args.inputs;
  const { relu } = args.attrs as unknown as InstanceNormAttrs;
  const d = dims(x!);
  const c = d[2]!;
  const dx = alloc(args, need(args, x, 'x').length);
  const dgamma = new Float32Array(c);
  const dbeta = new Float32Array(c);
  addon.instanceNormBackward(
    need(args, dy, 'dy'), need(args, x, 'x'), need(args, y, 'y'), need(args, gamma, 'gamma'), need(args, mean, 'mean'), need(args, rstd, 'rstd'),
    dx, dgamma, dbeta, d, relu,
  );
  return [output(args, [...x!.shape], dx), output(args, [c], dgamma), output(args, [c], dbeta)];
}

export const NORM_KERNEL_NAMES = [INSTANCE_NORM_KERNEL, INSTANCE_NORM_GRAD_KERNEL];
