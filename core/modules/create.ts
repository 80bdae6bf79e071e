// One entry point from a graph node (its kind and parameters) to a built module.

import type * as tf from '@tensorflow/tfjs-core';
import { type ModuleKind, nodeKind } from '../graph/catalogue';
import { Discriminator } from './discriminator';
import { Encoder } from './encoder';
import { Generator } from './generator';
import type { Shape } from './module';
import { Reconstructor } from './reconstructor';
import { Transformer } from './transformer';

export type GanModule = Encoder | Generator | Transformer | Reconstructor | Discriminator;

const CONSTRUCTORS = {
  encoder: Encoder,
  generator: Generator,
  transformer: Transformer,
  reconstructor: Reconstructor,
  discriminator: Discriminator,
} as const;

export type ModuleNodeKind = keyof typeof CONSTRUCTORS;

export const isModuleNodeKind = (kind: string): kind is ModuleNodeKind => Object.hasOwn(CONSTRUCTORS, kind);

/** The node kind that builds a module kind ('T' → 'transformer'). */
export const MODULE_NODE_KINDS: Readonly<Record<ModuleKind, ModuleNodeKind>> = {
  E: 'encoder',
  G: 'generator',
  T: 'transformer',
  R: 'reconstructor',
  D: 'discriminator',
};

/**
 * Builds the module a node of `nodeKind` runs, from the node's parameters (defaults filled
 * and checked against the catalogue), with weights drawn deterministically from `seed`.
 */
export function createModule(nodeKind: string, params: Readonly<Record<string, unknown>> = {}, seed = 0): GanModule {
  if (!isModuleNodeKind(nodeKind)) throw new Error(`'${nodeKind}' is not a module node kind (${Object.keys(CONSTRUCTORS).join(', ')})`);
  return new CONSTRUCTORS[nodeKind](params, seed);
}

/** The module's input port names, from the catalogue, for generic callers. */
function requirePorts<T>(m: GanModule, inputs: Readonly<Record<string, T>>): void {
  const def = nodeKind(m.nodeKind)!;
  for (const port of def.inputs)
    if (inputs[port.name] === undefined) throw new Error(`${m.title}: input '${port.name}' is missing`);
}

/**
 * Runs any module on tensors keyed by the catalogue's port names — what a graph executor
 * holds — and returns its outputs keyed the same way.
 */
export function applyModule(m: GanModule, inputs: Readonly<Record<string, tf.Tensor>>): Record<string, tf.Tensor> {
  requirePorts(m, inputs);
  // The port check above is what the per-module input types would otherwise guarantee.
  const apply = m.apply.bind(m) as unknown as (x: Readonly<Record<string, tf.Tensor>>) => Record<string, tf.Tensor>;
  return apply(inputs);
}

/** Output tensor shapes (NHWC) of any module for input shapes keyed by port name. */
export function moduleOutputShapes(m: GanModule, inputs: Readonly<Record<string, Shape>>): Record<string, Shape> {
  requirePorts(m, inputs);
  const shapes = m.outputShapes.bind(m) as unknown as (x: Readonly<Record<string, Shape>>) => Record<string, Shape>;
  return shapes(inputs);
}
