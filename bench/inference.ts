// Inference benchmark: E -> 3 T -> R at 64 px (base 32, 3 residual blocks per T) and 128 px
// (base 64, 6 blocks), batch 1 and 8, per engine: onnxruntime, and tfjs on each backend.

import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { CELEBA, SYNTHETIC_FACES } from '../core/graph/attributes';
import type { Graph } from '../core/graph/graph';
import { executionPlan } from '../core/graph/plan';
import { type GanModule, createModule } from '../core/modules/create';
import type { HostTensor, InferenceEngine, OutputRequest } from '../core/runtime/engine-types';
import { createTfjsEngine } from '../core/runtime/engines/tfjs-engine';
import { planFlops } from '../core/runtime/flops';
import { gaussian } from '../core/runtime/noise';

export interface InferenceCase {
  readonly size: number;
  readonly base: number;
  readonly resBlocks: number;
}

export const CASES: readonly InferenceCase[] = [
  { size: 64, base: 32, resBlocks: 3 },
  { size: 128, base: 64, resBlocks: 6 },
];

export function benchGraph3T({ size, base, resBlocks }: InferenceCase): Graph {
  const groups = [[CELEBA.hair], [SYNTHETIC_FACES.smiling], [SYNTHETIC_FACES.glasses]];
  const nodes: Graph['nodes'][number][] = [
    { id: 'img', kind: 'image-input', params: { path: 'bench', size } },
    { id: 'E', kind: 'encoder', params: { imageSize: size, baseChannels: base } },
    { id: 'R', kind: 'reconstructor', params: { imageSize: size, baseChannels: base } },
    { id: 'out', kind: 'image-output', params: {} },
  ];
  const edges: Graph['edges'][number][] = [{ id: 'i', from: { node: 'img', port: 'image' }, to: { node: 'E', port: 'image' } }];
  let prev = 'E';
  groups.forEach((g, i) => {
    nodes.push({ id: `T${i}`, kind: 'transformer', params: { baseChannels: base, resBlocks, attributes: g } });
    nodes.push({ id: `c${i}`, kind: 'condition-input', params: { attributes: g, values: { [g[0]!.name]: g[0]!.kind === 'onehot' ? 'blond' : '1' } } });
    edges.push({ id: `f${i}`, from: { node: prev, port: 'feature' }, to: { node: `T${i}`, port: 'feature' } });
    edges.push({ id: `k${i}`, from: { node: `c${i}`, port: 'condition' }, to: { node: `T${i}`, port: 'condition' } });
    prev = `T${i}`;
  });
  edges.push({ id: 'r', from: { node: prev, port: 'feature' }, to: { node: 'R', port: 'feature' } }, { id: 'o', from: { node: 'R', port: 'image' }, to: { node: 'out', port: 'image' } });
  return { nodes, edges };
}

/** Times one engine on one case; returns ms per image and achieved GFLOP/s. */
async function timeEngine(make: () => Promise<InferenceEngine>, c: InferenceCase, batch: number, flops: number, budgetMs: number) {
  const engine = await make();
  try {
    const sources = new Map<string, HostTensor>([
      ['img', { data: gaussian('bench', batch * c.size * c.size * 3).map((x) => Math.tanh(x)), shape: [batch, c.size, c.size, 3] }],
      ['c0', { data: new Float32Array(batch * 3).fill(0.5), shape: [batch, 3] }],
      ['c1', { data: new Float32Array(batch).fill(1), shape: [batch, 1] }],
      ['c2', { data: new Float32Array(batch), shape: [batch, 1] }],
    ]);
    await engine.run(sources); // warm-up: kernels compile, memory is allocated
    const times: number[] = [];
    const start = performance.now();
    // Repeat within the time budget (at least once, at most 20 times): slow paths get fewer runs.
    do {
      const t0 = performance.now();
      await engine.run(sources);
      times.push(performance.now() - t0);
    } while (performance.now() - start < budgetMs && times.length < 20);
    const best = Math.min(...times) / batch;
    const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]! / batch;
    return { msPerImage: round(median), bestMsPerImage: round(best), gflops: round(flops / (median * 1e6)), runs: times.length };
  } finally {
    await engine.dispose();
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

/** `engines`: which to time; tfjs runs on whatever tfjs backend is active. */
export async function benchInference(engines: readonly ('onnxruntime' | 'tfjs')[], opts: { budgetMs?: number; cases?: readonly InferenceCase[]; batches?: readonly number[] } = {}) {
  const out: Record<string, unknown>[] = [];
  for (const c of opts.cases ?? CASES) {
    const plan = executionPlan(benchGraph3T(c));
    if (!plan.ok) throw new Error(plan.diagnostics[0]!.message);
    const flops = planFlops(plan.steps);
    const modules = new Map<string, GanModule>();
    for (const s of plan.steps) if (s.module) modules.set(s.node, createModule(s.kind, s.params, 1));
    const requests: OutputRequest[] = [{ key: 'out', node: 'R', port: 'image' }];
    try {
      for (const engine of engines)
        for (const batch of opts.batches ?? [1, 8]) {
          // onnxruntime is loaded only when timed, so the benchmark also runs where it is absent.
          const make = async () =>
            engine === 'onnxruntime'
              ? (await import('../core/runtime/engines/onnx-engine')).createOnnxEngine(plan.steps, modules, requests)
              : createTfjsEngine(plan.steps, modules, requests);
          const r = await timeEngine(make, c, batch, flops, opts.budgetMs ?? 3000);
          out.push({ engine: engine === 'tfjs' ? `tfjs-${tf.getBackend()}` : engine, size: c.size, base: c.base, resBlocks: c.resBlocks, batch, gflopPerImage: round(flops / 1e9), ...r });
        }
    } finally {
      for (const m of modules.values()) m.dispose();
    }
  }
  return out;
}
