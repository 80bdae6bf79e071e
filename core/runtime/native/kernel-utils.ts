// What every native kernel shares: reading a tensor's values in place from the cpu backend's
// storage, and handing any case the native code does not cover back to the cpu kernel.

import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon';

export type KernelFunc = tf.KernelConfig['kernelFunc'];
export type KernelArgs = Parameters<KernelFunc>[0];

/** A native kernel: returns undefined when it does not handle a case, so the cpu one runs. */
export type NativeKernel = (args: KernelArgs, addon: NativeAddon) => tf.TensorInfo | tf.TensorInfo[] | undefined;

/** The float32 values of a tensor, shared with the backend (not copied); undefined if not float32. */
export function floats(args: KernelArgs, t: tf.TensorInfo | undefined): Float32Array | undefined {
  if (!t || t.dtype !== 'float32') return undefined;
  const values = (args.backend as MathBackendCPU).data.get(t.dataId).values;
  return values instanceof Float32Array ? values : undefined;
}

/**
 * An output buffer of n floats from the backend's pool (contents undefined: a kernel that
 * takes one must write every element), or a fresh one on a backend without a pool.
 */
export function alloc(args: KernelArgs, n: number): Float32Array {
  return (args.backend as { pool?: { take(n: number): Float32Array } }).pool?.take(n) ?? new Float32Array(n);
}

export function output(args: KernelArgs, shape: number[], values: Float32Array): tf.TensorInfo {
  return (args.backend as MathBackendCPU).makeTensorInfo(shape, 'float32', values);
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
