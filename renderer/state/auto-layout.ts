// Automatic layout: columns by longest path from the sources (data flows left to right),
// rows ordered by the mean row of each node's inputs so edges cross as little as cheaply
// possible. Good enough for the chains a ModularGAN graph is made of.

import { produce } from 'immer';
import type { Project } from '../../core/graph';

export const COLUMN_WIDTH = 300;
export const ROW_HEIGHT = 220;

export function autoLayout(p: Project): Project {
  const { nodes, edges } = p.graph;
  const ids = new Set(nodes.map((n) => n.id));
  const inputs = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const e of edges) if (ids.has(e.from.node) && ids.has(e.to.node)) inputs.get(e.to.node)!.push(e.from.node);

  // Longest path by relaxation; bounded so a cycle (an invalid graph) cannot loop forever.
  const depth = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  for (let round = 0; round < nodes.length; round++) {
    let changed = false;
    for (const e of edges) {
      const d = (depth.get(e.from.node) ?? 0) + 1;
      if (ids.has(e.to.node) && d > depth.get(e.to.node)! && d <= nodes.length) {
        depth.set(e.to.node, d);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const columns: string[][] = [];
  for (const n of nodes) (columns[depth.get(n.id)!] ??= []).push(n.id);

  const row = new Map<string, number>();
  for (const column of columns) {
    if (!column) continue;
    const key = (id: string) => {
      const rows = inputs.get(id)!.map((x) => row.get(x)).filter((r): r is number => r !== undefined);
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : Number.MAX_SAFE_INTEGER;
    };
    const sorted = column.map((id, i) => ({ id, k: key(id), i })).sort((a, b) => a.k - b.k || a.i - b.i);
    sorted.forEach((s, i) => row.set(s.id, i));
  }
  return produce(p, (d) => {
    for (const n of nodes) d.layout.nodes[n.id] = { x: depth.get(n.id)! * COLUMN_WIDTH, y: row.get(n.id)! * ROW_HEIGHT };
  });
}
