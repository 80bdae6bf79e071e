import type { ModuleKind, ResolvedParams } from './catalogue';
import type { Graph, PortRef } from './graph';
import { withoutBypassed } from './bypass';
import { analyze } from './connect';
import type { Diagnostic, NodeShapes } from './validate';

export interface PlanStep {
  readonly node: string;
  readonly kind: string;
  readonly module?: ModuleKind;
  readonly params: ResolvedParams;
  /** For each input port, where its value comes from (several for a multi-input). */
  readonly inputs: Readonly<Record<string, readonly PortRef[]>>;
  readonly shapes: NodeShapes;
}

export type Plan = { ok: true; steps: readonly PlanStep[] } | { ok: false; diagnostics: readonly Diagnostic[] };

/**
 * The order to run a valid graph in: every node after the nodes it reads from, so a chain
 * of transformers runs exactly in the order the user wired it. Ties follow the file order.
 * Bypassed nodes are left out, their consumers reading what fed them.
 */
export function executionPlan(graph: Graph): Plan {
  const shown = analyze(graph);
  if (!shown.ok || !shown.order) return { ok: false, diagnostics: shown.diagnostics.filter((d) => d.severity === 'error') };
  // Bypassed nodes are not run: the plan is the plan of the graph with them passed through.
  const runs = withoutBypassed(graph);
  const a = runs === graph ? shown : analyze(runs);
  if (!a.ok || !a.order) return { ok: false, diagnostics: a.diagnostics.filter((d) => d.severity === 'error') };
  const inputs = new Map<string, Record<string, PortRef[]>>();
  for (const e of a.validEdges) {
    const m = inputs.get(e.to.node) ?? inputs.set(e.to.node, {}).get(e.to.node)!;
    (m[e.to.port] ??= []).push(e.from);
  }
  const steps = a.order.map((id): PlanStep => {
    const { node, def, params } = a.nodes.get(id)!;
    return { node: id, kind: node.kind, module: def?.module, params, inputs: inputs.get(id) ?? {}, shapes: a.shapes.get(id)! };
  });
  return { ok: true, steps };
}
