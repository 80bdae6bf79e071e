// Live connection checks while the user drags an edge: answers in well under a millisecond
// by reusing the graph's cached analysis (graphs are immutable, so the graph object is the key).

import { nodeKind } from './catalogue';
import { Unifier } from './dims';
import { type Graph, type GraphEdge, type PortRef, nodeName, portName } from './graph';
import { type Analysis, describeEdgeProblem, edgeProblem, validateGraph } from './validate';

interface Cached {
  analysis: Analysis;
  downstream: Map<string, string[]>;
  intoPort: Map<string, GraphEdge>;
}

const cache = new WeakMap<Graph, Cached>();

function cached(graph: Graph): Cached {
  let c = cache.get(graph);
  if (!c) {
    const analysis = validateGraph(graph);
    const downstream = new Map<string, string[]>();
    const intoPort = new Map<string, GraphEdge>();
    for (const e of analysis.validEdges) {
      (downstream.get(e.from.node) ?? downstream.set(e.from.node, []).get(e.from.node)!).push(e.to.node);
      intoPort.set(`${e.to.node}\u0000${e.to.port}`, e);
    }
    c = { analysis, downstream, intoPort };
    cache.set(graph, c);
  }
  return c;
}

/** The graph's analysis, computed once per graph object. */
export const analyze = (graph: Graph): Analysis => cached(graph).analysis;

export type ConnectResult =
  | { ok: true; /** the edge this one would replace on a single input */ replaces?: string }
  | { ok: false; reason: string };

/** Can `from` (an output) feed `to` (an input)? If not, why, in words. */
export function canConnect(graph: Graph, from: PortRef, to: PortRef): ConnectResult {
  const { analysis, downstream, intoPort } = cached(graph);
  const a = analysis.nodes.get(from.node);
  const b = analysis.nodes.get(to.node);
  if (!a) return { ok: false, reason: `There is no node '${from.node}'` };
  if (!b) return { ok: false, reason: `There is no node '${to.node}'` };
  const defA = a.def ?? nodeKind(a.node.kind);
  const defB = b.def ?? nodeKind(b.node.kind);
  if (!defA || !defB) return { ok: false, reason: `${nodeName(defA ? b.node : a.node)} has an unknown kind` };
  const out = defA.outputs.find((p) => p.name === from.port);
  const inp = defB.inputs.find((p) => p.name === to.port);
  if (!out) return { ok: false, reason: `${nodeName(a.node, defA)} has no output '${from.port}'` };
  if (!inp) return { ok: false, reason: `${nodeName(b.node, defB)} has no input '${to.port}'` };
  if (from.node === to.node) return { ok: false, reason: `${nodeName(a.node, defA)} cannot feed itself` };

  const existing = intoPort.get(`${to.node}\u0000${to.port}`);
  if (existing && existing.from.node === from.node && existing.from.port === from.port)
    return { ok: false, reason: `${nodeName(a.node, defA)} ${portName(defA, 'output', from.port)} is already connected there` };

  // Would the new edge close a loop? Only if `from` is reachable downstream of `to`.
  const seen = new Set<string>([to.node]);
  const stack = [to.node];
  while (stack.length) {
    const v = stack.pop()!;
    for (const w of downstream.get(v) ?? []) {
      if (w === from.node)
        return { ok: false, reason: `That would make a cycle: ${nodeName(a.node, defA)} already depends on ${nodeName(b.node, defB)}` };
      if (!seen.has(w)) {
        seen.add(w);
        stack.push(w);
      }
    }
  }

  const sa = analysis.shapes.get(from.node);
  const sb = analysis.shapes.get(to.node);
  if (sa && sb) {
    const u = new Unifier();
    const fromEnd = { node: a.node, def: defA, port: from.port, type: sa.outputs[from.port]! };
    const toEnd = { node: b.node, def: defB, port: to.port, type: sb.inputs[to.port]! };
    const code = edgeProblem(u, fromEnd, toEnd);
    if (code) return { ok: false, reason: describeEdgeProblem(u, code, fromEnd, toEnd) };
  }
  return existing && !inp.multiple ? { ok: true, replaces: existing.id } : { ok: true };
}
