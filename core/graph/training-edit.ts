// Edits of the training graph carried back into the project: loss weights into the training
// λs, D's depth and channels, the dataset node into the dataset entry, module parameters
// into the module nodes, and structure — a transformer added (with its condition, spliced
// into the chain), removed (with what only it used), its attributes changed, the chain of
// modules rewired. The trainer builds its D and loss terms from the project, so the result
// is checked by building the training graph again from it: every change the user made must
// show there, else the edit is refused with a message naming the node. Nothing is dropped
// silently.

import { nodeKind } from './catalogue';
import type { DatasetSource } from './attributes';
import type { Project } from './format/project';
import { type Graph, type GraphEdge, type GraphNode, type PortRef, nodeName, portName } from './graph';
import { type AttributeGroup, sameGroups } from './ports';
import {
  MODULE_KINDS,
  TRAINING_IDS,
  buildTrainingGraph,
  defaultDiscriminatorDepth,
  firstValues,
  generatedIds,
  groupsOf,
  shownValues,
  valuesFit,
} from './training-graph';

type Training = NonNullable<Project['training']>;
type PNode = Project['graph']['nodes'][number];
type PEdge = Project['graph']['edges'][number];
type Link = { from: PortRef; to: PortRef };

/** An edit of the training graph the project cannot hold; `node` is the node it concerns. */
export class TrainingGraphRefusal extends Error {
  constructor(
    message: string,
    readonly node?: string,
  ) {
    super(message);
  }
}

/** Deep equality of JSON-like values, key order aside. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The value the user changed among several nodes that show the same setting, else the current one. */
function edited(current: number, values: readonly unknown[]): number {
  const changed = values.find((v) => typeof v === 'number' && Number.isFinite(v) && v !== current);
  return (changed as number | undefined) ?? current;
}

const datasetOf = (p: Project) => p.datasets.find((d) => d.id === p.training?.dataset);
const endKey = (e: Link) => `${e.from.node}.${e.from.port}>${e.to.node}.${e.to.port}`;
const sameEnd = (a: PortRef, b: PortRef) => a.node === b.node && a.port === b.port;

/** λs, D settings and the dataset entry: settings that several nodes of the graph show. */
function carrySettings(project: Project, graph: Graph): Pick<Project, 'training' | 'datasets'> {
  const t = project.training!;
  const of = (kind: string, param: string, idPrefix = '') =>
    graph.nodes.filter((n) => n.kind === kind && n.id.startsWith(idPrefix)).map((n) => n.params[param]);
  const base = project.graph.nodes.find((n) => n.kind === (t.mode === 'translation' ? 'encoder' : 'generator'));
  const dDepthNow = t.dDepth ?? defaultDiscriminatorDepth(datasetOf(project)?.imageSize ?? 64);
  const dBaseNow = t.dBaseChannels ?? Number(base?.params.baseChannels ?? 64);
  const training: Training = {
    ...t,
    lambdaGp: edited(t.lambdaGp, of('adversarial-loss', 'gradientPenalty')),
    lambdaCls: edited(t.lambdaCls, of('classification-loss', 'weight', 'cls_')),
    lambdaRec: edited(t.lambdaRec, of('reconstruction-loss', 'weight')),
    lambdaCyc: edited(t.lambdaCyc, of('cycle-loss', 'weight')),
  };
  // Written only when edited, so a project that never set them keeps its file unchanged.
  const adv = edited(t.lambdaAdv ?? 1, of('adversarial-loss', 'weight'));
  if (adv !== (t.lambdaAdv ?? 1)) training.lambdaAdv = adv;
  if (t.lambdaKeep !== undefined) training.lambdaKeep = edited(t.lambdaKeep, of('classification-loss', 'weight', 'keep_'));
  if (t.lambdaChain !== undefined) training.lambdaChain = edited(t.lambdaChain, of('classification-loss', 'weight', 'chain_'));
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
  return { training, datasets };
}

/** Applies the edited graph to the project as far as it can; applyTrainingGraph checks the rest. */
function carryBack(project: Project, graph: Graph): Project {
  const { training, datasets } = carrySettings(project, graph);
  const inProject = new Map(project.graph.nodes.map((n) => [n.id, n]));
  const shown = new Map(graph.nodes.map((n) => [n.id, n]));
  const removed = new Set(project.graph.nodes.filter((n) => n.kind === 'transformer' && !shown.has(n.id)).map((n) => n.id));
  const added = graph.nodes.filter((n) => n.kind === 'transformer' && inProject.get(n.id)?.kind !== 'transformer');
  for (const n of added)
    if (inProject.has(n.id)) throw new TrainingGraphRefusal(`${nodeName(n)} cannot be added: the project already has a node '${n.id}'`, n.id);

  // Modules: parameters and names from the graph; removed transformers out, added ones in.
  let nodes: PNode[] = project.graph.nodes
    .filter((n) => !removed.has(n.id))
    .map((n) => {
      const m = shown.get(n.id);
      return m && m.kind === n.kind && MODULE_KINDS.has(n.kind) ? { ...n, params: m.params, ...(m.label === undefined ? {} : { label: m.label }) } : n;
    });
  nodes.push(...added.map((n) => ({ id: n.id, kind: n.kind, ...(n.label ? { label: n.label } : {}), params: { ...n.params } })));
  const modules = new Set(nodes.filter((n) => MODULE_KINDS.has(n.kind)).map((n) => n.id));
  const wasModule = new Set(project.graph.nodes.filter((n) => MODULE_KINDS.has(n.kind)).map((n) => n.id));
  const isChain = (e: Link, ids: ReadonlySet<string>) => ids.has(e.from.node) && ids.has(e.to.node) && e.to.port === 'feature';

  // The chain E/G -> T... -> R is the graph's Feature edges between modules.
  let chain: Link[] = graph.edges.filter((e) => isChain(e, modules)).map((e) => ({ from: e.from, to: e.to }));
  const fed = (id: string) => chain.some((e) => e.to.node === id);
  const sourceOf = (id: string): PortRef | undefined => {
    let src = project.graph.edges.find((e) => e.to.node === id && e.to.port === 'feature')?.from;
    for (let hops = 0; src && removed.has(src.node) && hops < removed.size; hops++) src = project.graph.edges.find((e) => e.to.node === src!.node && e.to.port === 'feature')?.from;
    return src && !removed.has(src.node) ? src : undefined;
  };
  // A removed transformer is spliced out: what fed it now feeds what it fed.
  for (const id of removed) {
    const src = sourceOf(id);
    for (const e of project.graph.edges)
      if (src && e.from.node === id && modules.has(e.to.node) && e.to.port === 'feature' && !fed(e.to.node)) chain.push({ from: src, to: e.to });
  }
  for (const n of added) {
    const input = chain.find((e) => e.to.node === n.id);
    const out: PortRef = { node: n.id, port: 'feature' };
    if (!input) {
      // Not wired yet: it goes last, before R, where the add-a-transformer flow puts it too.
      const r = nodes.find((x) => x.kind === 'reconstructor');
      const into = r && chain.find((e) => e.to.node === r.id);
      if (into) chain = [...chain.filter((e) => e !== into), { from: into.from, to: { node: n.id, port: 'feature' } }, { from: out, to: into.to }];
    } else if (!chain.some((e) => e.from.node === n.id)) {
      // Fed but feeding nothing: it goes right after its source.
      chain = chain.map((e) => (e !== input && sameEnd(e.from, input.from) ? { from: out, to: e.to } : e));
    }
  }

  // Edges: the project's own (conditions, masks, outputs), less those of removed modules, plus the chain.
  let edges: PEdge[] = project.graph.edges.filter((e) => !isChain(e, wasModule) && !removed.has(e.from.node) && !removed.has(e.to.node));
  const edgeIds = new Set(edges.map((e) => e.id));
  const freshEdge = (want: string) => {
    let id = want;
    for (let i = 2; edgeIds.has(id); i++) id = `${want}_${i}`;
    edgeIds.add(id);
    return id;
  };
  const graphIds = new Map(graph.edges.map((e) => [endKey(e), e.id]));
  const projectIds = new Map(project.graph.edges.map((e) => [endKey(e), e.id]));
  for (const e of chain) edges.push({ id: freshEdge(projectIds.get(endKey(e)) ?? graphIds.get(endKey(e)) ?? `f_${e.to.node}`), from: { ...e.from }, to: { ...e.to } });

  // Nodes that served only removed transformers (their condition, a mask preview) go too.
  const touching = (id: string) => project.graph.edges.filter((e) => e.from.node === id || e.to.node === id);
  const orphans = new Set(
    nodes.filter((n) => !MODULE_KINDS.has(n.kind) && touching(n.id).length > 0 && touching(n.id).every((e) => removed.has(e.from.node) || removed.has(e.to.node))).map((n) => n.id),
  );
  nodes = nodes.filter((n) => !orphans.has(n.id));

  // Conditions: each transformer (and G) keeps a condition node of its own attributes, with
  // the target values the graph shows.
  const layout = { ...project.layout.nodes };
  for (const id of [...removed, ...orphans]) delete layout[id];
  const r = nodes.find((n) => n.kind === 'reconstructor');
  const near = r && project.layout.nodes[r.id];
  let row = 0;
  const place = (id: string, dx: number) => {
    if (near && !layout[id]) layout[id] = { x: near.x + dx, y: near.y + 240 * row };
  };
  const nodeIds = new Set(nodes.map((n) => n.id));
  for (const m of nodes.filter((n) => n.kind === 'transformer' || n.kind === 'generator')) {
    const groups = groupsOf(m);
    const target = shown.get(m.kind === 'generator' ? TRAINING_IDS.baseCondition : `target_${m.id}`);
    const before = inProject.get(m.id);
    const isNew = added.some((a) => a.id === m.id);
    const groupsChanged = !!before && !sameGroups(groupsOf(before), groups);
    const valuesEdited = !!before && !!target && !sameValue(target.params.values, shownValues(project, before));
    if (!isNew && !groupsChanged && !valuesEdited) continue;
    const values = valuesFit(groups, target?.params.values) && !groupsChanged ? { ...(target!.params.values as Record<string, string>) } : firstValues(groups);
    const into = edges.find((e) => e.to.node === m.id && e.to.port === 'condition');
    const cond = into && nodes.find((n) => n.id === into.from.node && n.kind === 'condition-input');
    const params = { attributes: groups as AttributeGroup[], values };
    if (cond && edges.filter((e) => e.from.node === cond.id).length === 1) {
      nodes = nodes.map((n) => (n === cond ? { ...n, params: { ...n.params, ...params } } : n));
      continue;
    }
    // None yet, or one shared with other modules: a condition node of its own.
    let id = `c_${m.id}`;
    for (let i = 2; nodeIds.has(id); i++) id = `c_${m.id}_${i}`;
    nodeIds.add(id);
    nodes.push({ id, kind: 'condition-input', label: `target ${groups.map((g) => g.name).join(', ')}`, params });
    edges = edges.filter((e) => e !== into);
    edges.push({ id: freshEdge(`k_${m.id}`), from: { node: id, port: 'condition' }, to: { node: m.id, port: 'condition' } });
    row++;
    place(m.id, 0);
    place(id, -300);
  }

  const frozen = training!.frozen.filter((f) => !removed.has(f));
  const dWeights = training!.discriminatorWeights && Object.fromEntries(Object.entries(training!.discriminatorWeights).filter(([k]) => !removed.has(k)));
  // A fake-image mode named for an attribute no module has any more would stop the next
  // training at its start (the trainer refuses names it cannot place): it goes with the attribute.
  const perAttribute = typeof training!.clsFakeBinary === 'object' ? training!.clsFakeBinary : undefined;
  const binary = new Set(nodes.filter((n) => n.kind === 'transformer' || n.kind === 'generator').flatMap((n) => groupsOf(n).filter((g) => g.kind === 'binary').map((g) => g.name)));
  const clsFakeBinary = perAttribute && Object.fromEntries(Object.entries(perAttribute).filter(([name]) => binary.has(name)));
  return {
    ...project,
    graph: { ...project.graph, nodes, edges },
    layout: { ...project.layout, nodes: layout },
    datasets,
    training: { ...training!, frozen, ...(dWeights ? { discriminatorWeights: dWeights } : {}), ...(clsFakeBinary ? { clsFakeBinary } : {}) },
  };
}

/** Why the trainer cannot hold a change of `n`: in words, for the refusal. */
function why(n: GraphNode, owners: ReadonlyMap<string, GraphNode>): string {
  const owner = owners.get(n.id);
  if (owner) return `the trainer makes it for ${nodeName(owner)} (edit or remove that module instead)`;
  if (MODULE_KINDS.has(n.kind)) return 'training needs the encoder (or generator) and the reconstructor';
  return 'the trainer makes it from the project';
}

/** The first change from `before` to `edited` that `after` (built from the new project) does not show. */
function unexpressed(before: Graph, edited: Graph, after: Graph): TrainingGraphRefusal | null {
  const was = new Map(before.nodes.map((n) => [n.id, n]));
  const now = new Map(after.nodes.map((n) => [n.id, n]));
  const kept = new Set(edited.nodes.map((n) => n.id));
  const owners = new Map<string, GraphNode>();
  for (const m of before.nodes) if (MODULE_KINDS.has(m.kind)) for (const id of generatedIds(m.id)) owners.set(id, m);
  const refuse = (n: GraphNode, what: string, reason: string) => new TrainingGraphRefusal(`${nodeName(n)} ${what}: ${reason}`, n.id);

  for (const n of edited.nodes) {
    const b = was.get(n.id);
    const a = now.get(n.id);
    if (!b) {
      if (!a || a.kind !== n.kind || Object.keys(n.params).some((k) => !sameValue(n.params[k], a.params[k])))
        return refuse(n, 'cannot be added', n.kind === 'transformer' ? 'its settings do not fit the project' : 'only transformers can be added here; the trainer makes the discriminators, conditions and loss terms itself');
      continue;
    }
    for (const k of new Set([...Object.keys(b.params), ...Object.keys(n.params)]))
      if (!sameValue(b.params[k], n.params[k]) && !(a && sameValue(a.params[k], n.params[k])))
        return refuse(n, `cannot take this '${nodeKind(n.kind)?.params[k]?.title ?? k}'`, why(n, owners));
    if ((n.label ?? '') !== (b.label ?? '') && (a?.label ?? '') !== (n.label ?? '')) return refuse(n, 'cannot be renamed', why(n, owners));
  }
  for (const n of before.nodes) if (!kept.has(n.id) && now.has(n.id)) return refuse(n, 'cannot be removed', why(n, owners));

  const keys = (g: Graph) => new Set(g.edges.map(endKey));
  const [bk, ek, ak] = [keys(before), keys(edited), keys(after)];
  const byId = new Map([...before.nodes, ...edited.nodes].map((n) => [n.id, n]));
  const edgeRefusal = (e: GraphEdge, what: string) => {
    const from = byId.get(e.from.node);
    const to = byId.get(e.to.node);
    const name = (n: GraphNode | undefined, id: string) => (n ? nodeName(n) : `'${id}'`);
    return new TrainingGraphRefusal(
      `The edge from ${name(from, e.from.node)} to ${name(to, e.to.node)} ${portName(to && nodeKind(to.kind), 'input', e.to.port)} cannot be ${what}: the trainer wires its losses as the paper does; only the Feature chain between the modules can be rewired`,
      e.to.node,
    );
  };
  for (const e of edited.edges) if (!bk.has(endKey(e)) && !ak.has(endKey(e))) return edgeRefusal(e, 'added');
  for (const e of before.edges) if (!ek.has(endKey(e)) && ak.has(endKey(e))) return edgeRefusal(e, 'removed');
  return null;
}

/**
 * The project with the edits of its training graph applied, such that the training graph
 * built from it shows every change the user made. Throws TrainingGraphRefusal, naming the
 * node, for a change it cannot hold (a loss node added, a D removed, a loss rewired...).
 */
export function applyTrainingGraph(project: Project, graph: Graph): Project {
  if (!project.training) throw new Error('the project has no "training" section');
  const before = buildTrainingGraph(project);
  const next = carryBack(project, graph);
  let after: Graph;
  try {
    after = buildTrainingGraph(next);
  } catch (e) {
    throw new TrainingGraphRefusal(`The edit leaves no training graph: ${(e as Error).message}`);
  }
  const problem = unexpressed(before, graph, after);
  if (problem) throw problem;
  return next;
}
