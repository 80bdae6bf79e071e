import type { AttributeGroup } from './ports';

/**
 * The condition vector for chosen attribute values: one-hot per one-hot group, 0/1 per
 * binary group, in group order. The trainer, the executor and the UI all encode this way.
 */
export function encodeCondition(groups: readonly AttributeGroup[], values: Readonly<Record<string, string>>): number[] {
  const out: number[] = [];
  for (const g of groups) {
    const v = values[g.name];
    if (g.kind === 'binary') {
      if (v !== '0' && v !== '1') throw new Error(`attribute '${g.name}' must be 0 or 1, got ${JSON.stringify(v)}`);
      out.push(v === '1' ? 1 : 0);
      continue;
    }
    const i = v === undefined ? -1 : g.values.indexOf(v);
    if (i < 0) throw new Error(`'${v}' is not a value of '${g.name}' (${g.values.join(', ')})`);
    for (let j = 0; j < g.values.length; j++) out.push(j === i ? 1 : 0);
  }
  return out;
}
