// Finds and loads the N-API addon (native/, built at install by scripts/build-native.mjs).
// Loading can fail for ordinary reasons — no compiler at install, libdnnl missing — and the
// engine then keeps wasm, so every failure is turned into a sentence for the backend report.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The functions the addon exports; every array is read or written in place, no copies. */
export interface NativeAddon {
  readonly dnnlVersion: string;
  /** y = conv(x, w), then leaky ReLU with `slope` when given (only where convLeakyRelu is true). */
  conv2dForward(x: Float32Array, w: Float32Array, y: Float32Array, geom: Int32Array, slope?: number): void;
  /** Whether conv2dForward applies a slope given to it (builds before it ignore the argument). */
  readonly convLeakyRelu?: boolean;
  conv2dBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, geom: Int32Array): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geom: Int32Array): void;
  /**
   * A stride-1 conv onto at most 4 channels: dst[n,y,x,o] = Σ src[n, y+ky−padTop, x+kx−padLeft, c]·wt[ky][kx][o][c].
   * dims: [n, h, w, ci, oh, ow, co, kh, kw, padTop, padLeft]. False where it has no fast path (absent from older builds).
   */
  conv2dNarrow?(src: Float32Array, wt: Float32Array, dst: Float32Array, dims: Int32Array): boolean;
  /**
   * A conv as one matrix product on the HWIO filter as it is: mode 0 forward (x, w -> y), 1 input
   * gradient (dy, w -> dx), 2 filter gradient (x, dy -> dw); geom as conv2dForward's, no dilation.
   */
  conv2dGemm?(mode: 0 | 1 | 2, a: Float32Array, b: Float32Array, out: Float32Array, geom: Int32Array): void;
  /** dims: [batch, m, n, k, transA, transB, aBatchStride, bBatchStride]. */
  sgemm(a: Float32Array, b: Float32Array, c: Float32Array, dims: Int32Array): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, shape: Int32Array, aStrides: Int32Array, bStrides: Int32Array): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  /** y = x > 0 ? x : slope·x (absent from addons built before it). */
  leakyRelu?(x: Float32Array, y: Float32Array, slope: number): void;
  /** dx = y > 0 ? dy : y < 0 ? slope·dy : 0. */
  leakyReluGrad?(dy: Float32Array, y: Float32Array, dx: Float32Array, slope: number): void;
  reduceInner(x: Float32Array, out: Float32Array, outer: number, inner: number, scale: number): void;
  reduceMiddle(x: Float32Array, out: Float32Array, outer: number, middle: number, inner: number, scale: number): void;
  instanceNormForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, rstd: Float32Array, dims: Int32Array, eps: number, relu: boolean): void;
  instanceNormBackward(
    dy: Float32Array, x: Float32Array, y: Float32Array, gamma: Float32Array, mean: Float32Array, rstd: Float32Array,
    dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, dims: Int32Array, relu: boolean,
  ): void;
  /** Adam's update of one variable in place; coeffs as InPlaceAdamBackend's (core/runtime/in-place-adam.ts). */
  adamUpdate(w: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, coeffs: Float32Array): void;
  /** Sets (when given) and returns the number of OpenMP threads. */
  threads(n?: number): number;
}

/** Where node-gyp puts the addon; MODULARGAN_NATIVE_ADDON overrides it (packaged apps, tests). */
export function defaultAddonPath(): string {
  return process.env.MODULARGAN_NATIVE_ADDON ?? fileURLToPath(new URL('../../../native/build/Release/modulargan_native.node', import.meta.url));
}

const loaded = new Map<string, NativeAddon>();

/** Loads the addon at `path`; throws an Error whose message says why it cannot be used. */
export function loadAddon(path = defaultAddonPath()): NativeAddon {
  const cached = loaded.get(path);
  if (cached) return cached;
  if (!existsSync(path)) {
    throw new Error(`the native addon is not built (${path} is missing): run \`npm run build:native\`; it needs g++ and libdnnl-dev`);
  }
  // OpenMP threads that spin between parallel regions (libgomp's default) steal the core the
  // JS thread needs between kernels, and on a busy machine they spin against other processes:
  // measured 8x slower elementwise ops. libgomp reads this when the addon first loads it.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    const hint = /libdnnl/.test(String(msg)) ? ' (install oneDNN: apt-get install libdnnl2)' : '';
    throw new Error(`the native addon did not load: ${msg}${hint}`);
  }
  loaded.set(path, addon);
  return addon;
}
