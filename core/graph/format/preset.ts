// The preset file: a reusable subgraph with the parameters and ports it exposes, and
// optionally the module weights it bundles. A preset is data only: nothing in it executes.

import { z } from 'zod';
import { nodeKind } from '../catalogue';
import { type DocumentSpec, loadDocument } from './migrate';
import { containedPath, graphSchema, layoutSchema } from './schemas';

export const PRESET_FORMAT = 'modulargan-preset';
export const PRESET_VERSION = 1;

const exposedPort = z.looseObject({ node: z.string().min(1), port: z.string().min(1), name: z.string().optional() });

export const presetSchema = z.looseObject({
  format: z.literal(PRESET_FORMAT),
  version: z.literal(PRESET_VERSION),
  name: z.string().min(1).max(200),
  description: z.string().default(''),
  /** The preset's own version, bumped by its author. */
  presetVersion: z.string().regex(/^\d+\.\d+\.\d+$/, 'must look like 1.0.0').default('1.0.0'),
  graph: graphSchema,
  layout: layoutSchema.default({ nodes: {} }),
  exposed: z
    .looseObject({
      params: z.array(z.looseObject({ node: z.string().min(1), param: z.string().min(1), name: z.string().optional() })).default([]),
      inputs: z.array(exposedPort).default([]),
      outputs: z.array(exposedPort).default([]),
    })
    .default({ params: [], inputs: [], outputs: [] }),
  weights: z
    .looseObject({
      modules: z.array(
        z.looseObject({
          node: z.string().min(1),
          file: containedPath,
          sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in hex'),
        }),
      ),
    })
    .optional(),
});

export type Preset = z.infer<typeof presetSchema>;

/**
 * The module nodes whose weights a preset names by a path out of its own folder (absolute,
 * "..", a drive letter): a bundled preset is data only, and its weights are files it holds,
 * so such a path could only make a run read a file the preset's author chose on this machine.
 */
export function weightsOutsidePreset(p: Pick<Preset, 'graph'>): { path: (string | number)[]; message: string }[] {
  return p.graph.nodes.flatMap((n, i) => {
    const w = n.params.weights;
    if (!nodeKind(n.kind)?.module || typeof w !== 'string' || w === '' || containedPath.safeParse(w).success) return [];
    const shown = w.length > 80 ? `${w.slice(0, 80)}…` : w;
    return [{ path: ['graph', 'nodes', i, 'params', 'weights'], message: `node '${n.id}' names its weights '${shown}', outside the preset's folder; a preset's weights must be files it bundles` }];
  });
}

function presetChecks(p: Preset): { path: (string | number)[]; message: string }[] {
  const nodes = new Set(p.graph.nodes.map((n) => n.id));
  const problems: { path: (string | number)[]; message: string }[] = [];
  const ref = (path: (string | number)[], node: string) => {
    if (!nodes.has(node)) problems.push({ path, message: `names a node '${node}' that is not in the preset's graph` });
  };
  p.exposed.params.forEach((x, i) => ref(['exposed', 'params', i, 'node'], x.node));
  p.exposed.inputs.forEach((x, i) => ref(['exposed', 'inputs', i, 'node'], x.node));
  p.exposed.outputs.forEach((x, i) => ref(['exposed', 'outputs', i, 'node'], x.node));
  p.weights?.modules.forEach((x, i) => ref(['weights', 'modules', i, 'node'], x.node));
  // A document that lists bundled weights came out of a bundle: read loose (unzipped, or in
  // the library), it is held to the bundle's rule. Presets saved on their own keep the paths
  // of the project they came from.
  if (p.weights) problems.push(...weightsOutsidePreset(p));
  return problems;
}

export const PRESET_SPEC: DocumentSpec<Preset> = {
  format: PRESET_FORMAT,
  noun: 'preset',
  version: PRESET_VERSION,
  migrations: [],
  schema: presetSchema as z.ZodType<Preset>,
  check: presetChecks,
};

export const loadPreset = (text: string) => loadDocument(text, PRESET_SPEC);
