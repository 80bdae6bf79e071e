// The project file: the graph, its layout, training set-up, datasets and checkpoints.

import { z } from 'zod';
import { type Doc, type DocumentSpec, type Migration, loadDocument } from './migrate';
import { checkpointRefSchema, datasetRefSchema, graphSchema, layoutSchema, trainingSchema } from './schemas';

export const PROJECT_FORMAT = 'modulargan-project';
export const PROJECT_VERSION = 2;

export const projectSchema = z.looseObject({
  format: z.literal(PROJECT_FORMAT),
  version: z.literal(PROJECT_VERSION),
  name: z.string().max(500),
  description: z.string().default(''),
  graph: graphSchema,
  layout: layoutSchema.default({ nodes: {} }),
  training: trainingSchema.optional(),
  datasets: z.array(datasetRefSchema).default([]),
  checkpoints: z.array(checkpointRefSchema).default([]),
});

export type Project = z.infer<typeof projectSchema>;

/** "node.port" as version 1 wrote edge ends; node ids may contain dots, ports do not. */
function splitRef(ref: unknown): { node: string; port: string } {
  if (typeof ref !== 'string' || !ref.includes('.')) {
    // Cut, so a damaged file's huge value does not become a huge message.
    const shown = JSON.stringify(ref) ?? String(ref);
    throw new Error(`link end ${shown.length > 60 ? `${shown.slice(0, 60)}…` : shown} is not "node.port"`);
  }
  const i = ref.lastIndexOf('.');
  return { node: ref.slice(0, i), port: ref.slice(i + 1) };
}

export const PROJECT_MIGRATIONS: readonly Migration[] = [
  {
    from: 1,
    describe: 'version 1 kept positions inside nodes and links as "node.port" strings; version 2 separates layout from the graph and adds datasets and checkpoints',
    up(doc: Doc): Doc {
      const { nodes, links, ...rest } = doc;
      if (!Array.isArray(nodes)) throw new Error('"nodes" is not a list');
      const layout: Record<string, { x: number; y: number }> = {};
      const graphNodes = nodes.map((n: unknown) => {
        if (typeof n !== 'object' || n === null) throw new Error('a node is not an object');
        const { position, ...node } = n as Doc & { position?: { x: number; y: number } };
        if (position && typeof node.id === 'string') layout[node.id] = { x: position.x, y: position.y };
        return node;
      });
      const edges = (Array.isArray(links) ? links : []).map((l: unknown, i: number) => {
        const link = l as Doc;
        return { id: `e${i + 1}`, from: splitRef(link?.from), to: splitRef(link?.to) };
      });
      return { ...rest, graph: { nodes: graphNodes, edges }, layout: { nodes: layout }, datasets: [], checkpoints: [] };
    },
  },
];

function projectChecks(p: Project): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const datasets = new Set(p.datasets.map((d) => d.id));
  if (p.training && !datasets.has(p.training.dataset))
    problems.push({ path: ['training', 'dataset'], message: `names a dataset '${p.training.dataset}' that the project does not list` });
  const nodes = new Set(p.graph.nodes.map((n) => n.id));
  p.training?.frozen.forEach((f, i) => {
    if (!nodes.has(f)) problems.push({ path: ['training', 'frozen', i], message: `names a node '${f}' that is not in the graph` });
  });
  return problems;
}

export const PROJECT_SPEC: DocumentSpec<Project> = {
  format: PROJECT_FORMAT,
  noun: 'project',
  version: PROJECT_VERSION,
  migrations: PROJECT_MIGRATIONS,
  schema: projectSchema as z.ZodType<Project>,
  check: projectChecks,
};

export const loadProject = (text: string) => loadDocument(text, PROJECT_SPEC);

/** A new, empty project. */
export function emptyProject(name: string): Project {
  return projectSchema.parse({ format: PROJECT_FORMAT, version: PROJECT_VERSION, name, graph: { nodes: [], edges: [] } });
}
