// Conv and matMul throughput per backend, as plain JSON: enough to see at a glance whether a
// machine is running on a GPU, on wasm with our conv-gradient kernels, or on the slow paths.

import * as tf from '@tensorflow/tfjs-core';
import type { BackendName, BackendReport } from './backend-report';
import { errorMessage } from './backend-report';
import { tfjsNameOf } from './backends';
import { setBackpropInputMode } from './wasm-kernels/register';

export interface ConvCase {
  batch: number;
  size: number;
  inC: number;
  outC: number;
  kernel: number;
  stride: number;
}

/** A mid-size generator/discriminator layer, a downsampling layer, and a last-D-layer map. */
export const CONV_CASES: ConvCase[] = [
  { batch: 8, size: 32, inC: 128, outC: 128, kernel: 3, stride: 1 },
  { batch: 8, size: 16, inC: 256, outC: 256, kernel: 4, stride: 2 },
  { batch: 16, size: 4, inC: 256, outC: 512, kernel: 4, stride: 2 },
];

export function caseName(c: ConvCase): string {
  return `b${c.batch} ${c.size}x${c.size}x${c.inC}->${c.outC} k${c.kernel} s${c.stride}`;
}

/**
 * The cpu backend's conv-filter gradient runs at ~0.01 GFLOP/s (27 s for the first case at
 * batch 1), so it gets the same layers at batch 1 with 1/8 of the channels.
 */
function scaledDown(c: ConvCase): ConvCase {
  return { ...c, batch: 1, inC: Math.max(1, c.inC / 8), outC: Math.max(1, c.outC / 8) };
}

export type BenchOp = 'conv2d' | 'backpropInput' | 'backpropFilter' | 'matMul';

export interface BenchResult {
  op: BenchOp;
  case: string;
  /** 'stock' / 'subpixel' / 'conv' on wasm, where the implementations differ. */
  variant?: string;
  ms?: number;
  gflops?: number;
  reps?: number;
  error?: string;
}

export interface BackendBench {
  backend: BackendName;
  tfjsName: string;
  /** True where the conv cases ran at batch 1 and 1/8 of the channels (cpu: full size takes minutes). */
  scaledDown: boolean;
  results: BenchResult[];
}

export interface MicrobenchOptions {
  /** One timed run per op instead of repeating for ~0.3 s. */
  quick?: boolean;
  cases?: ConvCase[];
  matMulSize?: number;
}

async function time(fn: () => tf.Tensor, quick: boolean): Promise<{ ms: number; reps: number }> {
  // Warm-up: the first call compiles shaders (webgpu) or grows the wasm heap.
  const warm = fn();
  await warm.data();
  warm.dispose();
  const budgetMs = quick ? 0 : 300;
  let reps = 0;
  const start = performance.now();
  do {
    const out = fn();
    await out.data();
    out.dispose();
    reps++;
  } while (performance.now() - start < budgetMs && reps < 20);
  return { ms: (performance.now() - start) / reps, reps };
}

async function measure(op: BenchOp, name: string, flops: number, fn: () => tf.Tensor, quick: boolean, variant?: string): Promise<BenchResult> {
  const base: BenchResult = { op, case: name, ...(variant ? { variant } : {}) };
  try {
    const { ms, reps } = await time(fn, quick);
    return { ...base, ms: round(ms), gflops: round(flops / ms / 1e6), reps };
  } catch (e) {
    return { ...base, error: errorMessage(e) };
  }
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

async function benchConvCase(c: ConvCase, isWasm: boolean, quick: boolean): Promise<BenchResult[]> {
  const { batch } = c;
  const name = caseName(c);
  const x = tf.randomNormal([batch, c.size, c.size, c.inC]) as tf.Tensor4D;
  const w = tf.randomNormal([c.kernel, c.kernel, c.inC, c.outC]) as tf.Tensor4D;
  const strides: [number, number] = [c.stride, c.stride];
  const y = tf.conv2d(x, w, strides, 'same');
  const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
  const flops = 2 * batch * y.shape[1] * y.shape[2] * c.kernel * c.kernel * c.inC * c.outC;
  const common = { strides, pad: 'same', dataFormat: 'NHWC' };
  const dx = () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...common, inputShape: x.shape }) as tf.Tensor;
  const dw = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...common, filterShape: w.shape }) as tf.Tensor;
  const out: BenchResult[] = [await measure('conv2d', name, flops, () => tf.conv2d(x, w, strides, 'same'), quick)];
  if (isWasm) {
    // Both implementations, so the gain of ours is measured in the same run.
    for (const mode of ['stock', 'subpixel', 'auto'] as const) {
      setBackpropInputMode(mode);
      out.push(await measure('backpropInput', name, flops, dx, quick, mode));
    }
    setBackpropInputMode('auto');
    out.push(await measure('backpropFilter', name, flops, dw, quick, 'conv'));
  } else {
    out.push(await measure('backpropInput', name, flops, dx, quick));
    out.push(await measure('backpropFilter', name, flops, dw, quick));
  }
  tf.dispose([x, w, y, dy]);
  return out;
}

/** Benchmarks one backend that initBackend has loaded; leaves it as the current backend. */
export async function microbench(backend: BackendName, opts: MicrobenchOptions = {}): Promise<BackendBench> {
  const tfjsName = tfjsNameOf(backend);
  if (!tfjsName) throw new Error(`backend '${backend}' has not been loaded by initBackend`);
  await tf.setBackend(tfjsName);
  const quick = opts.quick ?? false;
  const scaled = backend === 'cpu' && !opts.cases;
  const results: BenchResult[] = [];
  for (const c of opts.cases ?? CONV_CASES) results.push(...(await benchConvCase(scaled ? scaledDown(c) : c, backend === 'wasm', quick)));
  const n = opts.matMulSize ?? (backend === 'cpu' ? 256 : 1024);
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  results.push(await measure('matMul', `${n}x${n}x${n}`, 2 * n ** 3, () => tf.matMul(a, b), quick));
  tf.dispose([a, b]);
  return { backend, tfjsName, scaledDown: scaled, results };
}

/** Benchmarks every active or available backend of a report, then restores the active one. */
export async function microbenchAll(report: BackendReport, opts: MicrobenchOptions = {}): Promise<Record<string, BackendBench>> {
  const out: Record<string, BackendBench> = {};
  for (const c of report.candidates) {
    if (c.status === 'active' || c.status === 'available') out[c.name] = await microbench(c.name, opts);
  }
  await tf.setBackend(report.tfjsName);
  return out;
}
