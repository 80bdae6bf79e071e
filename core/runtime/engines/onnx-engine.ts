// Inference through onnxruntime: the plan is exported once as a single ONNX model holding the
// modules' current weights, then every batch is one session run. On CPUs this is several
// times faster than tfjs's wasm backend (MLAS kernels on all cores).

import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { PlanStep } from '../../graph/plan';
import type { GanModule } from '../../modules/create';
import type { HostTensor, InferenceEngine, OutputRequest } from '../engine-types';
import { exportPlan } from '../onnx/export';
import { nchwToNhwc, nhwcToNchw } from './layout';

export interface OnnxEngineOptions {
  /** Threads for one operator; defaults to the machine's cores. */
  readonly threads?: number;
}

export async function createOnnxEngine(
  steps: readonly PlanStep[],
  modules: ReadonlyMap<string, GanModule>,
  requests: readonly OutputRequest[],
  opts: OnnxEngineOptions = {},
): Promise<InferenceEngine> {
  const weightsOf = (node: string) => {
    const m = modules.get(node);
    if (!m) throw new Error(`node '${node}' has no module`);
    return (name: string) => {
      const v = m.variables[name];
      if (!v) throw new Error(`${m.title}: no weight named '${name}'`);
      return { shape: v.shape, data: v.dataSync() as Float32Array };
    };
  };
  const exported = exportPlan(steps, weightsOf, requests);
  const threads = opts.threads ?? availableParallelism();
  const session = await ort.InferenceSession.create(exported.model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  return {
    name: `onnxruntime ${ort.env.versions?.common ?? ''} (cpu, ${threads} threads)`.replace('  ', ' '),
    async run(sources) {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [node, input] of exported.inputs) {
        const t = sources.get(node);
        if (!t) throw new Error(`no value for source node '${node}'`);
        if (t.shape.length === 4) {
          const [n, h, w, c] = t.shape as [number, number, number, number];
          feeds[input] = new ort.Tensor('float32', nhwcToNchw(t.data, n, h, w, c), [n, c, h, w]);
        } else feeds[input] = new ort.Tensor('float32', t.data, [...t.shape]);
      }
      const results = await session.run(feeds);
      const out = new Map<string, HostTensor>();
      for (const [key, name] of exported.outputs) {
        const r = results[name]!;
        const [n, c, h, w] = r.dims as [number, number, number, number];
        out.set(key, { data: nchwToNhwc(r.data as Float32Array, n, c, h, w), shape: [n, h, w, c] });
      }
      return out;
    },
    dispose: () => session.release(),
  };
}
