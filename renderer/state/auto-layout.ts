// Automatic layout: columns by longest path from the sources (data flows left to right),
// rows ordered by the mean row of each node's inputs so edges cross as little as cheaply
// possible; each column as wide and each row as tall as its nodes (measured on the canvas,
// else estimated), so nothing overlaps. Nodes with no edge at all go in a grid below, not
// into the first column, where a dozen of them would make one tall pile.

import { produce } from 'immer';
import { type GraphNode, type Project, nodeDefOf } from '../../core/graph';

export const COLUMN_GAP = 60;
export const ROW_GAP = 40;
/** A node's width on the canvas (.module-node in styles.css). */
export const NODE_WIDTH = 240;

export interface Size {
  readonly width: number;
  readonly height: number;
}
export type SizeOf = (id: string) => Size | undefined;

/**
 * A node's size before the canvas has measured it: header, port rows, and a line for each
 * problem an unconnected node shows (an open input, an unused output). Generous on purpose:
 * a gap too wide is harmless, an overlap is not.
 */
export function estimateSize(n: GraphNode): Size {
  const def = nodeDefOf(n);
  const ins = def?.inputs.length ?? 1;
  const outs = def?.outputs.length ?? 1;
  return { width: NODE_WIDTH, height: 46 + 38 * Math.max(ins, outs, 1) + 34 * ins + 30 * outs };
}

export function autoLayout(p: Project, sizeOf: SizeOf = () => undefined): Project {
  const { nodes, edges } = p.graph;
  const ids = new Set(nodes.map((n) => n.id));
  const size = new Map(nodes.map((n) => [n.id, sizeOf(n.id) ?? estimateSize(n)]));
  const inputs = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  const linked = new Set<string>();
  for (const e of edges)
    if (ids.has(e.from.node) && ids.has(e.to.node)) {
      inputs.get(e.to.node)!.push(e.from.node);
      linked.add(e.from.node).add(e.to.node);
    }

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
  for (const n of nodes) if (linked.has(n.id)) (columns[depth.get(n.id)!] ??= []).push(n.id);

  const at = new Map<string, { x: number; y: number }>();
  const row = new Map<string, number>();
  let x = 0;
  let bottom = 0;
  for (const column of columns) {
    if (!column) continue;
    const key = (id: string) => {
      const rows = inputs.get(id)!.map((r) => row.get(r)).filter((r): r is number => r !== undefined);
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : Number.MAX_SAFE_INTEGER;
    };
    const sorted = column.map((id, i) => ({ id, k: key(id), i })).sort((a, b) => a.k - b.k || a.i - b.i);
    let y = 0;
    sorted.forEach((s, i) => {
      row.set(s.id, i);
      at.set(s.id, { x, y });
      y += size.get(s.id)!.height + ROW_GAP;
    });
    bottom = Math.max(bottom, y);
    x += Math.max(...column.map((id) => size.get(id)!.width)) + COLUMN_GAP;
  }

  // The loose nodes: a grid about as wide as it is tall, under what is wired.
  const loose = nodes.filter((n) => !linked.has(n.id)).map((n) => n.id);
  const perRow = Math.max(1, Math.ceil(Math.sqrt(loose.length)));
  let y = bottom;
  for (let i = 0; i < loose.length; i += perRow) {
    const line = loose.slice(i, i + perRow);
    let lx = 0;
    for (const id of line) {
      at.set(id, { x: lx, y });
      lx += size.get(id)!.width + COLUMN_GAP;
    }
    y += Math.max(...line.map((id) => size.get(id)!.height)) + ROW_GAP;
  }

  return produce(p, (d) => {
    for (const [id, xy] of at) d.layout.nodes[id] = { x: Math.round(xy.x), y: Math.round(xy.y) };
  });
}

/**
 * Where a node of `size` goes near `at` without covering any node already there: `at` when
 * it is free, else the free spot nearest to it on a 20 px grid (searched ring by ring).
 */
export function freeSpot(p: Project, at: { x: number; y: number }, size: Size, sizeOf: SizeOf = () => undefined): { x: number; y: number } {
  const boxes = p.graph.nodes.map((n) => {
    const xy = p.layout.nodes[n.id] ?? { x: 0, y: 0 };
    const s = sizeOf(n.id) ?? estimateSize(n);
    return { x: xy.x, y: xy.y, w: s.width, h: s.height };
  });
  const margin = 20;
  const free = (x: number, y: number) => boxes.every((b) => x + size.width + margin <= b.x || b.x + b.w + margin <= x || y + size.height + margin <= b.y || b.y + b.h + margin <= y);
  if (free(at.x, at.y)) return at;
  const step = 20;
  for (let ring = 1; ring <= 150; ring++) {
    let best: { x: number; y: number; d: number } | null = null;
    for (let i = -ring; i <= ring; i++)
      for (const [dx, dy] of [
        [i, -ring],
        [i, ring],
        [-ring, i],
        [ring, i],
      ] as const) {
        const x = at.x + dx * step;
        const y = at.y + dy * step;
        const d = dx * dx + dy * dy;
        if ((!best || d < best.d) && free(x, y)) best = { x, y, d };
      }
    if (best) return { x: best.x, y: best.y };
  }
  return at;
}
