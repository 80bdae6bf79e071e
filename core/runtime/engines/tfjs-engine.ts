// Inference through tfjs on whatever backend is active (CUDA, WebGPU, wasm or cpu). Each
// batch runs inside tf.tidy, so no tensor outlives it: memory stays flat over any run.

import * as tf from '@tensorflow/tfjs-core';
import type { PlanStep } from '../../graph/plan';
import { type GanModule, applyModule } from '../../modules/create';
import type { HostTensor, InferenceEngine, OutputRequest } from '../engine-types';

export function createTfjsEngine(
  steps: readonly PlanStep[],
  modules: ReadonlyMap<string, GanModule>,
  requests: readonly OutputRequest[],
): InferenceEngine {
  return {
    name: `tfjs ${tf.getBackend()}`,
    async run(sources) {
      const tensors = tf.tidy(() => {
        const values = new Map<string, tf.Tensor>();
        const key = (node: string, port: string) => `${node}\u0000${port}`;
        const input = (s: PlanStep, port: string) => {
          const ref = s.inputs[port]?.[0];
          const v = ref && values.get(key(ref.node, ref.port));
          if (!v) throw new Error(`node '${s.node}': input '${port}' has no value`);
          return v;
        };
        for (const s of steps) {
          const m = modules.get(s.node);
          if (m) {
            const ins = Object.fromEntries(Object.keys(s.inputs).map((p) => [p, input(s, p)]));
            for (const [port, t] of Object.entries(applyModule(m, ins))) values.set(key(s.node, port), t);
          } else if (s.kind === 'mask-sum') {
            const masks = (s.inputs.masks ?? []).map((r) => values.get(key(r.node, r.port))!);
            values.set(key(s.node, 'mask'), masks.length === 1 ? masks[0]! : tf.addN(masks));
          } else if (s.kind === 'image-input' || s.kind === 'noise-input' || s.kind === 'condition-input') {
            const src = sources.get(s.node);
            if (!src) throw new Error(`no value for source node '${s.node}'`);
            values.set(key(s.node, Object.keys(s.shapes.outputs)[0]!), tf.tensor(src.data, [...src.shape]));
          }
        }
        return requests.map((r) => {
          const v = values.get(key(r.node, r.port));
          if (!v) throw new Error(`no value for ${r.node}.${r.port}`);
          return v;
        });
      });
      try {
        const out = new Map<string, HostTensor>();
        for (const [i, r] of requests.entries()) {
          const t = tensors[i]!;
          out.set(r.key, { data: (await t.data()) as Float32Array, shape: t.shape });
        }
        return out;
      } finally {
        tf.dispose(tensors);
      }
    },
    dispose() {},
  };
}
