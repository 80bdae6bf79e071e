// A 'values' parameter (a Condition's chosen value per attribute) chooses among attribute
// groups that live in another parameter: the node's own 'attributes', or, for a preset
// node's exposed values, the attributes of the inner node they belong to (exposed beside
// them, or as the preset holds them). The inspector offers these groups' values, and an
// edit of the attributes keeps only the values that still fit them.

import { nodeKind } from './catalogue';
import type { GraphNode } from './graph';
import { type ParamSpec, withDefaults } from './params';
import { nodeDefOf, presetOf } from './preset-node';
import type { AttributeGroup } from './ports';

const ATTRIBUTES = 'attributes';

/** The attribute groups the 'values' parameter `key` of `node` chooses among; [] when unknown. */
export function valuesGroupsOf(node: GraphNode, key: string): readonly AttributeGroup[] {
  const preset = presetOf(node);
  if (!preset) {
    const def = nodeDefOf(node);
    return def ? ((withDefaults(def.params, node.params)[ATTRIBUTES] ?? []) as readonly AttributeGroup[]) : [];
  }
  const x = preset.exposed.params.find((p) => `${p.node}.${p.param}` === key);
  const inner = x && preset.graph.nodes.find((n) => n.id === x.node);
  const def = inner && nodeKind(inner.kind);
  if (!x || !inner || !def) return [];
  const exposed = node.params[`${x.node}.${ATTRIBUTES}`];
  return (exposed ?? withDefaults(def.params, inner.params)[ATTRIBUTES] ?? []) as readonly AttributeGroup[];
}

/** Whether `value` is one `group` can take ('0'/'1' for a yes/no group). */
export const valueFits = (group: AttributeGroup, value: unknown): boolean =>
  group.kind === 'onehot' ? group.values.includes(value as string) : value === '0' || value === '1';

/** The values of `values` that still fit `groups`, in the groups' order. */
export function fittingValues(groups: readonly AttributeGroup[], values: unknown): Record<string, string> {
  const v = (typeof values === 'object' && values !== null ? values : {}) as Record<string, unknown>;
  return Object.fromEntries(groups.filter((g) => valueFits(g, v[g.name])).map((g) => [g.name, v[g.name] as string]));
}

const sameValues = (a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, x]) => b[k] === x);

/**
 * The 'values' parameters of `node` that no longer fit its attributes, each with the values
 * that do (stale attributes and values dropped); empty when all fit. An absent parameter
 * counts as its default, which was chosen for the default attributes.
 */
export function staleValues(node: GraphNode): Record<string, Record<string, string>> {
  const def = nodeDefOf(node);
  const out: Record<string, Record<string, string>> = {};
  for (const [k, spec] of Object.entries(def?.params ?? {}) as [string, ParamSpec][]) {
    if (spec.type !== 'values') continue;
    const current = (node.params[k] ?? spec.default) as Readonly<Record<string, unknown>>;
    const kept = fittingValues(valuesGroupsOf(node, k), current);
    if (!sameValues(kept, current)) out[k] = kept;
  }
  return out;
}
