// A whole inference plan as one ONNX model: sources become graph inputs, previews and image
// outputs become graph outputs, modules become their operators. One session then runs the
// chain end to end, letting onnxruntime fuse and schedule across module boundaries.

import { TRAINING_NODE_KINDS } from '../../graph/catalogue';
import type { AttributeGroup } from '../../graph/ports';
import { groupsLength } from '../../graph/ports';
import type { PlanStep } from '../../graph/plan';
import type { PortType } from '../../graph/ports';
import type { OutputRequest } from '../engine-types';
import { type Dims, OnnxGraph } from './builder';
import { ModuleEmitter, type WeightSource } from './modules';

export interface ExportedPlan {
  readonly model: Uint8Array;
  /** Graph input name per source node id (NCHW images, [N, length] vectors). */
  readonly inputs: ReadonlyMap<string, string>;
  /** Graph output name per request key (images NCHW, masks N×1×H×W). */
  readonly outputs: ReadonlyMap<string, string>;
}

const dim = (d: unknown, name: string): number | string => (typeof d === 'number' ? d : name);

function nchw(t: PortType | undefined, node: string): Dims {
  if (t?.kind === 'image') return ['N', 3, dim(t.h, `${node}.H`), dim(t.w, `${node}.W`)];
  if (t?.kind === 'condition' || t?.kind === 'noise') return ['N', dim(t.length, `${node}.L`)];
  throw new Error(`cannot export a source of type ${t?.kind}`);
}

/** Node kinds that only exist for training; they have no place in an inference model. */
const TRAINING_ONLY = TRAINING_NODE_KINDS;

export function exportPlan(
  steps: readonly PlanStep[],
  weightsOf: (node: string) => WeightSource,
  requests: readonly OutputRequest[],
): ExportedPlan {
  const g = new OnnxGraph();
  const value = new Map<string, string>(); // "node\0port" -> ONNX value
  const inputs = new Map<string, string>();
  const outputs = new Map<string, string>();
  const get = (s: PlanStep, port: string): string => {
    const ref = s.inputs[port]?.[0];
    const v = ref && value.get(`${ref.node}\u0000${ref.port}`);
    if (!v) throw new Error(`node '${s.node}': input '${port}' has no value`);
    return v;
  };
  const set = (node: string, port: string, v: string) => value.set(`${node}\u0000${port}`, v);

  for (const s of steps) {
    const p = s.params;
    const emit = () => new ModuleEmitter(g, weightsOf(s.node), s.node);
    switch (s.kind) {
      case 'image-input':
      case 'noise-input':
      case 'condition-input': {
        const port = Object.keys(s.shapes.outputs)[0]!;
        const name = g.input(`in:${s.node}`, nchw(s.shapes.outputs[port], s.node));
        inputs.set(s.node, name);
        set(s.node, port, name);
        break;
      }
      case 'encoder':
        set(s.node, 'feature', emit().encoder(get(s, 'image'), p.resBlocks as number));
        break;
      case 'generator': {
        const length = groupsLength(p.attributes as AttributeGroup[]);
        const layers = Math.round(Math.log2((p.imageSize as number) / 16)) + 1;
        set(s.node, 'feature', emit().generator(get(s, 'noise'), length ? get(s, 'condition') : null, layers));
        break;
      }
      case 'transformer': {
        const length = groupsLength(p.attributes as AttributeGroup[]);
        const t = emit().transformer(get(s, 'feature'), get(s, 'condition'), length, p.resBlocks as number, p.useMask as boolean, p.maskGain as number);
        set(s.node, 'feature', t.feature);
        set(s.node, 'mask', t.mask);
        break;
      }
      case 'reconstructor':
        set(s.node, 'image', emit().reconstructor(get(s, 'feature'), p.resBlocks as number));
        break;
      case 'mask-sum': {
        const masks = (s.inputs.masks ?? []).map((r) => value.get(`${r.node}\u0000${r.port}`)!);
        set(s.node, 'mask', masks.length === 1 ? masks[0]! : g.op('Sum', masks));
        break;
      }
      case 'image-output':
      case 'mask-preview':
        break; // sinks: what they show is requested by the caller as a module output
      default:
        if (TRAINING_ONLY.has(s.kind)) throw new Error(`node '${s.node}' (${s.kind}) is part of training and cannot run in an inference graph`);
        throw new Error(`node '${s.node}': no ONNX form for kind '${s.kind}'`);
    }
  }
  const types = new Map(steps.map((s) => [s.node, s.shapes.outputs]));
  for (const r of requests) {
    const v = value.get(`${r.node}\u0000${r.port}`);
    if (!v) throw new Error(`no value for ${r.node}.${r.port}`);
    const name = `out:${r.key}`;
    g.op('Identity', [v], {}, name);
    const t = types.get(r.node)?.[r.port];
    g.output(name, t?.kind === 'image' ? ['N', 3, dim(t.h, 'H'), dim(t.w, 'W')] : t?.kind === 'mask' ? ['N', 1, dim(t.h, 'H'), dim(t.w, 'W')] : ['N', 'C', 'H', 'W']);
    outputs.set(r.key, name);
  }
  return { model: g.encode('modulargan-plan'), inputs, outputs };
}
