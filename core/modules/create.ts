// One entry point from a graph node (its kind and parameters) to a built module.

import type * as tf from '@tensorflow/tfjs-core';
import { MODULE_NODE_KIND, type ModuleKind, nodeKind } from '../graph/catalogue';
import { Discriminator, discriminatorWeights } from './discriminator';
import { Encoder, encoderWeights } from './encoder';
import { Generator, generatorWeights } from './generator';
import { type Shape, type VariableSpec, resolveModuleParams } from './module';
import { Reconstructor, reconstructorWeights } from './reconstructor';
import { Transformer, transformerWeights } from './transformer';

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

/** The node kind that builds a module kind ('T' → 'transformer'), as the catalogue says. */
export const MODULE_NODE_KINDS = MODULE_NODE_KIND as Readonly<Record<ModuleKind, ModuleNodeKind>>;
for (const k of Object.values(MODULE_NODE_KINDS)) if (!isModuleNodeKind(k)) throw new Error(`the catalogue's module node kind '${k}' has no module class`);

/**
 * Builds the module a node of `nodeKind` runs, from the node's parameters (defaults filled
 * and checked against the catalogue), with weights drawn deterministically from `seed`.
 */
export function createModule(nodeKind: string, params: Readonly<Record<string, unknown>> = {}, seed = 0): GanModule {
  if (!isModuleNodeKind(nodeKind)) throw new Error(`'${nodeKind}' is not a module node kind (${Object.keys(CONSTRUCTORS).join(', ')})`);
  return new CONSTRUCTORS[nodeKind](params, seed);
}

const WEIGHTS = {
  encoder: encoderWeights,
  generator: generatorWeights,
  transformer: transformerWeights,
  reconstructor: reconstructorWeights,
  discriminator: discriminatorWeights,
} as const satisfies Record<ModuleNodeKind, unknown>;

/**
 * The weights a module of `nodeKind` would declare, from its parameters alone: nothing is
 * allocated, so a memory estimate can run before any module is built. Throws as
 * createModule does for parameters out of range.
 */
export function moduleWeightSpecs(nodeKind: string, params: Readonly<Record<string, unknown>> = {}): VariableSpec[] {
  if (!isModuleNodeKind(nodeKind)) throw new Error(`'${nodeKind}' is not a module node kind (${Object.keys(CONSTRUCTORS).join(', ')})`);
  return WEIGHTS[nodeKind](resolveModuleParams(nodeKind, params).params);
}

/** How many float32 values a module of `nodeKind` holds, without building it. */
export function moduleWeightCount(nodeKind: string, params: Readonly<Record<string, unknown>> = {}): number {
  return moduleWeightSpecs(nodeKind, params).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
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
