// Whole-graph validation: structure, parameters, cycles, and shapes unified across edges.
// Every finding is a diagnostic attached to a node, port or edge, worded for the user.

import { type NodeKindDef, type ResolvedParams, type Signature, nodeKind } from './catalogue';
import { type Dim, Unifier, isSym, sym } from './dims';
import { type Graph, type GraphEdge, type GraphNode, nodeName, portName } from './graph';
import { paramProblem } from './params';
import { type PortType, PORT_KIND_NAMES, describeShape, describeType, dimsOf, mapDims, sameGroups } from './ports';
import { findCycles, topologicalOrder } from './order';
import { bypassOf } from './bypass';

export type DiagnosticCode =
  | 'unknown-kind'
  | 'duplicate-id'
  | 'bad-param'
  | 'bad-edge'
  | 'input-taken'
  | 'cycle'
  | 'missing-input'
  | 'kind-mismatch'
  | 'shape-mismatch'
  | 'attribute-mismatch'
  | 'bad-size'
  | 'dangling-output'
  | 'bypassed';

export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly node?: string;
  /** Port name on `node` (an input for edge problems, else the port at fault). */
  readonly port?: string;
  readonly edge?: string;
}

export interface NodeShapes {
  readonly inputs: Readonly<Record<string, PortType>>;
  readonly outputs: Readonly<Record<string, PortType>>;
}

export interface Analysis {
  readonly graph: Graph;
  readonly diagnostics: readonly Diagnostic[];
  readonly ok: boolean;
  /** Port types after unification, for nodes whose kind is known. */
  readonly shapes: ReadonlyMap<string, NodeShapes>;
  /** Topological order of node ids, or null when the graph has a cycle. */
  readonly order: readonly string[] | null;
  /** Edges that are well formed (existing ports, right direction, input not taken twice). */
  readonly validEdges: readonly GraphEdge[];
  readonly nodes: ReadonlyMap<string, { node: GraphNode; def: NodeKindDef | undefined; params: ResolvedParams }>;
}

/** Makes a node's local symbols ("H") unique to it ("enc:H"). */
function instantiate(t: PortType, nodeId: string): PortType {
  return mapDims(t, (d) => (isSym(d) ? sym(`${nodeId}:${d.sym}`, d.num, d.den) : d));
}

function resolveType(u: Unifier, t: PortType): PortType {
  return mapDims(t, (d) => u.resolve(d));
}

function mapPorts<A>(r: Readonly<Record<string, PortType>>, f: (t: PortType, arg: A) => PortType, arg?: A): Record<string, PortType> {
  const out: Record<string, PortType> = {};
  for (const k in r) out[k] = f(r[k]!, arg as A);
  return out;
}

function edgeError(out: Diagnostic[], e: GraphEdge, message: string, code: DiagnosticCode): void {
  out.push({ severity: 'error', code, edge: e.id, node: e.to?.node, port: e.to?.port, message });
}

/** Checks parameters; invalid ones fall back to defaults so shapes can still be inferred. */
function resolveParams(node: GraphNode, def: NodeKindDef, out: Diagnostic[]): ResolvedParams {
  const params: Record<string, unknown> = { ...(node.params ?? {}) };
  let valid = true;
  for (const [k, spec] of Object.entries(def.params)) {
    // A default is valid by construction, except a required path: left out, it is as empty
    // as one set to '' (an image input with nothing to read must not pass as valid).
    if (params[k] === undefined) {
      params[k] = spec.default;
      if (spec.type !== 'path' || !spec.required) continue;
    }
    const problem = paramProblem(spec, params[k]);
    if (problem) {
      valid = false;
      out.push({
        severity: 'error',
        code: 'bad-param',
        node: node.id,
        message: `${nodeName(node, def)}: parameter '${spec.title}' ${problem}`,
      });
      params[k] = spec.default;
    }
  }
  if (valid && def.check)
    for (const problem of def.check(params))
      out.push({ severity: 'error', code: 'bad-param', node: node.id, message: `${nodeName(node, def)}: ${problem}` });
  return params;
}

type EdgeEnd = { node: GraphNode; def: NodeKindDef | undefined; port: string; type: PortType };

/**
 * Whether an output of one type can feed an input of another; when they unify, `u` records
 * the bindings. Returns the kind of problem, or null. A failed edge binds nothing on its
 * known sizes, so the rest of the graph is still checked as if it were absent.
 */
export const edgeProblem = (u: Unifier, from: EdgeEnd, to: EdgeEnd): DiagnosticCode | null => typeProblem(u, from.type, to.type);

function typeProblem(u: Unifier, fromType: PortType, toType: PortType): DiagnosticCode | null {
  if (fromType.kind !== toType.kind) return 'kind-mismatch';
  const expected = resolveType(u, toType);
  const given = resolveType(u, fromType);
  if (expected.kind === 'condition' && given.kind === 'condition' && expected.groups && given.groups)
    if (!sameGroups(expected.groups, given.groups)) return 'attribute-mismatch';
  const ed = dimsOf(expected);
  const gd = dimsOf(given);
  for (let i = 0; i < ed.length; i++) {
    const a = ed[i]![1];
    const b = gd[i]![1];
    if (!isSym(a) && !isSym(b) && a !== b) return 'shape-mismatch';
  }
  for (let i = 0; i < ed.length; i++) if (!u.unify(ed[i]![1], gd[i]![1]).ok) return 'shape-mismatch';
  return null;
}

/**
 * The problem in words, with sizes as far as the rest of the graph pins them down, e.g.
 * "Transformer 'smile' input 'Feature' expects a 256×32×32 feature map (its base channels
 * are 64), but Encoder 'enc' gives 128×16×16 (its base channels are 32, image size 64)".
 * The validator and canConnect share it, so a refusal reads the same everywhere.
 */
export function describeEdgeProblem(u: Unifier, code: DiagnosticCode, from: EdgeEnd, to: EdgeEnd): string {
  const target = `${nodeName(to.node, to.def)} ${portName(to.def, 'input', to.port)}`;
  const source = nodeName(from.node, from.def);
  if (code === 'kind-mismatch')
    return `${target} takes ${article(PORT_KIND_NAMES[to.type.kind])}, but ${source} ${portName(from.def, 'output', from.port)} gives ${article(PORT_KIND_NAMES[from.type.kind])}`;
  const expected = resolveType(u, to.type);
  const given = resolveType(u, from.type);
  const why = (t: PortType) => (t.note && code === 'shape-mismatch' ? ` (${t.note})` : '');
  return `${target} expects ${describeType(expected)}${why(expected)}, but ${source} gives ${describeShape(given)}${why(given)}`;
}

const article = (s: string): string => (/^[aeiou]/.test(s) ? `an ${s}` : `a ${s}`);

/** Validates a whole graph. Never throws: a malformed graph yields diagnostics. */
export function validateGraph(graph: Graph): Analysis {
  const diagnostics: Diagnostic[] = [];
  const nodes = new Map<string, { node: GraphNode; def: NodeKindDef | undefined; params: ResolvedParams }>();
  const signatures = new Map<string, Signature>();

  for (const node of graph.nodes) {
    if (nodes.has(node.id)) {
      diagnostics.push({ severity: 'error', code: 'duplicate-id', node: node.id, message: `Two nodes share the id '${node.id}'; the second is ignored` });
      continue;
    }
    const def = nodeKind(node.kind);
    if (!def) {
      diagnostics.push({ severity: 'error', code: 'unknown-kind', node: node.id, message: `Node '${node.label || node.id}' has an unknown kind '${node.kind}'` });
      nodes.set(node.id, { node, def, params: node.params ?? {} });
      continue;
    }
    const params = resolveParams(node, def, diagnostics);
    nodes.set(node.id, { node, def, params });
    let sig: Signature;
    try {
      sig = def.signature(params);
    } catch (e) {
      diagnostics.push({ severity: 'error', code: 'bad-param', node: node.id, message: `${nodeName(node, def)}: its parameters give no valid shape (${(e as Error).message})` });
      continue;
    }
    signatures.set(node.id, { inputs: mapPorts(sig.inputs, instantiate, node.id), outputs: mapPorts(sig.outputs, instantiate, node.id) });
  }

  // Structure of edges.
  const validEdges: GraphEdge[] = [];
  const edgeIds = new Set<string>();
  const taken = new Map<string, GraphEdge>();
  for (const e of graph.edges) {
    const bad = (message: string, code: DiagnosticCode = 'bad-edge') => edgeError(diagnostics, e, message, code);
    if (edgeIds.has(e.id)) {
      bad(`Two edges share the id '${e.id}'; the second is ignored`, 'duplicate-id');
      continue;
    }
    edgeIds.add(e.id);
    const a = nodes.get(e.from?.node);
    const b = nodes.get(e.to?.node);
    if (!a || !b) {
      bad(`Edge '${e.id}' connects a node that does not exist ('${!a ? e.from?.node : e.to?.node}')`);
      continue;
    }
    if (!a.def || !b.def) continue; // already reported as unknown kind
    const outDef = a.def.outputs.find((p) => p.name === e.from.port);
    const inDef = b.def.inputs.find((p) => p.name === e.to.port);
    if (!outDef) {
      bad(`Edge '${e.id}': ${nodeName(a.node, a.def)} has no output '${e.from.port}'`);
      continue;
    }
    if (!inDef) {
      bad(`Edge '${e.id}': ${nodeName(b.node, b.def)} has no input '${e.to.port}'`);
      continue;
    }
    const key = `${e.to.node}\u0000${e.to.port}`;
    const first = taken.get(key);
    if (first && !inDef.multiple) {
      const other = nodes.get(first.from.node);
      bad(
        `${nodeName(b.node, b.def)} ${portName(b.def, 'input', e.to.port)} takes one connection and already has one from ${other ? nodeName(other.node, other.def) : first.from.node}`,
        'input-taken',
      );
      continue;
    }
    taken.set(key, e);
    validEdges.push(e);
  }

  // Cycles, then a topological order to process edges upstream first (so a conflict is
  // blamed on the edge further downstream, where the user is most likely looking).
  const ids = [...nodes.keys()];
  const cycles = findCycles(ids, validEdges);
  for (const cyc of cycles) {
    const names = cyc.map((id) => {
      const n = nodes.get(id)!;
      return nodeName(n.node, n.def);
    });
    diagnostics.push({
      severity: 'error',
      code: 'cycle',
      node: cyc[0],
      message: `These nodes form a cycle: ${[...names, names[0]].join(' → ')}`,
    });
  }
  const order = cycles.length ? null : topologicalOrder(ids, validEdges);
  const rank = new Map((order ?? ids).map((id, i) => [id, i]));
  const edgesInOrder = [...validEdges].sort((x, y) => rank.get(x.to.node)! - rank.get(y.to.node)!);

  // Shapes. Messages are worded after every edge is unified, so they show sizes that
  // other edges pinned down.
  const u = new Unifier();
  const failed: { e: GraphEdge; code: DiagnosticCode; from: EdgeEnd; to: EdgeEnd }[] = [];
  for (const e of edgesInOrder) {
    const sa = signatures.get(e.from.node);
    const sb = signatures.get(e.to.node);
    if (!sa || !sb) continue;
    const code = typeProblem(u, sa.outputs[e.from.port]!, sb.inputs[e.to.port]!);
    if (code)
      failed.push({
        e,
        code,
        from: { ...nodes.get(e.from.node)!, port: e.from.port, type: sa.outputs[e.from.port]! },
        to: { ...nodes.get(e.to.node)!, port: e.to.port, type: sb.inputs[e.to.port]! },
      });
  }
  for (const { e, code, from, to } of failed)
    diagnostics.push({ severity: 'error', code, message: describeEdgeProblem(u, code, from, to), edge: e.id, node: e.to.node, port: e.to.port });

  // Inputs left open, outputs nobody uses.
  const connectedIn = new Set(validEdges.map((e) => `${e.to.node}\u0000${e.to.port}`));
  const connectedOut = new Set(validEdges.map((e) => `${e.from.node}\u0000${e.from.port}`));
  for (const { node, def } of nodes.values()) {
    if (!def) continue;
    // A bypassed node needs only the input it passes through; its other outputs go unmade.
    const bypass = bypassOf(node, def);
    if (node.bypassed === true)
      diagnostics.push({
        severity: 'warning',
        code: 'bypassed',
        node: node.id,
        message: bypass
          ? `${nodeName(node, def)} is bypassed: its ${portName(def, 'input', bypass.input)} passes through unchanged${def.outputs.length > 1 ? ', its other outputs are not made' : ''}`
          : `${nodeName(node, def)} cannot be bypassed (only a kind that passes a value through can be); it runs`,
      });
    for (const p of def.inputs)
      if (!p.optional && !(bypass && p.name !== bypass.input) && !connectedIn.has(`${node.id}\u0000${p.name}`))
        diagnostics.push({ severity: 'error', code: 'missing-input', node: node.id, port: p.name, message: `${nodeName(node, def)} needs its ${portName(def, 'input', p.name)} connected (${article(PORT_KIND_NAMES[p.kind])})` });
    for (const p of def.outputs)
      if (!p.optional && !connectedOut.has(`${node.id}\u0000${p.name}`))
        diagnostics.push({ severity: 'warning', code: 'dangling-output', node: node.id, port: p.name, message: `${nodeName(node, def)} ${portName(def, 'output', p.name)} is not connected; nothing uses it` });
  }

  // Resolved shapes, and sizes that came out fractional or empty.
  const shapes = new Map<string, NodeShapes>();
  const resolveIn = (t: PortType) => resolveType(u, t);
  for (const [id, sig] of signatures) {
    const s = { inputs: mapPorts(sig.inputs, resolveIn), outputs: mapPorts(sig.outputs, resolveIn) };
    shapes.set(id, s);
    for (const port in s.outputs) {
      const t = s.outputs[port]!;
      const bad = dimsOf(t).find(([, d]) => !isSym(d) && (!Number.isInteger(d) || d <= 0));
      if (!bad) continue;
      const { node, def } = nodes.get(id)!;
      diagnostics.push({
          severity: 'error',
          code: 'bad-size',
          node: id,
          port,
          message: `${nodeName(node, def)} ${portName(def, 'output', port)} would have a ${bad[0]} of ${formatSize(bad[1])}; the image size feeding it must divide evenly`,
        });
    }
  }

  return {
    graph,
    diagnostics,
    ok: !diagnostics.some((d) => d.severity === 'error'),
    shapes,
    order,
    validEdges,
    nodes,
  };
}

const formatSize = (d: Dim): string => (typeof d === 'number' ? String(Math.round(d * 100) / 100) : '?');
