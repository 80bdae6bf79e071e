// Training throughput for the standard configuration: 64 px, base 32, three transformers
// with three residual blocks each (conditions of length 3), discriminators with 5 layers,
// batch 16, WGAN-GP; one iteration = one D update and one G update (n_critic 1). Reported
// with the peak memory of the process and of tfjs.

import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import type { Graph } from '../core/graph/graph';
import type { AttributeGroup } from '../core/graph/ports';
import type { BackendName } from '../core/runtime/backend-report';
import { initBackend } from '../core/runtime/backends';
import { kernelProfile, setKernelProfiling } from '../core/runtime/native/kernel-profile';
import { gaussian } from '../core/runtime/noise';
import { buildTrainModel, disposeModel } from '../core/train/model';
import { Trainer } from '../core/train/trainer';

export interface TrainingBenchOptions {
  size?: number;
  base?: number;
  resBlocks?: number;
  batch?: number;
  /** Discriminator stride-2 layers (default 5; the paper's 128 px configuration has 6). */
  dDepth?: number;
  /** Timed iterations after one warm-up (default 3). */
  iterations?: number;
  backend?: BackendName;
  /** After the timed iterations, one more with every native kernel timed (native only). */
  profile?: boolean;
}

const GROUPS: AttributeGroup[] = [
  { name: 'hair', kind: 'onehot', values: ['black', 'blond', 'brown'] },
  { name: 'age', kind: 'onehot', values: ['young', 'adult', 'old'] },
  { name: 'light', kind: 'onehot', values: ['left', 'front', 'right'] },
];

function standardGraph(size: number, base: number, resBlocks: number): Graph {
  const nodes: Graph['nodes'][number][] = [
    { id: 'E', kind: 'encoder', params: { imageSize: size, baseChannels: base } },
    ...GROUPS.map((g, i) => ({ id: `T${i}`, kind: 'transformer', params: { baseChannels: base, resBlocks, attributes: [g] } })),
    { id: 'R', kind: 'reconstructor', params: { imageSize: size, baseChannels: base } },
  ];
  return { nodes, edges: [] };
}

export async function benchTrainer(opts: TrainingBenchOptions = {}): Promise<Record<string, unknown>> {
  const size = opts.size ?? 64;
  const base = opts.base ?? 32;
  const batch = opts.batch ?? 16;
  const iterations = opts.iterations ?? 3;
  const report = await initBackend(opts.backend ?? 'wasm', { probeAll: false });
  const model = await buildTrainModel(standardGraph(size, base, opts.resBlocks ?? 3), {
    mode: 'translation',
    imageSize: size,
    datasetGroups: GROUPS,
    seed: 0,
    dDepth: opts.dDepth ?? 5,
    baseDir: '.',
  });
  const trainer = new Trainer(model, {
    iterations: 1000,
    batchSize: batch,
    learningRate: 1e-4,
    beta1: 0.5,
    beta2: 0.999,
    nCritic: 1,
    lambdaGp: 10,
    lambdaCls: 1,
    lambdaRec: 10,
    lambdaCyc: 10,
    seed: 0,
    frozen: [],
  });
  // Images in [-1, 1] and one-hot labels; the content does not change the cost.
  const images = gaussian('bench-train', batch * size * size * 3).map((v) => Math.tanh(v));
  const labels = new Float32Array(batch * 9);
  for (let i = 0; i < batch; i++) for (let g = 0; g < 3; g++) labels[i * 9 + g * 3 + ((i + g) % 3)] = 1;
  let peakTensorBytes = 0;
  let peakRss = 0;
  const sample = () => {
    peakTensorBytes = Math.max(peakTensorBytes, tf.memory().numBytes);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, 200);
  try {
    const times: number[] = [];
    for (let k = 0; k <= iterations; k++) {
      const t0 = performance.now();
      trainer.step(k, { index: k, size: batch, images, labels });
      sample();
      if (k > 0) times.push((performance.now() - t0) / 1000);
    }
    const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
    let profile: Record<string, unknown> | undefined;
    if (opts.profile && report.active === 'native') {
      setKernelProfiling(true);
      const t0 = performance.now();
      try {
        trainer.step(iterations + 1, { index: iterations + 1, size: batch, images, labels });
      } finally {
        setKernelProfiling(false);
      }
      const ms = performance.now() - t0;
      const kernels = kernelProfile();
      profile = {
        iterationMs: Math.round(ms),
        outsideKernelsMs: Math.round(ms - kernels.reduce((a, k) => a + k.ms, 0)),
        kernels: kernels.slice(0, 12).map((k) => ({ kernel: k.kernel, ms: Math.round(k.ms), calls: k.calls, ...(k.flops ? { gflops: Math.round(k.flops / k.ms / 1e5) / 10 } : {}) })),
      };
    }
    const wasmHeap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.length;
    return {
      note: 'one D + one G update per iteration (E, 3 T, R, 3 D), median of the timed iterations after one warm-up',
      config: { size, base, resBlocks: opts.resBlocks ?? 3, transformers: 3, conditionLength: 3, dDepth: opts.dDepth ?? 5, batch },
      backend: report.active,
      imagesPerSecond: Math.round((batch / median) * 100) / 100,
      secondsPerIteration: times.map((t) => Math.round(t * 100) / 100),
      peakRssMiB: Math.round(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20),
      peakTensorMiB: Math.round(peakTensorBytes / 2 ** 20),
      ...(wasmHeap ? { wasmHeapMiB: Math.round(wasmHeap / 2 ** 20) } : {}),
      ...(profile ? { profile } : {}),
      target: '>= 0.73-0.84 img/s (tfjs wasm with custom conv-gradient kernels, measured before)',
    };
  } finally {
    clearInterval(timer);
    trainer.dispose();
    disposeModel(model);
  }
}
