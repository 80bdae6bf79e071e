// The training graph's layout: the editor's automatic layout decides the columns and the
// order within each (data flows left to right), then the columns are packed for compact
// nodes, so the whole graph fits its panel with titles still readable.

import { produce } from 'immer';
import { type GraphNode, type Project, nodeDefOf } from '../../core/graph';

/** A compact node's width (.module-node.compact in styles.css) and the gaps between nodes. */
export const COMPACT_WIDTH = 136;
const COLUMN_GAP = 24;
const ROW_GAP = 12;

/** A compact node's height: two lines of header, a row per port pair, a line per problem. */
export function compactHeight(n: GraphNode, problems = 0): number {
  const def = nodeDefOf(n);
  return 46 + 11 * Math.max(def?.inputs.length ?? 1, def?.outputs.length ?? 1, 1) + 16 * problems;
}

/** Packs a laid-out project's columns (nodes sharing an x) for compact nodes, keeping their order. */
export function compactLayout(p: Project, problems: (id: string) => number = () => 0): Project {
  const at = p.layout.nodes;
  const columns = new Map<number, GraphNode[]>();
  for (const n of p.graph.nodes) {
    const x = Math.round(at[n.id]?.x ?? 0);
    (columns.get(x) ?? columns.set(x, []).get(x)!).push(n);
  }
  const xs = [...columns.keys()].sort((a, b) => a - b);
  return produce(p, (d) => {
    xs.forEach((x, i) => {
      let y = 0;
      for (const n of columns.get(x)!.sort((a, b) => (at[a.id]?.y ?? 0) - (at[b.id]?.y ?? 0))) {
        d.layout.nodes[n.id] = { x: i * (COMPACT_WIDTH + COLUMN_GAP), y };
        y += compactHeight(n, problems(n.id)) + ROW_GAP;
      }
    });
  });
}
