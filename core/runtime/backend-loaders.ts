// One loader per backend. Each either leaves its backend registered, initialised and set as
// tfjs's current backend, or throws a BackendLoadError whose message says why not.

import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from './backend-report';
import { errorMessage } from './backend-report';
import { probeWebgpuAdapter } from './webgpu-probe';
import { wasmBinaryDir } from './wasm-paths';
import { customWasmKernelNames, registerWasmKernels } from './wasm-kernels/register';
import { loadAddon } from './native/addon';
import { NATIVE_BACKEND, nativeKernelNames, registerNativeBackend } from './native/backend';

export interface LoaderOptions {
  /** Threads for the wasm backend's XNNPACK pool; tfjs 4.22 only honours it where threads load. */
  wasmThreads?: number;
  /** Register our Conv2DBackpropFilter / fast Conv2DBackpropInput on wasm (default true). */
  customWasmKernels?: boolean;
  /** The native addon's file (default: native/build/Release, or MODULARGAN_NATIVE_ADDON). */
  nativeAddonPath?: string;
}

export interface Loaded {
  tfjsName: string;
  details: Record<string, unknown>;
  /** Set when the backend works but 'auto' should not choose it, with the reason. */
  notForAuto?: string;
}

export class BackendLoadError extends Error {
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

async function activate(tfjsName: string): Promise<void> {
  let ok = false;
  try {
    ok = await tf.setBackend(tfjsName);
  } catch (e) {
    throw new BackendLoadError(`tfjs could not initialise '${tfjsName}': ${errorMessage(e)}`);
  }
  if (!ok) throw new BackendLoadError(`tfjs could not initialise '${tfjsName}'`);
}

function isModuleNotFound(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(errorMessage(e));
}

async function loadNodeGpu(): Promise<Loaded> {
  // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
  const spec = '@tensorflow/tfjs-node-gpu';
  try {
    await import(/* @vite-ignore */ spec);
  } catch (e) {
    throw new BackendLoadError(
      isModuleNotFound(e)
        ? `${spec} is not installed (optional dependency: its install downloads libtensorflow 2.9.1 and needs CUDA 11.2 + cuDNN 8.1)`
        : `${spec} is installed but did not load: ${errorMessage(e)}`,
    );
  }
  await activate('tensorflow');
  return { tfjsName: 'tensorflow', details: { package: spec } };
}

async function loadWebgpu(): Promise<Loaded> {
  const probe = await probeWebgpuAdapter();
  if (!probe.ok) throw new BackendLoadError(probe.reason, probe.details);
  try {
    await import('@tensorflow/tfjs-backend-webgpu');
  } catch (e) {
    throw new BackendLoadError(`@tensorflow/tfjs-backend-webgpu did not load: ${errorMessage(e)}`, probe.details);
  }
  await activate('webgpu');
  const notForAuto = probe.cpuEmulated
    ? `the adapter (${String(probe.details.adapter)}) emulates a GPU on the CPU: about 8x slower than wasm here, so auto does not choose it`
    : undefined;
  return { tfjsName: 'webgpu', details: { ...probe.details, cpuEmulated: probe.cpuEmulated }, ...(notForAuto ? { notForAuto } : {}) };
}

let wasmPathsSet = false;

async function loadWasm(opts: LoaderOptions): Promise<Loaded> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // setWasmPaths throws once the backend has initialised, so call it only the first time.
  if (!wasmPathsSet) {
    wasm.setWasmPaths(wasmBinaryDir());
    wasmPathsSet = true;
  }
  if (opts.wasmThreads) wasm.setThreadsCount(opts.wasmThreads);
  const custom = opts.customWasmKernels !== false;
  registerWasmKernels(custom);
  await activate('wasm');
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const threads = wasm.getThreadsCount();
  return {
    tfjsName: 'wasm',
    details: {
      simd,
      threads,
      // tfjs 4.22 turns wasm threads off under Node (its WASM_HAS_MULTITHREAD_SUPPORT flag is
      // false there): the threaded build's workers are Blob URLs that Node's Worker cannot load.
      threadsNote: threads > 1 ? 'threaded build' : 'single-threaded: tfjs-backend-wasm disables threads in Node',
      customKernels: custom ? customWasmKernelNames() : [],
    },
  };
}

async function loadNative(opts: LoaderOptions): Promise<Loaded> {
  // The native backend reuses the cpu backend's kernels wherever it has none of its own.
  await import('@tensorflow/tfjs-backend-cpu');
  let addon;
  try {
    addon = loadAddon(opts.nativeAddonPath);
    registerNativeBackend(addon);
  } catch (e) {
    throw new BackendLoadError(errorMessage(e));
  }
  await activate(NATIVE_BACKEND);
  return {
    tfjsName: NATIVE_BACKEND,
    details: { library: `oneDNN ${addon.dnnlVersion}`, threads: addon.threads(), kernels: nativeKernelNames() },
  };
}

async function loadCpu(): Promise<Loaded> {
  await import('@tensorflow/tfjs-backend-cpu');
  await activate('cpu');
  return { tfjsName: 'cpu', details: { note: 'pure JavaScript: for tiny tests only' } };
}

export function loaderFor(name: BackendName): (opts: LoaderOptions) => Promise<Loaded> {
  switch (name) {
    case 'tfjs-node-gpu':
      return loadNodeGpu;
    case 'native':
      return loadNative;
    case 'webgpu':
      return loadWebgpu;
    case 'wasm':
      return loadWasm;
    case 'cpu':
      return loadCpu;
  }
}
