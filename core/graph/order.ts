// Graph order: cycles (Tarjan's strongly connected components) and a topological order that
// breaks ties by the order nodes appear in the file, so plans are stable between runs.

import type { GraphEdge } from './graph';

function adjacency(ids: readonly string[], edges: readonly GraphEdge[]): Map<string, string[]> {
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) out.get(e.from.node)?.push(e.to.node);
  return out;
}

/** Each cycle as its node ids (a strongly connected component of 2+ nodes, or a self-loop). */
export function findCycles(ids: readonly string[], edges: readonly GraphEdge[]): string[][] {
  const adj = adjacency(ids, edges);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let next = 0;
  for (const root of ids) {
    if (index.has(root)) continue;
    // Iterative DFS: each frame is a node and the position in its successor list.
    const frames: [string, number][] = [[root, 0]];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (frames.length) {
      const frame = frames[frames.length - 1]!;
      const [v, i] = frame;
      const succ = adj.get(v)!;
      if (i < succ.length) {
        frame[1]++;
        const w = succ[i]!;
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          frames.push([w, 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
        continue;
      }
      frames.pop();
      if (frames.length) {
        const parent = frames[frames.length - 1]![0];
        low.set(parent, Math.min(low.get(parent)!, low.get(v)!));
      }
      if (low.get(v) === index.get(v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== v);
        if (comp.length > 1 || succ.includes(v)) cycles.push(comp.reverse());
      }
    }
  }
  return cycles;
}

/**
 * Kahn's algorithm; among nodes that are ready, the one listed first in the file goes first.
 * Returns null when there is a cycle.
 */
export function topologicalOrder(ids: readonly string[], edges: readonly GraphEdge[]): string[] | null {
  const pos = new Map(ids.map((id, i) => [id, i]));
  const indeg = new Map(ids.map((id) => [id, 0]));
  const adj = adjacency(ids, edges);
  for (const e of edges) if (indeg.has(e.to.node)) indeg.set(e.to.node, indeg.get(e.to.node)! + 1);
  const heap = new MinHeap();
  for (const id of ids) if (indeg.get(id) === 0) heap.push(pos.get(id)!);
  const order: string[] = [];
  while (heap.size) {
    const v = ids[heap.pop()]!;
    order.push(v);
    for (const w of adj.get(v)!) {
      const d = indeg.get(w)! - 1;
      indeg.set(w, d);
      if (d === 0) heap.push(pos.get(w)!);
    }
  }
  return order.length === ids.length ? order : null;
}

class MinHeap {
  private a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  push(x: number): void {
    const a = this.a;
    a.push(x);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (a[p]! <= a[i]!) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]! < a[m]!) m = l;
        if (r < a.length && a[r]! < a[m]!) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}
