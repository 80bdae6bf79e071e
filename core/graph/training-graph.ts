// The training-time wiring of a project drawn as a graph: data source -> E (or G) -> each
// T_i -> R -> its D_i, with the loss terms as nodes whose weights are the training
// section's λs. It is built from the project (never stored), validated like any graph plus
// the checks only training needs (trainingDiagnostics), and edits to it go back into the
// project by applyTrainingGraph (training-edit.ts). Pure: the renderer and the engine both
// use it.

import { DEFAULT_DATASET_GROUPS, type DatasetSource } from './attributes';
import { GRAPH_MODULE_KINDS } from './catalogue';
import { encodeCondition } from './conditions';
import { analyze } from './connect';
import { type Graph, type GraphEdge, type GraphNode, nodeName } from './graph';
import type { Project } from './format/project';
import { type AttributeGroup, describeGroups, sameGroups } from './ports';
import type { Analysis, Diagnostic } from './validate';

/** The module nodes a project's graph trains (the catalogue's, D aside). */
export const MODULE_KINDS: ReadonlySet<string> = GRAPH_MODULE_KINDS;
/** Training-graph node ids: a prefix that project node ids are unlikely to use. */
export const TRAINING_IDS = { data: 'data', noise: 'z', baseCondition: 'a0' } as const;

type Params = Record<string, unknown>;

/** The id of the one discriminator every transformer shares (training.sharedDiscriminator) in checkpoints and weights. */
export const SHARED_D = 'D';

/** D's default depth, as the trainer sizes it: log2(size) − 1, at most 6. */
export const defaultDiscriminatorDepth = (imageSize: number): number => Math.max(1, Math.min(6, Math.round(Math.log2(imageSize)) - 1));

/** Binary groups take '0'/'1', as encodeCondition and the condition node's check expect. */
export const firstValues = (groups: readonly AttributeGroup[]): Record<string, string> =>
  Object.fromEntries(groups.map((g) => [g.name, g.kind === 'onehot' ? g.values[0]! : '1']));

export const groupsOf = (n: GraphNode): AttributeGroup[] => (n.params.attributes ?? []) as AttributeGroup[];

export function valuesFit(groups: readonly AttributeGroup[], values: unknown): values is Record<string, string> {
  if (typeof values !== 'object' || values === null) return false;
  try {
    encodeCondition(groups, values as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}

/** The project's condition-input node feeding a module's condition, if any. */
export function conditionNodeOf(project: Project, moduleId: string): GraphNode | undefined {
  const e = project.graph.edges.find((x) => x.to.node === moduleId && x.to.port === 'condition');
  return e && project.graph.nodes.find((n) => n.id === e.from.node && n.kind === 'condition-input');
}

/** The target values the training graph shows for a module: its project condition's, when they fit. */
export function shownValues(project: Project, m: GraphNode): Record<string, string> {
  const groups = groupsOf(m);
  const c = conditionNodeOf(project, m.id);
  const v = c && sameGroups(groupsOf(c), groups) ? c.params.values : undefined;
  return valuesFit(groups, v) ? { ...v } : firstValues(groups);
}

/** Ids of the nodes the training graph makes for one judged module (its D, target and loss terms). */
export const generatedIds = (id: string): string[] => [`target_${id}`, `D_${id}`, `D_${id}_real`, `adv_${id}`, `cls_${id}`, `cyc_${id}`, `keep_${id}`];

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
  nodes.push({ id: TRAINING_IDS.data, kind: 'dataset', label: ds.id, params: { source: ds.source, path: ds.path ?? '', imageSize: size, attributes: ds.attributes ?? [] } });
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
    nodes.push({ id: TRAINING_IDS.baseCondition, kind: 'condition-input', label: 'base condition a0', params: { attributes: groups, values: shownValues(project, base) } });
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
      nodes.push({ id: cond, kind: 'condition-input', label: `target of ${m.label || m.id}`, params: { attributes: groups, values: shownValues(project, m) } });
      edge(cond, 'condition', m.id, 'condition');
    }
    // With a shared D each module's D is that one D read through its attributes' slots.
    const dName = t.sharedDiscriminator ? `shared ${SHARED_D} (${m.label || m.id}'s slots)` : `D_${m.id}`;
    nodes.push({ id: `D_${m.id}`, kind: 'discriminator', label: dName, params: dParams(groups) });
    nodes.push({ id: `D_${m.id}_real`, kind: 'discriminator', label: `${dName} on real images (same weights)`, params: dParams(groups) });
    if (recon) edge(recon.id, 'image', `D_${m.id}`, 'image');
    edge(TRAINING_IDS.data, 'image', `D_${m.id}_real`, 'image');
    nodes.push({ id: `adv_${m.id}`, kind: 'adversarial-loss', label: `adversarial (${m.label || m.id})`, params: { weight: t.lambdaAdv ?? 1, gradientPenalty: t.lambdaGp } });
    edge(`D_${m.id}_real`, 'patch', `adv_${m.id}`, 'real');
    edge(`D_${m.id}`, 'patch', `adv_${m.id}`, 'fake');
    nodes.push({ id: `cls_${m.id}`, kind: 'classification-loss', label: `classification (${m.label || m.id})`, params: { weight: t.lambdaCls } });
    edge(`D_${m.id}`, 'logits', `cls_${m.id}`, 'logits');
    edge(cond, 'condition', `cls_${m.id}`, 'target');
  }
  // Beyond the paper (lambdaKeep): G's D must still read G's condition in every transformed image.
  if (base?.kind === 'generator' && (t.lambdaKeep ?? 0) > 0 && ((base.params.attributes ?? []) as AttributeGroup[]).length) {
    nodes.push({ id: `keep_${base.id}`, kind: 'classification-loss', label: `${base.label || base.id}'s condition kept by transformers`, params: { weight: t.lambdaKeep } });
    edge(`D_${base.id}`, 'logits', `keep_${base.id}`, 'logits');
    edge(TRAINING_IDS.baseCondition, 'condition', `keep_${base.id}`, 'target');
  }
  // Beyond the paper (lambdaKeep, translation): in each T_i's image every other D reads its own
  // attribute as the input had it. Drawn, as the whole chain below, from one transformer's D and
  // target: the first's D also judges what the other transformers made.
  const first = transformers[0];
  if (t.mode === 'translation' && (t.lambdaKeep ?? 0) > 0 && first && transformers.length > 1) {
    nodes.push({ id: `keep_${first.id}`, kind: 'classification-loss', label: 'attributes kept: in each T\'s image every other D reads its attribute unchanged', params: { weight: t.lambdaKeep } });
    edge(`D_${first.id}`, 'logits', `keep_${first.id}`, 'logits');
    edge(`target_${first.id}`, 'condition', `keep_${first.id}`, 'target');
  }
  // Beyond the paper (lambdaChain): all transformers at once, judged by every D. Drawn from the
  // last transformer's D: that D is one of those judging the composed image.
  const last = transformers[transformers.length - 1];
  if ((t.lambdaChain ?? 0) > 0 && last) {
    nodes.push({ id: `chain_${last.id}`, kind: 'classification-loss', label: 'whole chain: every D judges all transformers\' image', params: { weight: t.lambdaChain } });
    edge(`D_${last.id}`, 'logits', `chain_${last.id}`, 'logits');
    edge(`target_${last.id}`, 'condition', `chain_${last.id}`, 'target');
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

/** The dataset's attribute groups as the dataset node of a training graph lists them. */
export function datasetGroupsOf(data: GraphNode): readonly AttributeGroup[] {
  const chosen = groupsOf(data);
  return chosen.length ? chosen : (DEFAULT_DATASET_GROUPS[data.params.source as DatasetSource] ?? []);
}

/**
 * What the graph validator cannot see but training needs: each transformer's (and G's)
 * attributes must be groups of the dataset, as the trainer looks them up by name; and there
 * must be a transformer to train. Attached to the node at fault, like any diagnostic.
 */
export function trainingDiagnostics(graph: Graph): Diagnostic[] {
  const data = graph.nodes.find((n) => n.kind === 'dataset');
  if (!data) return [];
  const have = datasetGroupsOf(data);
  const out: Diagnostic[] = [];
  const error = (n: GraphNode, message: string) => out.push({ severity: 'error', code: 'attribute-mismatch', node: n.id, port: 'condition', message });
  /** Attribute name -> the first module that changes it, to flag a second one. */
  const owner = new Map<string, GraphNode>();
  for (const n of graph.nodes) {
    if (n.kind !== 'transformer' && n.kind !== 'generator') continue;
    for (const g of groupsOf(n)) {
      const first = owner.get(g.name);
      // Legal (each gets its own D), but two modules trained on one attribute is nearly always a slip.
      if (first)
        out.push({ severity: 'warning', code: 'attribute-mismatch', node: n.id, port: 'condition', message: `${nodeName(n)} changes '${g.name}', as ${nodeName(first)} does: both would be trained for the same attribute` });
      else owner.set(g.name, n);
      const found = have.find((d) => d.name === g.name);
      if (!found) error(n, `${nodeName(n)}: the dataset has no attribute '${g.name}' (it has ${describeGroups(have)})`);
      else if (!sameGroups([found], [g])) error(n, `${nodeName(n)}: attribute '${g.name}' is ${describeGroups([g])} here but ${describeGroups([found])} in the dataset`);
    }
  }
  if (!graph.nodes.some((n) => n.kind === 'transformer'))
    out.push({ severity: 'error', code: 'missing-input', node: data.id, message: 'Training needs at least one transformer: add one from the palette' });
  return out;
}

const analyses = new WeakMap<Graph, Analysis>();

/** The validator's analysis of a training graph plus trainingDiagnostics; once per graph object. */
export function analyzeTrainingGraph(graph: Graph): Analysis {
  let a = analyses.get(graph);
  if (!a) {
    const base = analyze(graph);
    const extra = trainingDiagnostics(graph);
    const diagnostics = [...base.diagnostics, ...extra];
    a = extra.length ? { ...base, diagnostics, ok: !diagnostics.some((d) => d.severity === 'error') } : base;
    analyses.set(graph, a);
  }
  return a;
}

/** Dataset groups no transformer (nor G) of the training graph changes yet: candidates for a new transformer. */
export function freeGroups(graph: Graph): AttributeGroup[] {
  const data = graph.nodes.find((n) => n.kind === 'dataset');
  if (!data) return [];
  const used = new Set(graph.nodes.filter((n) => n.kind === 'transformer' || n.kind === 'generator').flatMap((n) => groupsOf(n).map((g) => g.name)));
  return datasetGroupsOf(data).filter((g) => !used.has(g.name));
}

/** A new transformer for one attribute group, sized like the graph's others: id, label and parameters. */
export function transformerFor(graph: Graph, group: AttributeGroup): { id: string; label: string; params: Record<string, unknown> } {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const base = `T_${group.name.replace(/[^\w]+/g, '_')}`;
  let id = base;
  for (let i = 2; ids.has(id); i++) id = `${base}_${i}`;
  const sibling = graph.nodes.find((n) => n.kind === 'transformer');
  const feature = graph.nodes.find((n) => n.kind === 'encoder' || n.kind === 'generator');
  return {
    id,
    label: group.name,
    params: {
      baseChannels: sibling?.params.baseChannels ?? feature?.params.baseChannels ?? 64,
      resBlocks: sibling?.params.resBlocks ?? 6,
      attributes: [group],
      useMask: true,
    },
  };
}
