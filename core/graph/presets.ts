// Making presets from graphs: a selection becomes a subgraph; the edges that cross its
// border become the preset's exposed ports, so the preset can stand in for the selection.

import { nodeKind } from './catalogue';
import { PRESET_FORMAT, PRESET_VERSION, type Preset, presetSchema } from './format/preset';
import { type Graph, type GraphEdge, nodeName } from './graph';

export interface ExposedParam {
  readonly node: string;
  readonly param: string;
  readonly name?: string;
}

export interface PresetOptions {
  readonly name: string;
  readonly description?: string;
  /** The nodes to keep; all of them when absent. */
  readonly nodes?: readonly string[];
  readonly params?: readonly ExposedParam[];
  readonly layout?: Readonly<Record<string, { x: number; y: number }>>;
}

/**
 * The preset for a graph or a selection of it. Inputs fed from outside the selection and
 * outputs used outside it become exposed ports; with no selection, every input left open and
 * every output nobody uses is exposed instead.
 */
export function makePreset(graph: Graph, opts: PresetOptions): Preset {
  const keep = new Set(opts.nodes ?? graph.nodes.map((n) => n.id));
  const missing = [...keep].filter((id) => !graph.nodes.some((n) => n.id === id));
  if (missing.length) throw new Error(`the selection names nodes that are not in the graph: ${missing.join(', ')}`);
  const nodes = graph.nodes.filter((n) => keep.has(n.id));
  const inside = (e: GraphEdge) => keep.has(e.from.node) && keep.has(e.to.node);
  const edges = graph.edges.filter(inside);
  const key = (node: string, port: string) => `${node}\u0000${port}`;
  const exposedIn = new Map<string, { node: string; port: string }>();
  const exposedOut = new Map<string, { node: string; port: string }>();
  for (const e of graph.edges) {
    if (keep.has(e.to.node) && !keep.has(e.from.node)) exposedIn.set(key(e.to.node, e.to.port), e.to);
    if (keep.has(e.from.node) && !keep.has(e.to.node)) exposedOut.set(key(e.from.node, e.from.port), e.from);
  }
  if (!opts.nodes) {
    const fed = new Set(edges.map((e) => key(e.to.node, e.to.port)));
    const used = new Set(edges.map((e) => key(e.from.node, e.from.port)));
    for (const n of nodes) {
      const def = nodeKind(n.kind);
      for (const p of def?.inputs ?? []) if (!fed.has(key(n.id, p.name))) exposedIn.set(key(n.id, p.name), { node: n.id, port: p.name });
      for (const p of def?.outputs ?? []) if (!p.optional && !used.has(key(n.id, p.name))) exposedOut.set(key(n.id, p.name), { node: n.id, port: p.name });
    }
  }
  for (const p of opts.params ?? [])
    if (!keep.has(p.node)) throw new Error(`parameter '${p.param}' belongs to node '${p.node}', which is not in the preset`);
  const layout = opts.layout ? Object.fromEntries(Object.entries(opts.layout).filter(([id]) => keep.has(id))) : {};
  return presetSchema.parse({
    format: PRESET_FORMAT,
    version: PRESET_VERSION,
    name: opts.name,
    description: opts.description ?? '',
    graph: { nodes, edges },
    layout: { nodes: layout },
    exposed: { params: opts.params ?? [], inputs: [...exposedIn.values()], outputs: [...exposedOut.values()] },
  });
}

/** How a selection sits in its graph, for the warning before it becomes a preset. */
export interface SelectionShape {
  /** The selected nodes, grouped by the edges among them: more than one group is a selection in pieces. */
  readonly pieces: readonly (readonly string[])[];
  /** Nodes left out that lie on a path from one selected node to another: a gap in a chain. */
  readonly between: readonly string[];
}

export function selectionShape(graph: Graph, nodes: readonly string[]): SelectionShape {
  const keep = new Set(nodes.filter((id) => graph.nodes.some((n) => n.id === id)));
  const root = new Map([...keep].map((id) => [id, id]));
  const find = (id: string): string => {
    let r = id;
    while (root.get(r) !== r) r = root.get(r)!;
    root.set(id, r);
    return r;
  };
  for (const e of graph.edges) if (keep.has(e.from.node) && keep.has(e.to.node)) root.set(find(e.from.node), find(e.to.node));
  const groups = new Map<string, string[]>();
  for (const { id } of graph.nodes) if (keep.has(id)) (groups.get(find(id)) ?? groups.set(find(id), []).get(find(id))!).push(id);
  // Left-out nodes reached from the selection and leading back into it.
  const reach = (forward: boolean) => {
    const seen = new Set<string>();
    const next = [...keep];
    while (next.length) {
      const at = next.pop()!;
      for (const e of graph.edges) {
        const [a, b] = forward ? [e.from.node, e.to.node] : [e.to.node, e.from.node];
        if (a === at && !keep.has(b) && !seen.has(b)) {
          seen.add(b);
          next.push(b);
        }
      }
    }
    return seen;
  };
  const up = reach(false);
  const down = reach(true);
  return { pieces: [...groups.values()], between: graph.nodes.map((n) => n.id).filter((id) => up.has(id) && down.has(id)) };
}

/**
 * Why a selection makes an awkward preset, in words, or null: in pieces (the preset holds
 * unrelated nodes side by side), or with a gap (its ports on either side of the gap must be
 * wired back through a node outside it: a node, a preset node too, cannot feed itself).
 */
export function selectionWarning(graph: Graph, nodes: readonly string[]): string | null {
  const { pieces, between } = selectionShape(graph, nodes);
  if (pieces.length < 2 && !between.length) return null;
  const name = (id: string) => {
    const n = graph.nodes.find((x) => x.id === id)!;
    return nodeName(n);
  };
  const parts: string[] = [];
  if (pieces.length > 1) parts.push(`The selection is in ${pieces.length} pieces not connected to each other (${pieces.map((p) => p.map(name).join(', ')).join(' | ')})`);
  if (between.length)
    parts.push(
      `${between.map(name).join(', ')} ${between.length > 1 ? 'lie' : 'lies'} between selected nodes but ${between.length > 1 ? 'are' : 'is'} not selected: the preset's ports on either side must be wired back through a node outside it (a preset node cannot feed itself). Select ${between.length > 1 ? 'them' : 'it'} too to keep the chain whole`,
    );
  return `${parts.join('. ')}.`;
}

/** The next preset version: 'major' for changed ports, 'minor' for new options, else 'patch'. */
export function bumpVersion(version: string, part: 'major' | 'minor' | 'patch' = 'patch'): string {
  const [a = 0, b = 0, c = 0] = version.split('.').map(Number);
  return part === 'major' ? `${a + 1}.0.0` : part === 'minor' ? `${a}.${b + 1}.0` : `${a}.${b}.${c + 1}`;
}

/**
 * A preset as a graph that runs on its own: an exposed image input gets an image input node
 * (its folder chosen at run time) and an exposed image output gets an image output node.
 */
export function presetAsGraph(preset: Preset): Graph {
  const nodes = [...preset.graph.nodes];
  const edges = [...preset.graph.edges];
  const kindOf = (node: string, port: string, side: 'inputs' | 'outputs') =>
    nodeKind(preset.graph.nodes.find((n) => n.id === node)?.kind ?? '')?.[side].find((p) => p.name === port)?.kind;
  if (!nodes.some((n) => n.kind === 'image-input')) {
    const inp = preset.exposed.inputs.find((x) => kindOf(x.node, x.port, 'inputs') === 'image');
    if (inp) {
      nodes.push({ id: 'preset-input', kind: 'image-input', label: 'input', params: { path: '' } });
      edges.push({ id: 'preset-input-edge', from: { node: 'preset-input', port: 'image' }, to: { node: inp.node, port: inp.port } });
    }
  }
  if (!nodes.some((n) => n.kind === 'image-output')) {
    const out = preset.exposed.outputs.find((x) => kindOf(x.node, x.port, 'outputs') === 'image');
    if (out) {
      nodes.push({ id: 'preset-output', kind: 'image-output', label: 'output', params: {} });
      edges.push({ id: 'preset-output-edge', from: { node: out.node, port: out.port }, to: { node: 'preset-output', port: 'image' } });
    }
  }
  return { nodes, edges };
}
