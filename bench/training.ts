// Training throughput of the standard iteration (bench/train-step.ts) per backend and
// configuration, with a per-kernel profile of one iteration and the convolutions' achieved
// GFLOP/s. The machine's load is reported with each number: on a shared 2-core machine it
// moves the result more than most kernel changes do.

import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName } from '../core/runtime/backend-report';
import { initBackend } from '../core/runtime/backends';
import { kernelProfile, setKernelProfiling } from '../core/runtime/native/kernel-profile';
import { type IterationConfig, StandardIteration, syntheticImages } from './train-step';

export interface TrainingCase {
  name: string;
  config: IterationConfig;
  backend: BackendName;
  /** Timed iterations after one warm-up (which builds oneDNN primitives, grows heaps). */
  iterations: number;
  /** Record a per-kernel profile of one extra iteration (native only). */
  profile?: boolean;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const load = () => loadavg().map((l) => round(l));

export async function benchTrainingCase(c: TrainingCase): Promise<Record<string, unknown>> {
  await initBackend(c.backend, { probeAll: false });
  const it = new StandardIteration(c.config);
  const images = syntheticImages(c.config.batch, c.config.size);
  const base = { name: c.name, backend: c.backend, ...c.config };
  try {
    const loadBefore = load();
    it.step(images, 0);
    const times: number[] = [];
    for (let i = 1; i <= c.iterations; i++) {
      const t0 = performance.now();
      it.step(images, i);
      times.push(performance.now() - t0);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    const out: Record<string, unknown> = {
      ...base,
      imgPerSec: round((c.config.batch * 1000) / median),
      bestImgPerSec: round((c.config.batch * 1000) / sorted[0]!),
      msPerIteration: times.map((t) => Math.round(t)),
      loadavgBefore: loadBefore,
      loadavgAfter: load(),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      tensorsAlive: tf.memory().numTensors,
    };
    if (c.profile && c.backend === 'native') out.profile = profileOne(it, images, c.iterations + 1);
    return out;
  } catch (e) {
    return { ...base, error: (e as Error).message };
  } finally {
    it.dispose();
    images.dispose();
  }
}

/** One iteration with every kernel timed: where the time goes, and the convs' GFLOP/s. */
function profileOne(it: StandardIteration, images: tf.Tensor4D, iteration: number) {
  setKernelProfiling(true);
  const t0 = performance.now();
  try {
    it.step(images, iteration);
  } finally {
    setKernelProfiling(false);
  }
  const total = performance.now() - t0;
  const kernels = kernelProfile();
  const inKernels = kernels.reduce((a, k) => a + k.ms, 0);
  const conv = kernels.filter((k) => k.flops);
  const convMs = conv.reduce((a, k) => a + k.ms, 0);
  const convFlops = conv.reduce((a, k) => a + (k.flops ?? 0), 0);
  return {
    iterationMs: Math.round(total),
    outsideKernelsMs: Math.round(total - inKernels),
    convGflopPerIteration: round(convFlops / 1e9),
    convGflops: round(convFlops / convMs / 1e6),
    convShareOfIteration: round(convMs / total),
    kernels: kernels.slice(0, 20).map((k) => ({
      kernel: k.kernel,
      ms: Math.round(k.ms),
      share: round(k.ms / total, 3),
      calls: k.calls,
      ...(k.flops ? { gflops: round(k.flops / k.ms / 1e6, 1) } : {}),
    })),
  };
}
