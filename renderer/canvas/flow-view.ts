// From the project and its analysis to React Flow's nodes and edges. Objects are reused
// whenever nothing a node shows has changed, so after an edit React Flow re-renders only
// the nodes that did change: that is what keeps a 500-node graph responsive.

import type { Edge, Node } from '@xyflow/react';
import { type Analysis, type GraphNode, type PortKind, type Project, bypassOf, describeShape, nodeDefOf, nodeKind, presetOf } from '../../core/graph';

export interface PortView {
  readonly name: string;
  readonly title: string;
  readonly kind: PortKind;
  readonly help: string;
  /** "256×16×16", "length 3 (hair ∈ {…})"; empty when unknown */
  readonly shape: string;
  readonly error: string | null;
}

export interface NodeView extends Record<string, unknown> {
  readonly id: string;
  readonly kind: string;
  readonly title: string;
  readonly label: string;
  readonly category: string;
  readonly inputs: readonly PortView[];
  readonly outputs: readonly PortView[];
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  /** Bypassed: its input passes through, it computes nothing. */
  readonly bypassed: boolean;
  /** Runs with seeded random weights (no weights file), so its output is noise: how many such modules. */
  readonly untrained: number;
  /** Drawn small: title, label and port dots (the training graph). */
  readonly compact: boolean;
}

/**
 * Modules in the node that would run without a weights file: the node itself, or the
 * modules inside a preset. Bypassed ones do not run, so they do not count.
 */
export function untrainedModules(n: GraphNode): number {
  if (bypassOf(n)) return 0;
  const preset = presetOf(n);
  if (preset) return preset.graph.nodes.reduce((k, m) => k + untrainedModules(m), 0);
  const def = nodeKind(n.kind);
  return def?.module && def.module !== 'D' && !(typeof n.params.weights === 'string' && n.params.weights.trim()) ? 1 : 0;
}

export type FlowNode = Node<NodeView, 'module'>;
export type FlowEdge = Edge<{ message: string | null }>;
export interface Size {
  readonly width: number;
  readonly height: number;
}

interface Problems {
  node: Map<string, { errors: string[]; warnings: string[] }>;
  port: Map<string, string>;
  edge: Map<string, string>;
}

const problemsCache = new WeakMap<Analysis, Problems>();

/** Diagnostics by node, port and edge; once per analysis (nodes and edges both need them). */
function problemsOf(a: Analysis): Problems {
  const cached = problemsCache.get(a);
  if (cached) return cached;
  const p: Problems = { node: new Map(), port: new Map(), edge: new Map() };
  for (const d of a.diagnostics) {
    if (d.edge) {
      if (!p.edge.has(d.edge)) p.edge.set(d.edge, d.message);
      continue;
    }
    if (!d.node) continue;
    if (d.port && d.severity === 'error') p.port.set(`${d.node}\u0000${d.port}`, d.message);
    const n = p.node.get(d.node) ?? p.node.set(d.node, { errors: [], warnings: [] }).get(d.node)!;
    (d.severity === 'error' ? n.errors : n.warnings).push(d.message);
  }
  problemsCache.set(a, p);
  return p;
}

export class FlowView {
  private nodes = new Map<string, { key: string; data: NodeView; flow: FlowNode | null }>();
  private edges = new Map<string, { key: string; flow: FlowEdge }>();

  /** `untrained`: mark modules without weights (not in the training graph, where all start so); `compact`: small nodes. */
  flowNodes(project: Project, analysis: Analysis, selected: ReadonlySet<string>, measured: ReadonlyMap<string, Size>, opts: { untrained?: boolean; compact?: boolean } = {}): FlowNode[] {
    const problems = problemsOf(analysis);
    const next = new Map<string, { key: string; data: NodeView; flow: FlowNode | null }>();
    const out: FlowNode[] = [];
    for (const n of project.graph.nodes) {
      const def = nodeDefOf(n);
      const shapes = analysis.shapes.get(n.id);
      const np = problems.node.get(n.id);
      const inShapes = (def?.inputs ?? []).map((p) => {
        const t = shapes?.inputs[p.name];
        return t ? describeShape(t) : '';
      });
      const outShapes = (def?.outputs ?? []).map((p) => {
        const t = shapes?.outputs[p.name];
        return t ? describeShape(t) : '';
      });
      const inErrors = (def?.inputs ?? []).map((p) => problems.port.get(`${n.id}\u0000${p.name}`) ?? null);
      const errors = np?.errors ?? [];
      const warnings = np?.warnings ?? [];
      const bypassed = !!bypassOf(n, def);
      const untrained = opts.untrained === false ? 0 : untrainedModules(n);
      // What the node shows beyond its kind's fixed text (titles, help): shapes and problems.
      // Compared as one string, so an unchanged node allocates no new view objects.
      // A preset node's ports come from the preset it carries: it is part of what the node shows.
      const key = [n.kind, n.params.preset ? (def?.title ?? '') + (def?.inputs.map((p) => p.name).join() ?? '') + (def?.outputs.map((p) => p.name).join() ?? '') : '', n.label ?? '', ...inShapes, ...inErrors, ...outShapes, ...errors, '\u0002', ...warnings, '\u0003', bypassed, untrained, !!opts.compact].join('\u0000');
      const prev = this.nodes.get(n.id);
      const data: NodeView =
        prev && prev.key === key
          ? prev.data
          : {
              id: n.id,
              kind: n.kind,
              title: def?.title ?? n.kind,
              label: n.label || n.id,
              category: def?.category ?? 'unknown',
              inputs: (def?.inputs ?? []).map((p, i) => ({ name: p.name, title: p.title, kind: p.kind, help: p.help, shape: inShapes[i]!, error: inErrors[i]! })),
              outputs: (def?.outputs ?? []).map((p, i) => ({ name: p.name, title: p.title, kind: p.kind, help: p.help, shape: outShapes[i]!, error: null })),
              errors,
              warnings,
              bypassed,
              untrained,
              compact: !!opts.compact,
            };
      const position = project.layout.nodes[n.id] ?? { x: 0, y: 0 };
      const size = measured.get(n.id);
      const isSelected = selected.has(n.id);
      const old = prev?.flow;
      const flow: FlowNode =
        old && old.data === data && old.position.x === position.x && old.position.y === position.y && old.selected === isSelected && old.measured?.width === size?.width && old.measured?.height === size?.height
          ? old
          : { id: n.id, type: 'module', position: { x: position.x, y: position.y }, data, selected: isSelected, ...(size ? { measured: size } : {}) };
      next.set(n.id, { key, data, flow });
      out.push(flow);
    }
    this.nodes = next;
    return out;
  }

  flowEdges(project: Project, analysis: Analysis, selected: ReadonlySet<string>): FlowEdge[] {
    const problems = problemsOf(analysis);
    const next = new Map<string, { key: string; flow: FlowEdge }>();
    const out: FlowEdge[] = [];
    const byId = new Map(project.graph.nodes.map((n) => [n.id, n]));
    for (const e of project.graph.edges) {
      const message = problems.edge.get(e.id) ?? null;
      const from = byId.get(e.from.node);
      const kind = (from && nodeDefOf(from))?.outputs.find((p) => p.name === e.from.port)?.kind ?? 'unknown';
      const isSelected = selected.has(e.id);
      const key = JSON.stringify([e.from, e.to, message, kind, isSelected]);
      const prev = this.edges.get(e.id);
      const flow: FlowEdge =
        prev && prev.key === key
          ? prev.flow
          : {
              id: e.id,
              source: e.from.node,
              sourceHandle: e.from.port,
              target: e.to.node,
              targetHandle: e.to.port,
              selected: isSelected,
              className: `edge-${kind}${message ? ' invalid' : ''}`,
              data: { message },
              ...(message ? { label: message, labelBgPadding: [6, 3] as [number, number] } : {}),
            };
      next.set(e.id, { key, flow });
      out.push(flow);
    }
    this.edges = next;
    return out;
  }
}
