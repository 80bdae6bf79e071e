// The 'native' tfjs backend: the cpu backend (tensors are plain JS typed arrays, which the
// addon reads and writes in place) with its hot kernels replaced by native ones. Every cpu
// kernel is registered for 'native' too, so ops we do not override, and the cases our
// kernels decline (int32, NCHW, odd broadcasts), run exactly as on the cpu backend.

import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon';
import { BufferPool } from './buffer-pool';
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput, conv2dLeakyRelu } from './conv-kernels';
import { ELTWISE_KERNELS } from './eltwise-kernels';
import type { KernelArgs, NativeKernel } from './kernel-utils';
import { isKernelProfiling, recordKernel } from './kernel-profile';
import { batchMatMul } from './matmul-kernel';
import { concat, splitV } from './split-kernel';
import { NORM_KERNEL_NAMES, instanceNormGradKernel, instanceNormKernel } from './norm-kernels';
import { INSTANCE_NORM_GRAD_KERNEL, INSTANCE_NORM_KERNEL } from '../../modules/fused-norm';
import { CONV_LEAKY_RELU_KERNEL, LEAKY_RELU_GRAD_KERNEL, LEAKY_RELU_KERNEL } from '../../modules/fused-leaky-relu';
import { LEAKY_RELU_KERNEL_NAMES, hasLeakyReluKernels, leakyReluGradKernel, leakyReluKernel } from './leaky-relu-kernels';
import type { InPlaceAdamBackend } from '../in-place-adam';

export const NATIVE_BACKEND = 'native';

export const NATIVE_KERNELS: Record<string, NativeKernel> = {
  Conv2D: conv2d,
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv2DBackpropFilter: conv2dBackpropFilter,
  BatchMatMul: batchMatMul,
  SplitV: splitV,
  Concat: concat,
  ...ELTWISE_KERNELS,
};

/** Freed output buffers kept for reuse (see buffer-pool.ts); a bound on what RSS may gain. */
const POOL_BYTES = 1024 ** 3;

type DataId = Parameters<MathBackendCPU['readSync']>[0];

class NativeBackend extends MathBackendCPU implements InPlaceAdamBackend {
  readonly pool = new BufferPool(POOL_BYTES);

  constructor(private readonly addon: NativeAddon) {
    super();
    // The cpu backend advises installing tfjs-node on first use; not advice for this backend.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  // dataSync() and data() hand out the backend's own array, not a copy.
  override readSync(dataId: DataId) {
    this.pool.escape(this.data.get(dataId)?.values);
    return super.readSync(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values;
    const done = super.disposeData(dataId, force);
    if (values && !this.data.has(dataId)) this.pool.give(values);
    return done;
  }

  /** A cpu kernel's output that shares one of our buffers (Slice returns a subarray) pins it. */
  pinShared(inputs: readonly (tf.TensorInfo | undefined)[], out: tf.TensorInfo | tf.TensorInfo[]): void {
    for (const o of Array.isArray(out) ? out : [out]) {
      if (inputs.some((t) => t?.dataId === o.dataId)) continue;
      const values = this.data.get(o.dataId)?.values;
      if (this.pool.owns(values)) this.pool.escape(values);
    }
  }

  override dispose(): void {
    this.pool.clear();
    super.dispose();
  }

  adamUpdateInPlace(w: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, coeffs: Float32Array): boolean {
    const values = (t: tf.Tensor) => {
      const d = this.data.get(t.dataId)?.values;
      return d instanceof Float32Array && d.length === t.size ? d : undefined;
    };
    // Writing in place is safe only into data no other tensor shares (a reshape or a clone
    // shares its source's); the optimiser's ops run otherwise.
    const own = (t: tf.Tensor) => (this.refCount(t.dataId) === 1 ? values(t) : undefined);
    const [wv, mv, vv, gv] = [own(w), own(m), own(v), values(g)];
    // An addon built before this kernel existed has no adamUpdate until it is rebuilt.
    if (!wv || !mv || !vv || !gv || typeof this.addon.adamUpdate !== 'function') return false;
    timed('AdamUpdate', () => this.addon.adamUpdate(wv, mv, vv, gv, coeffs));
    return true;
  }
}

/** Which kernels are native: for reports. */
export function nativeKernelNames(): string[] {
  const leaky = registeredWith && hasLeakyReluKernels(registeredWith) ? [...LEAKY_RELU_KERNEL_NAMES, ...(registeredWith.convLeakyRelu === true ? [CONV_LEAKY_RELU_KERNEL] : [])] : [];
  return [...Object.keys(NATIVE_KERNELS), ...NORM_KERNEL_NAMES, ...leaky, 'AdamUpdate'];
}

function timed<T>(name: string, f: () => T): T {
  if (!isKernelProfiling()) return f();
  const t0 = performance.now();
  const out = f();
  recordKernel(name, performance.now() - t0, true);
  return out;
}

let registeredWith: NativeAddon | undefined;

/** Registers the backend and its kernels once; later calls with another addon are refused. */
export function registerNativeBackend(addon: NativeAddon): void {
  if (registeredWith) {
    if (registeredWith !== addon) throw new Error('the native backend is already registered with another addon');
    return;
  }
  const cpuKernels = tf.getKernelsForBackend('cpu');
  if (cpuKernels.length === 0) throw new Error('the cpu backend kernels are not registered');
  for (const k of cpuKernels) {
    const mine = NATIVE_KERNELS[k.kernelName];
    const cpu = k.kernelFunc;
    const name = k.kernelName;
    const run = (args: KernelArgs) => {
      const out = mine?.(args, addon);
      if (out) return { out, native: true };
      const fallback = cpu(args) as tf.TensorInfo | tf.TensorInfo[];
      (args.backend as NativeBackend).pinShared(Object.values(args.inputs), fallback);
      return { out: fallback, native: false };
    };
    const kernelFunc = (args: KernelArgs) => {
      if (!isKernelProfiling()) return run(args).out;
      const t0 = performance.now();
      const { out, native } = run(args);
      recordKernel(native ? name : `${name} (cpu)`, performance.now() - t0, native);
      return out;
    };
    tf.registerKernel({ ...k, backendName: NATIVE_BACKEND, kernelFunc });
  }
  // Kernels of our own (no cpu counterpart): the fused instance norm and leaky ReLU core/modules asks for.
  tf.registerKernel({ kernelName: INSTANCE_NORM_KERNEL, backendName: NATIVE_BACKEND, kernelFunc: (args) => timed(INSTANCE_NORM_KERNEL, () => instanceNormKernel(args, addon)) });
  tf.registerKernel({ kernelName: INSTANCE_NORM_GRAD_KERNEL, backendName: NATIVE_BACKEND, kernelFunc: (args) => timed(INSTANCE_NORM_GRAD_KERNEL, () => instanceNormGradKernel(args, addon)) });
  if (hasLeakyReluKernels(addon)) {
    tf.registerKernel({ kernelName: LEAKY_RELU_KERNEL, backendName: NATIVE_BACKEND, kernelFunc: (args) => timed(LEAKY_RELU_KERNEL, () => leakyReluKernel(args, addon)) });
    tf.registerKernel({ kernelName: LEAKY_RELU_GRAD_KERNEL, backendName: NATIVE_BACKEND, kernelFunc: (args) => timed(LEAKY_RELU_GRAD_KERNEL, () => leakyReluGradKernel(args, addon)) });
    if (addon.convLeakyRelu === true)
      tf.registerKernel({ kernelName: CONV_LEAKY_RELU_KERNEL, backendName: NATIVE_BACKEND, kernelFunc: (args) => timed(CONV_LEAKY_RELU_KERNEL, () => conv2dLeakyRelu(args, addon)) });
  }
  // Priority 0: never chosen by tfjs on its own, only by initBackend or an explicit setBackend.
  tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(addon), 0);
  registeredWith = addon;
}
