// A preset used inside a graph: one node (kind 'preset') that carries the preset document
// and the values of its exposed parameters. Its ports are the preset's exposed ports. Before
// validation and execution the node is expanded into its subgraph (ids prefixed with the
// node's id), so the validator, connection checks and the executor need no notion of presets.
// The preset document travels inside the node, so a project that uses one stays
// self-contained: it runs and validates without the presets folder it came from.

import { type NodeKindDef, nodeKind } from './catalogue';
import { type ConnectResult, analyze, canConnect } from './connect';
import { type Preset, presetSchema } from './format/preset';
import type { Graph, GraphEdge, GraphNode, PortRef } from './graph';
import type { ParamSpec } from './params';
import type { Analysis, Diagnostic, NodeShapes } from './validate';

export const PRESET_NODE_KIND = 'preset';

const presets = new WeakMap<object, Preset | null>();

/** The preset a preset node carries, checked; undefined when it carries none or a malformed one. */
export function presetOf(node: GraphNode): Preset | undefined {
  if (node.kind !== PRESET_NODE_KIND) return undefined;
  const raw = node.params.preset;
  if (typeof raw !== 'object' || raw === null) return undefined;
  let p = presets.get(raw);
  if (p === undefined) {
    const r = presetSchema.safeParse(raw);
    p = r.success ? r.data : null;
    presets.set(raw, p);
  }
  return p ?? undefined;
}

/** "T_hair.mask": a preset node's port name for an exposed port of one of its inner nodes. */
export const presetPortName = (ref: PortRef): string => `${ref.node}.${ref.port}`;
/** "T_hair.blend": a preset node's parameter name for an exposed parameter. */
export const presetParamName = (p: { node: string; param: string }): string => `${p.node}.${p.param}`;

const defs = new WeakMap<Preset, NodeKindDef>();

/** The node kind a preset node behaves as: the preset's exposed ports and parameters. */
export function presetNodeDef(preset: Preset): NodeKindDef {
  const cached = defs.get(preset);
  if (cached) return cached;
  const inner = new Map(preset.graph.nodes.map((n) => [n.id, n]));
  const ports = (side: 'inputs' | 'outputs') =>
    preset.exposed[side].flatMap((x) => {
      const n = inner.get(x.node);
      const p = nodeKind(n?.kind ?? '')?.[side].find((q) => q.name === x.port);
      if (!n || !p) return [];
      return [{ ...p, name: presetPortName(x), title: x.name ?? `${n.label || n.id} ${p.title}` }];
    });
  const params: Record<string, ParamSpec> = {};
  for (const x of preset.exposed.params) {
    const n = inner.get(x.node);
    const spec = nodeKind(n?.kind ?? '')?.params[x.param];
    if (n && spec) params[presetParamName(x)] = { ...spec, title: x.name ?? `${n.label || n.id}: ${spec.title}`, default: n.params[x.param] ?? spec.default } as ParamSpec;
  }
  const def: NodeKindDef = {
    kind: PRESET_NODE_KIND,
    title: `Preset: ${preset.name}`,
    category: 'module',
    help: preset.description || `The preset '${preset.name}' ${preset.presetVersion}: ${preset.graph.nodes.length} nodes in one. Open it up to edit them.`,
    params,
    inputs: ports('inputs'),
    outputs: ports('outputs'),
    signature: () => {
      // Never validated on its own: the graph is expanded first.
      throw new Error('a preset node is expanded before validation');
    },
  };
  defs.set(preset, def);
  return def;
}

/** The kind definition of any node: the catalogue's, or a preset node's own. */
export function nodeDefOf(node: GraphNode): NodeKindDef | undefined {
  if (node.kind !== PRESET_NODE_KIND) return nodeKind(node.kind);
  const p = presetOf(node);
  return p && presetNodeDef(p);
}

/** A new preset node for `preset`, with its exposed parameters at the preset's values. */
export function makePresetNode(preset: Preset, id: string, label?: string): GraphNode {
  const values = Object.fromEntries(Object.entries(presetNodeDef(preset).params).map(([k, s]) => [k, s.default]));
  return { id, kind: PRESET_NODE_KIND, label: label ?? id, params: { ...values, preset } };
}

export interface OpenedUp {
  readonly nodes: readonly GraphNode[];
  /** The preset's own edges, renamed. */
  readonly edges: readonly GraphEdge[];
  /** Where each exposed port of the preset node leads: "input\0T_hair.mask" → the inner port, renamed. */
  readonly ports: ReadonlyMap<string, PortRef>;
  /** Inner node positions relative to the preset's layout origin, by new id. */
  readonly positions: Readonly<Record<string, { x: number; y: number }>>;
}

const portKey = (side: 'input' | 'output', port: string) => `${side}\u0000${port}`;

/**
 * A preset node's subgraph with new ids (`rename`), its exposed parameter values applied.
 * Pure: the node is not touched; the caller puts the result in place of it.
 */
export function openUpNode(node: GraphNode, preset: Preset, rename: (innerId: string) => string, renameEdge: (innerEdge: string) => string): OpenedUp {
  const values = new Map<string, Record<string, unknown>>();
  for (const x of preset.exposed.params) {
    const v = node.params[presetParamName(x)];
    if (v !== undefined) (values.get(x.node) ?? values.set(x.node, {}).get(x.node)!)[x.param] = v;
  }
  const nodes = preset.graph.nodes.map((n) => ({ ...n, id: rename(n.id), label: n.label || n.id, params: { ...n.params, ...values.get(n.id) } }));
  const edges = preset.graph.edges.map((e) => ({ id: renameEdge(e.id), from: { node: rename(e.from.node), port: e.from.port }, to: { node: rename(e.to.node), port: e.to.port } }));
  const ports = new Map<string, PortRef>();
  for (const x of preset.exposed.inputs) ports.set(portKey('input', presetPortName(x)), { node: rename(x.node), port: x.port });
  for (const x of preset.exposed.outputs) ports.set(portKey('output', presetPortName(x)), { node: rename(x.node), port: x.port });
  const laid = Object.entries(preset.layout.nodes);
  const minX = Math.min(...laid.map(([, p]) => p.x), 0);
  const minY = Math.min(...laid.map(([, p]) => p.y), 0);
  const positions = Object.fromEntries(preset.graph.nodes.map((n, i) => {
    const at = preset.layout.nodes[n.id];
    return [rename(n.id), at ? { x: at.x - minX, y: at.y - minY } : { x: i * 220, y: 0 }];
  }));
  return { nodes, edges, ports, positions };
}

/** An edge with its ends that touch a preset node moved onto the inner ports they stand for. */
export function rewireEdge(e: GraphEdge, node: string, ports: ReadonlyMap<string, PortRef>): GraphEdge {
  const from = e.from.node === node ? (ports.get(portKey('output', e.from.port)) ?? e.from) : e.from;
  const to = e.to.node === node ? (ports.get(portKey('input', e.to.port)) ?? e.to) : e.to;
  return from === e.from && to === e.to ? e : { ...e, from, to };
}

export interface Expansion {
  readonly graph: Graph;
  /** Inner node id → the preset node it came from. */
  readonly owner: ReadonlyMap<string, string>;
  /** "presetNode\0side\0port" → the inner port it stands for. */
  readonly ports: ReadonlyMap<string, PortRef>;
}

const INNER = '/';
const expansions = new WeakMap<Graph, Expansion>();
export const hasPresetNodes = (g: Graph): boolean => g.nodes.some((n) => n.kind === PRESET_NODE_KIND);

/**
 * The graph with every preset node replaced by its subgraph: inner ids become
 * "presetNode/innerId", edges to the preset node's ports go to the inner ports. Presets
 * nested in presets are expanded too. Pure and cached per graph object (graphs are immutable).
 */
export function expandPresetNodes(graph: Graph): Expansion {
  const cached = expansions.get(graph);
  if (cached) return cached;
  let result: Expansion;
  if (!hasPresetNodes(graph)) result = { graph, owner: new Map(), ports: new Map() };
  else {
    const nodes: GraphNode[] = [];
    let edges: GraphEdge[] = [...graph.edges];
    const owner = new Map<string, string>();
    const ports = new Map<string, PortRef>();
    for (const n of graph.nodes) {
      const preset = presetOf(n);
      if (!preset) {
        nodes.push(n);
        continue;
      }
      // Nested presets come out flat: expand the inner graph first.
      const inner = expandPresetNodes(preset.graph);
      const lift = (side: 'input' | 'output', x: PortRef) => ({ ...x, ...inner.ports.get(`${x.node}\u0000${side}\u0000${x.port}`) });
      const flat = (
        inner.graph === preset.graph
          ? preset
          : {
              ...preset,
              graph: inner.graph,
              exposed: { ...preset.exposed, inputs: preset.exposed.inputs.map((x) => lift('input', x)), outputs: preset.exposed.outputs.map((x) => lift('output', x)) },
            }
      ) as Preset;
      const opened = openUpNode(n, flat, (id) => `${n.id}${INNER}${id}`, (id) => `${n.id}${INNER}${id}`);
      for (const m of opened.nodes) {
        // Inner labels stay as they are: output folders and messages use them, and problems are
        // reported on the preset node with its name in front.
        nodes.push(m);
        owner.set(m.id, n.id);
      }
      edges.push(...opened.edges);
      edges = edges.map((e) => rewireEdge(e, n.id, opened.ports));
      // Exposed ports keep their outer names even when the nested expansion moved them.
      for (const x of preset.exposed.inputs) {
        const to = opened.ports.get(portKey('input', presetPortName(flat.exposed.inputs[preset.exposed.inputs.indexOf(x)]!)));
        if (to) ports.set(`${n.id}\u0000input\u0000${presetPortName(x)}`, to);
      }
      for (const x of preset.exposed.outputs) {
        const from = opened.ports.get(portKey('output', presetPortName(flat.exposed.outputs[preset.exposed.outputs.indexOf(x)]!)));
        if (from) ports.set(`${n.id}\u0000output\u0000${presetPortName(x)}`, from);
      }
    }
    result = { graph: { nodes, edges }, owner, ports };
  }
  expansions.set(graph, result);
  return result;
}

const mapped = new WeakMap<Graph, Analysis>();

/**
 * The analysis of a graph that may hold preset nodes, in the graph's own terms: problems
 * inside a preset are reported on the preset node, and its ports carry the inner ports' shapes.
 */
export function analyzeWithPresets(graph: Graph): Analysis {
  if (!hasPresetNodes(graph)) return analyze(graph);
  const hit = mapped.get(graph);
  if (hit) return hit;
  const x = expandPresetNodes(graph);
  const a = analyze(x.graph);
  const outerPort = new Map<string, { node: string; port: string }>();
  for (const [k, ref] of x.ports) {
    const [node, side, port] = k.split('\u0000') as [string, string, string];
    outerPort.set(`${ref.node}\u0000${side}\u0000${ref.port}`, { node, port });
  }
  const innerEdges = new Set(x.graph.edges.filter((e) => !graph.edges.some((o) => o.id === e.id)).map((e) => e.id));
  const diagnostics: Diagnostic[] = a.diagnostics.map((d) => {
    const owner = d.node && x.owner.get(d.node);
    if (!owner) return d;
    const side = d.edge ? 'input' : undefined;
    const port = d.port ? (outerPort.get(`${d.node}\u0000${side ?? 'input'}\u0000${d.port}`) ?? outerPort.get(`${d.node}\u0000output\u0000${d.port}`)) : undefined;
    const label = graph.nodes.find((n) => n.id === owner)?.label || owner;
    return {
      severity: d.severity,
      code: d.code,
      node: owner,
      ...(port ? { port: port.port } : {}),
      ...(d.edge && !innerEdges.has(d.edge) ? { edge: d.edge } : {}),
      message: `In preset '${label}': ${d.message}`,
    };
  });
  const shapes = new Map<string, NodeShapes>();
  for (const n of graph.nodes) {
    const s = a.shapes.get(n.id);
    if (s) shapes.set(n.id, s);
  }
  for (const [k, ref] of x.ports) {
    const [node, side, port] = k.split('\u0000') as [string, 'input' | 'output', string];
    const t = side === 'input' ? a.shapes.get(ref.node)?.inputs[ref.port] : a.shapes.get(ref.node)?.outputs[ref.port];
    if (!t) continue;
    const s = shapes.get(node) ?? { inputs: {}, outputs: {} };
    shapes.set(node, side === 'input' ? { ...s, inputs: { ...s.inputs, [port]: t } } : { ...s, outputs: { ...s.outputs, [port]: t } });
  }
  const nodes = new Map(a.nodes);
  for (const n of graph.nodes) if (n.kind === PRESET_NODE_KIND) nodes.set(n.id, { node: n, def: nodeDefOf(n), params: n.params });
  const validIds = new Set(a.validEdges.map((e) => e.id));
  const order = a.order && [...new Set(a.order.map((id) => x.owner.get(id) ?? id))];
  const result: Analysis = { graph, diagnostics, ok: a.ok, shapes, order, validEdges: graph.edges.filter((e) => validIds.has(e.id)), nodes };
  mapped.set(graph, result);
  return result;
}

/** canConnect for a graph that may hold preset nodes: a preset node's port stands for its inner port. */
export function canConnectWithPresets(graph: Graph, from: PortRef, to: PortRef): ConnectResult {
  if (!hasPresetNodes(graph)) return canConnect(graph, from, to);
  const x = expandPresetNodes(graph);
  const f = x.ports.get(`${from.node}\u0000output\u0000${from.port}`) ?? from;
  const t = x.ports.get(`${to.node}\u0000input\u0000${to.port}`) ?? to;
  if (from.node === to.node) return { ok: false, reason: 'a node cannot feed itself' };
  return canConnect(x.graph, f, t);
}
