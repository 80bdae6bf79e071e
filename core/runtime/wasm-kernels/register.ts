// Puts our conv-gradient kernels on the wasm backend, keeping the stock Conv2DBackpropInput
// both to fall back on for small maps (where its loops beat our op overhead) and to restore.

import * as tf from '@tensorflow/tfjs-core';
import { type ConvGradAttrs, type ConvGeometry, convGeometry } from './conv-geometry';
import { conv2dBackpropInputSubpixel } from './backprop-input';
import { conv2dBackpropFilterConv } from './backprop-filter';
import { preferStockBackpropInput } from './choose';

type Shape4 = [number, number, number, number];
type KernelFunc = tf.KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];

const BACKEND = 'wasm';
const INPUT = 'Conv2DBackpropInput';
const FILTER = 'Conv2DBackpropFilter';

/** How Conv2DBackpropInput is computed: chosen per shape, or forced (benchmarks, tests). */
export type BackpropInputMode = 'auto' | 'subpixel' | 'stock';
let inputMode: BackpropInputMode = 'auto';

export function setBackpropInputMode(mode: BackpropInputMode): void {
  inputMode = mode;
}

let stock: { input?: tf.KernelConfig; filter?: tf.KernelConfig } | undefined;

function asTensor(info: tf.TensorInfo | undefined): tf.Tensor4D {
  if (!info) throw new Error('missing kernel input');
  // Ops hand kernels their Tensors; a TensorInfo arrives only if a caller runs the kernel directly.
  return (info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info)) as tf.Tensor4D;
}

function backpropInput(args: KernelArgs): tf.TensorInfo {
  const attrs = args.attrs as unknown as ConvGradAttrs & { inputShape: Shape4 };
  const filterInfo = args.inputs.filter!;
  const g: ConvGeometry = convGeometry(attrs.inputShape, filterInfo.shape as Shape4, attrs);
  const stockInput = stock?.input;
  if (stockInput && (inputMode === 'stock' || (inputMode === 'auto' && preferStockBackpropInput(g)))) {
    return stockInput.kernelFunc(args) as tf.TensorInfo;
  }
  return tf.tidy(() => conv2dBackpropInputSubpixel(asTensor(args.inputs.dy), asTensor(filterInfo), g));
}

function backpropFilter(args: KernelArgs): tf.TensorInfo {
  const attrs = args.attrs as unknown as ConvGradAttrs & { filterShape: Shape4 };
  const x = args.inputs.x!;
  const g = convGeometry(x.shape as Shape4, attrs.filterShape, attrs);
  return tf.tidy(() => conv2dBackpropFilterConv(asTensor(x), asTensor(args.inputs.dy), g));
}

/** The kernels we put on wasm, for reports. */
export function customWasmKernelNames(): string[] {
  return [INPUT, FILTER];
}

/**
 * Swaps the kernel registered under kernelName. `setupFunc` is the stock kernel's: wasm kernels
 * bind their C++ entry point in it when the backend starts, and our fallback to the stock
 * kernel needs that binding, so it stays registered with whichever kernel holds the name.
 */
function replace(kernelName: string, kernelFunc: KernelFunc | undefined, setupFunc: tf.KernelConfig['setupFunc']): void {
  if (tf.getKernel(kernelName, BACKEND)) tf.unregisterKernel(kernelName, BACKEND);
  if (!kernelFunc) return;
  tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc, ...(setupFunc ? { setupFunc } : {}) });
  // The engine runs setupFuncs only when it starts a backend; if wasm is already running, do it here.
  const running = tf.engine().registry[BACKEND];
  if (running && setupFunc) setupFunc(running);
}

/**
 * Registers (enable) or removes (disable, restoring wasm's own kernels) our conv gradients.
 * Call after importing @tensorflow/tfjs-backend-wasm, which registers the stock kernels.
 */
export function registerWasmKernels(enable = true): void {
  if (enable && !stock) {
    stock = { input: tf.getKernel(INPUT, BACKEND), filter: tf.getKernel(FILTER, BACKEND) };
    replace(INPUT, backpropInput, stock.input?.setupFunc);
    replace(FILTER, backpropFilter, stock.filter?.setupFunc);
  } else if (!enable && stock) {
    replace(INPUT, stock.input?.kernelFunc, stock.input?.setupFunc);
    replace(FILTER, stock.filter?.kernelFunc, stock.filter?.setupFunc);
    stock = undefined;
  }
}
