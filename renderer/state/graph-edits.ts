// Pure edits of a project (graph + layout), as immer recipes or functions from project to
// project: the store applies them and records them for undo. Kept free of React so they
// are unit-tested directly.

import { produce } from 'immer';
import {
  type Graph,
  type GraphEdge,
  type GraphNode,
  type PortRef,
  type Preset,
  type Project,
  canBypass,
  canConnectWithPresets as canConnect,
  defaultParams,
  makePresetNode,
  nodeDefOf,
  nodeKind,
  openUpNode,
  presetOf,
  rewireEdge,
  staleValues,
} from '../../core/graph';

export interface XY {
  readonly x: number;
  readonly y: number;
}

const PREFIX: Record<string, string> = { preset: 'P', encoder: 'E', generator: 'G', transformer: 'T', reconstructor: 'R', discriminator: 'D' };

/** A fresh id: "T2" for the second transformer, "noise-input1" for other kinds. */
export function freshId(taken: ReadonlySet<string>, base: string): string {
  for (let i = 1; ; i++) if (!taken.has(`${base}${i}`)) return `${base}${i}`;
}
export const nodePrefix = (kind: string): string => PREFIX[kind] ?? kind;
const nodeIds = (g: Graph) => new Set(g.nodes.map((n) => n.id));
const edgeIds = (g: Graph) => new Set(g.edges.map((e) => e.id));

/** What a palette entry may preset on the node it adds (e.g. a transformer for one attribute). */
export interface NodeInit {
  readonly id?: string;
  readonly label?: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

export function addNode(p: Project, kind: string, at: XY, init: NodeInit = {}): { project: Project; id: string } {
  const def = nodeKind(kind);
  if (!def) throw new Error(`unknown node kind '${kind}'`);
  const taken = nodeIds(p.graph);
  const id = init.id && !taken.has(init.id) ? init.id : freshId(taken, init.id ?? nodePrefix(kind));
  const project = produce(p, (d) => {
    d.graph.nodes.push({ id, kind, label: init.label ?? id, params: { ...defaultParams(def), ...structuredClone(init.params ?? {}) } });
    d.layout.nodes[id] = { x: Math.round(at.x), y: Math.round(at.y) };
  });
  return { project, id };
}

/** Adds one node standing for a whole preset. */
export function addPresetNode(p: Project, preset: Preset, at: XY): { project: Project; id: string } {
  const id = freshId(nodeIds(p.graph), nodePrefix('preset'));
  const project = produce(p, (d) => {
    d.graph.nodes.push(makePresetNode(preset, id, preset.name) as never);
    d.layout.nodes[id] = { x: Math.round(at.x), y: Math.round(at.y) };
  });
  return { project, id };
}

/**
 * Replaces a preset node by the nodes it stands for (fresh ids, laid out where it was), its
 * edges moved onto the inner ports and its exposed parameter values kept. Returns the new ids.
 */
export function openUpPreset(p: Project, node: string): { project: Project; nodes: string[] } | null {
  const n = p.graph.nodes.find((x) => x.id === node);
  const preset = n && presetOf(n);
  if (!n || !preset) return null;
  const taken = nodeIds(p.graph);
  const takenEdges = edgeIds(p.graph);
  const ids = new Map<string, string>();
  const rename = (id: string) => {
    let v = ids.get(id);
    if (!v) {
      const inner = preset.graph.nodes.find((x) => x.id === id);
      v = taken.has(id) ? freshId(taken, nodePrefix(inner?.kind ?? 'n')) : id;
      taken.add(v);
      ids.set(id, v);
    }
    return v;
  };
  const renameEdge = (id: string) => {
    const v = takenEdges.has(id) ? freshId(takenEdges, 'e') : id;
    takenEdges.add(v);
    return v;
  };
  const opened = openUpNode(n, preset, rename, renameEdge);
  const origin = p.layout.nodes[node] ?? { x: 0, y: 0 };
  const project = produce(p, (d) => {
    d.graph.nodes = d.graph.nodes.filter((x) => x.id !== node);
    d.graph.nodes.push(...(opened.nodes as never[]));
    d.graph.edges = d.graph.edges.map((e) => rewireEdge(e as GraphEdge, node, opened.ports)) as never;
    d.graph.edges.push(...(opened.edges as never[]));
    delete d.layout.nodes[node];
    for (const [id, at] of Object.entries(opened.positions)) d.layout.nodes[id] = { x: origin.x + at.x, y: origin.y + at.y };
  });
  return { project, nodes: opened.nodes.map((x) => x.id) };
}

export type ConnectOutcome = { ok: true; project: Project; edge: string } | { ok: false; reason: string };

export function connect(p: Project, from: PortRef, to: PortRef): ConnectOutcome {
  const check = canConnect(p.graph, from, to);
  if (!check.ok) return check;
  const edge = freshId(edgeIds(p.graph), 'e');
  const project = produce(p, (d) => {
    if (check.replaces) d.graph.edges = d.graph.edges.filter((e) => e.id !== check.replaces);
    d.graph.edges.push({ id: edge, from: { ...from }, to: { ...to } });
  });
  return { ok: true, project, edge };
}

/** Removes nodes (with their edges) and edges. */
export function removeElements(p: Project, nodes: ReadonlySet<string>, edges: ReadonlySet<string>): Project {
  if (!nodes.size && !edges.size) return p;
  return produce(p, (d) => {
    d.graph.nodes = d.graph.nodes.filter((n) => !nodes.has(n.id));
    d.graph.edges = d.graph.edges.filter((e) => !edges.has(e.id) && !nodes.has(e.from.node) && !nodes.has(e.to.node));
    for (const id of nodes) delete d.layout.nodes[id];
  });
}

export function moveNodes(p: Project, positions: Readonly<Record<string, XY>>): Project {
  return produce(p, (d) => {
    for (const [id, xy] of Object.entries(positions)) d.layout.nodes[id] = { x: Math.round(xy.x), y: Math.round(xy.y) };
  });
}

export function setParam(p: Project, node: string, key: string, value: unknown): Project {
  const next = produce(p, (d) => {
    const n = d.graph.nodes.find((x) => x.id === node);
    if (n) n.params[key] = value as never;
  });
  // Values follow the attributes: those of groups the node no longer has, or no longer
  // allow, go with the same edit (and come back with its undo).
  const n = next.graph.nodes.find((x) => x.id === node);
  if (!n || nodeDefOf(n)?.params[key]?.type !== 'attributes') return next;
  const stale = staleValues(n);
  if (!Object.keys(stale).length) return next;
  return produce(next, (d) => {
    Object.assign(d.graph.nodes.find((x) => x.id === node)!.params, stale);
  });
}

/** Sets the bypass flag of those nodes whose kind can be bypassed; `changed` counts them. */
export function setBypassed(p: Project, nodes: ReadonlySet<string>, on: boolean): { project: Project; changed: number } {
  let changed = 0;
  const project = produce(p, (d) => {
    for (const n of d.graph.nodes) {
      if (!nodes.has(n.id) || !canBypass(n) || (n.bypassed === true) === on) continue;
      // Off is written as absent, so a graph never bypassed and one brought back are equal.
      if (on) n.bypassed = true;
      else delete n.bypassed;
      changed++;
    }
  });
  return { project, changed };
}

export function setLabel(p: Project, node: string, label: string): Project {
  return produce(p, (d) => {
    const n = d.graph.nodes.find((x) => x.id === node);
    if (n) n.label = label;
  });
}

/** What Ctrl+C keeps: nodes, the edges among them, and where they were. */
export interface Clip {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  readonly positions: Readonly<Record<string, XY>>;
}

export function copy(p: Project, nodes: ReadonlySet<string>): Clip {
  const picked = p.graph.nodes.filter((n) => nodes.has(n.id));
  return {
    nodes: picked,
    edges: p.graph.edges.filter((e) => nodes.has(e.from.node) && nodes.has(e.to.node)),
    positions: Object.fromEntries(picked.map((n) => [n.id, p.layout.nodes[n.id] ?? { x: 0, y: 0 }])),
  };
}

/** Adds a clip under new ids, offset; returns the new node ids. */
export function paste(p: Project, clip: Clip, offset: XY): { project: Project; nodes: string[] } {
  const taken = nodeIds(p.graph);
  const takenEdges = edgeIds(p.graph);
  const rename = new Map<string, string>();
  for (const n of clip.nodes) {
    const id = freshId(taken, nodePrefix(n.kind));
    taken.add(id);
    rename.set(n.id, id);
  }
  const project = produce(p, (d) => {
    for (const n of clip.nodes) {
      const id = rename.get(n.id)!;
      d.graph.nodes.push({ ...structuredClone(n), id, label: n.label === n.id ? id : n.label });
      const at = clip.positions[n.id] ?? { x: 0, y: 0 };
      d.layout.nodes[id] = { x: at.x + offset.x, y: at.y + offset.y };
    }
    for (const e of clip.edges) {
      const id = freshId(takenEdges, 'e');
      takenEdges.add(id);
      d.graph.edges.push({ id, from: { node: rename.get(e.from.node)!, port: e.from.port }, to: { node: rename.get(e.to.node)!, port: e.to.port } });
    }
  });
  return { project, nodes: [...rename.values()] };
}
