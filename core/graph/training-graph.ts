// The training-time wiring of a project drawn as a graph: data source -> E (or G) -> each
// T_i -> R -> its D_i, with the loss terms as nodes whose weights are the training
// section's λs. It is built from the project (never stored), validated like any graph, and
// edits to it go back into the project by applyTrainingGraph. Pure: the renderer and the
// engine both use it.

import type { DatasetSource } from './attributes';
import type { Graph, GraphEdge, GraphNode } from './graph';
import type { Project } from './format/project';
import type { AttributeGroup } from './ports';

const MODULE_KINDS = new Set(['encoder', 'generator', 'transformer', 'reconstructor']);
/** Training-graph node ids: a prefix that project node ids are unlikely to use. */
export const TRAINING_IDS = { data: 'data', noise: 'z', baseCondition: 'a0' } as const;

type Training = NonNullable<Project['training']>;
type Params = Record<string, unknown>;

/** D's default depth, as the trainer sizes it: log2(size) − 1, at most 6. */
export const defaultDiscriminatorDepth = (imageSize: number): number => Math.max(1, Math.min(6, Math.round(Math.log2(imageSize)) - 1));

const firstValues = (groups: readonly AttributeGroup[]) =>
  Object.fromEntries(groups.map((g) => [g.name, g.kind === 'onehot' ? g.values[0]! : 'yes']));

function datasetOf(project: Project) {
  const t = project.training;
  return t ? project.datasets.find((d) => d.id === t.dataset) : undefined;
}

/** Builds the training graph, or says why there is none. */
export function buildTrainingGraph(project: Project): Graph {
  const t = project.training;
  if (!t) throw new Error('the project has no "training" section');
  const ds = datasetOf(project);
  if (!ds) throw new Error(`training.dataset '${t.dataset}' is not one of the project's datasets`);
  const modules = project.graph.nodes.filter((n) => MODULE_KINDS.has(n.kind));
  const ids = new Set(modules.map((n) => n.id));
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = project.graph.edges.filter((e) => ids.has(e.from.node) && ids.has(e.to.node) && e.to.port === 'feature');
  const edge = (from: string, fromPort: string, to: string, toPort: string) =>
    edges.push({ id: `${from}.${fromPort}->${to}.${toPort}`, from: { node: from, port: fromPort }, to: { node: to, port: toPort } });

  const size = ds.imageSize;
  nodes.push({ id: TRAINING_IDS.data, kind: 'dataset', label: `dataset '${ds.id}'`, params: { source: ds.source, path: ds.path ?? '', imageSize: size, attributes: ds.attributes ?? [] } });
  nodes.push(...modules);
  const base = modules.find((n) => n.kind === (t.mode === 'translation' ? 'encoder' : 'generator'));
  const recon = modules.find((n) => n.kind === 'reconstructor');
  const transformers = modules.filter((n) => n.kind === 'transformer');
  const baseChannels = Number(base?.params.baseChannels ?? 64);
  const dParams = (groups: unknown): Params => ({
    imageSize: size,
    baseChannels: t.dBaseChannels ?? baseChannels,
    depth: t.dDepth ?? defaultDiscriminatorDepth(size),
    attributes: groups,
  });

  if (base?.kind === 'encoder') edge(TRAINING_IDS.data, 'image', base.id, 'image');
  if (base?.kind === 'generator') {
    nodes.push({ id: TRAINING_IDS.noise, kind: 'noise-input', label: 'noise z', params: { length: base.params.noiseLength ?? 64, seed: t.seed } });
    const groups = (base.params.attributes ?? []) as AttributeGroup[];
    nodes.push({ id: TRAINING_IDS.baseCondition, kind: 'condition-input', label: 'base condition a0', params: { attributes: groups, values: firstValues(groups) } });
    edge(TRAINING_IDS.noise, 'noise', base.id, 'noise');
    edge(TRAINING_IDS.baseCondition, 'condition', base.id, 'condition');
  }
  // Each judged module: its D on R's images and on real images, the adversarial and the
  // classification terms. In generation mode G's base condition has its own D.
  const judged = [...(base?.kind === 'generator' ? [base] : []), ...transformers];
  for (const m of judged) {
    const groups = m.params.attributes ?? [];
    const cond = m.kind === 'generator' ? TRAINING_IDS.baseCondition : `target_${m.id}`;
    if (m.kind === 'transformer') {
      nodes.push({ id: cond, kind: 'condition-input', label: `target of ${m.label || m.id}`, params: { attributes: groups, values: firstValues(groups as AttributeGroup[]) } });
      edge(cond, 'condition', m.id, 'condition');
    }
    nodes.push({ id: `D_${m.id}`, kind: 'discriminator', label: `D_${m.id}`, params: dParams(groups) });
    nodes.push({ id: `D_${m.id}_real`, kind: 'discriminator', label: `D_${m.id} on real images (same weights)`, params: dParams(groups) });
    if (recon) edge(recon.id, 'image', `D_${m.id}`, 'image');
    edge(TRAINING_IDS.data, 'image', `D_${m.id}_real`, 'image');
    nodes.push({ id: `adv_${m.id}`, kind: 'adversarial-loss', label: `adversarial (${m.label || m.id})`, params: { weight: t.lambdaAdv ?? 1, gradientPenalty: t.lambdaGp } });
    edge(`D_${m.id}_real`, 'patch', `adv_${m.id}`, 'real');
    edge(`D_${m.id}`, 'patch', `adv_${m.id}`, 'fake');
    nodes.push({ id: `cls_${m.id}`, kind: 'classification-loss', label: `classification (${m.label || m.id})`, params: { weight: t.lambdaCls } });
    edge(`D_${m.id}`, 'logits', `cls_${m.id}`, 'logits');
    edge(cond, 'condition', `cls_${m.id}`, 'target');
  }
  if (t.mode === 'translation' && recon && base) {
    nodes.push({ id: 'rec', kind: 'reconstruction-loss', label: 'reconstruction |R(E(x)) − x|', params: { weight: t.lambdaRec } });
    edge(TRAINING_IDS.data, 'image', 'rec', 'image');
    edge(recon.id, 'image', 'rec', 'reconstruction');
    for (const m of transformers) {
      // E(R(T(E(x)))) re-uses E: the edge from E stands for that second pass.
      nodes.push({ id: `cyc_${m.id}`, kind: 'cycle-loss', label: `feature cycle (${m.label || m.id})`, params: { weight: t.lambdaCyc } });
      edge(m.id, 'feature', `cyc_${m.id}`, 'feature');
      edge(base.id, 'feature', `cyc_${m.id}`, 'reencoded');
    }
  }
  return { nodes, edges };
}

/** The value the user changed among several nodes that show the same setting, else the current one. */
function edited(current: number, values: readonly unknown[]): number {
  const changed = values.find((v) => typeof v === 'number' && Number.isFinite(v) && v !== current);
  return (changed as number | undefined) ?? current;
}

/**
 * Carries edits of the training graph back into the project: loss weights into the training
 * λs, D's depth and base channels, the dataset node into the dataset entry, and module
 * parameters into the project's module nodes. Wiring edits are not carried: the trainer's
 * wiring is fixed by the paper's losses.
 */
export function applyTrainingGraph(project: Project, graph: Graph): Project {
  const t = project.training;
  if (!t) throw new Error('the project has no "training" section');
  const of = (kind: string, param: string) => graph.nodes.filter((n) => n.kind === kind).map((n) => n.params[param]);
  const base = project.graph.nodes.find((n) => n.kind === (t.mode === 'translation' ? 'encoder' : 'generator'));
  const dDepthNow = t.dDepth ?? defaultDiscriminatorDepth(datasetOf(project)?.imageSize ?? 64);
  const dBaseNow = t.dBaseChannels ?? Number(base?.params.baseChannels ?? 64);
  const training: Training = {
    ...t,
    lambdaGp: edited(t.lambdaGp, of('adversarial-loss', 'gradientPenalty')),
    lambdaCls: edited(t.lambdaCls, of('classification-loss', 'weight')),
    lambdaRec: edited(t.lambdaRec, of('reconstruction-loss', 'weight')),
    lambdaCyc: edited(t.lambdaCyc, of('cycle-loss', 'weight')),
  };
  // Written only when edited, so a project that never set it keeps its file unchanged.
  const adv = edited(t.lambdaAdv ?? 1, of('adversarial-loss', 'weight'));
  if (adv !== (t.lambdaAdv ?? 1)) training.lambdaAdv = adv;
  const depth = edited(dDepthNow, of('discriminator', 'depth'));
  const dBase = edited(dBaseNow, of('discriminator', 'baseChannels'));
  if (depth !== dDepthNow) training.dDepth = depth;
  if (dBase !== dBaseNow) training.dBaseChannels = dBase;
  const data = graph.nodes.find((n) => n.id === TRAINING_IDS.data && n.kind === 'dataset');
  const datasets = project.datasets.map((d) => {
    if (!data || d.id !== t.dataset) return d;
    const p = data.params;
    const attrs = Array.isArray(p.attributes) && p.attributes.length ? { attributes: p.attributes as NonNullable<typeof d.attributes> } : {};
    const { attributes: _drop, ...rest } = d;
    void _drop;
    return { ...rest, source: p.source as DatasetSource, imageSize: Number(p.imageSize), ...(p.path ? { path: String(p.path) } : {}), ...attrs };
  });
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const nodes = project.graph.nodes.map((n) => {
    const m = byId.get(n.id);
    return m && m.kind === n.kind && MODULE_KINDS.has(n.kind) ? { ...n, params: m.params, ...(m.label === undefined ? {} : { label: m.label }) } : n;
  });
  return { ...project, training, datasets, graph: { ...project.graph, nodes } };
}
