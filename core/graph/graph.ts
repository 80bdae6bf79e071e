import { type NodeKindDef, nodeKind } from './catalogue';

// The executable graph: what runs, without layout or UI state (kept apart, as ComfyUI does,
// so moving a node never changes what the graph computes).

export interface GraphNode {
  readonly id: string;
  readonly kind: string;
  /** The user's name for the node, e.g. 'smile'; the id is shown when there is none. */
  readonly label?: string;
  readonly params: Readonly<Record<string, unknown>>;
  /**
   * Switched off in place: the node passes its kind's bypass input straight to its bypass
   * output (a transformer's feature map), so a module can be compared with and without
   * itself without rewiring. Kinds without a bypass (see the catalogue) ignore it.
   */
  readonly bypassed?: boolean;
}

export interface PortRef {
  readonly node: string;
  readonly port: string;
}

export interface GraphEdge {
  readonly id: string;
  readonly from: PortRef;
  readonly to: PortRef;
}

export interface Graph {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

/** "Transformer 'smile'": how messages name a node. */
export function nodeName(n: GraphNode, def: NodeKindDef | undefined = nodeKind(n.kind)): string {
  return `${def?.title ?? n.kind} '${n.label || n.id}'`;
}

/** "input 'Condition'": how messages name a port, by its title when the kind is known. */
export function portName(def: NodeKindDef | undefined, side: 'input' | 'output', port: string): string {
  const p = (side === 'input' ? def?.inputs : def?.outputs)?.find((x) => x.name === port);
  return `${side} '${p?.title ?? port}'`;
}

/**
 * The nodes with each module's weights file (where one is set) replaced by `f(path)`: made
 * absolute, or relative to another folder. Paths are resolved by the caller (this stays pure).
 */
export function mapWeightsPaths<N extends { readonly kind: string; readonly params: Readonly<Record<string, unknown>> }>(nodes: readonly N[], f: (path: string) => string): N[] {
  return nodes.map((n) => {
    const w = n.params.weights;
    return nodeKind(n.kind)?.module && typeof w === 'string' && w ? { ...n, params: { ...n.params, weights: f(w) } } : n;
  });
}
