// Bypass: a node switched off in place, so a user can compare a graph with and without a
// module without rewiring it. The catalogue says which kinds can be bypassed and which input
// passes to which output; here the graph that actually runs is derived from the one the user
// sees. The plan (and so both inference engines and the ONNX export) runs that graph.

import { type NodeKindDef, nodeKind } from './catalogue';
import type { Graph, GraphEdge, GraphNode, PortRef } from './graph';

/** The kind's bypass, when `node` asks for one and its kind has one. */
export function bypassOf(node: GraphNode, def: NodeKindDef | undefined = nodeKind(node.kind)): NodeKindDef['bypass'] | undefined {
  return node.bypassed === true ? def?.bypass : undefined;
}

export const canBypass = (node: GraphNode): boolean => !!nodeKind(node.kind)?.bypass;

const cache = new WeakMap<Graph, Graph>();

/**
 * The graph that runs: every bypassed node removed, the edges it fed now fed by what fed its
 * bypass input (through chains of bypassed nodes), edges from its other outputs dropped, and
 * the output nodes (previews, mask sums) that showed only what a bypassed node made removed
 * with them. The same graph object when nothing is bypassed. Pure and cached per graph.
 */
export function withoutBypassed(graph: Graph): Graph {
  const hit = cache.get(graph);
  if (hit) return hit;
  const bypassed = new Map<string, NonNullable<NodeKindDef['bypass']>>();
  for (const n of graph.nodes) {
    const b = bypassOf(n);
    if (b) bypassed.set(n.id, b);
  }
  if (!bypassed.size) {
    cache.set(graph, graph);
    return graph;
  }
  const into = new Map<string, PortRef>();
  for (const e of graph.edges) into.set(`${e.to.node}\u0000${e.to.port}`, e.from);
  /** Where a bypassed node's pass-through output really comes from (undefined: nothing feeds it). */
  const source = (ref: PortRef, seen = new Set<string>()): PortRef | undefined => {
    const b = bypassed.get(ref.node);
    if (!b) return ref;
    if (ref.port !== b.output || seen.has(ref.node)) return undefined;
    seen.add(ref.node);
    const from = into.get(`${ref.node}\u0000${b.input}`);
    return from && source(from, seen);
  };

  let edges: GraphEdge[] = [];
  const lost = new Set<string>();
  for (const e of graph.edges) {
    if (bypassed.has(e.to.node)) continue;
    const from = source(e.from);
    if (!from) lost.add(e.to.node);
    else edges.push(from === e.from ? e : { ...e, from });
  }
  const removed = new Set(bypassed.keys());
  // An output node left without a required input only showed what a bypassed node made.
  for (let changed = true; changed; ) {
    changed = false;
    const fed = new Set(edges.map((e) => `${e.to.node}\u0000${e.to.port}`));
    for (const n of graph.nodes) {
      if (removed.has(n.id) || !lost.has(n.id)) continue;
      const def = nodeKind(n.kind);
      if (def?.category !== 'output' || def.inputs.every((p) => p.optional || fed.has(`${n.id}\u0000${p.name}`))) continue;
      removed.add(n.id);
      changed = true;
      for (const e of edges) if (e.from.node === n.id) lost.add(e.to.node);
      edges = edges.filter((e) => e.from.node !== n.id && e.to.node !== n.id);
    }
  }
  const result: Graph = { ...graph, nodes: graph.nodes.filter((n) => !removed.has(n.id)), edges };
  cache.set(graph, result);
  return result;
}
