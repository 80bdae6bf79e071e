import { type Dim, isSym } from './dims';

/**
 * One attribute group a condition vector encodes. A one-hot group (hair in {black, blond,
 * brown}) takes one slot per value; a binary group (smiling) takes one slot.
 */
export type AttributeGroup =
  | { readonly name: string; readonly kind: 'onehot'; readonly values: readonly string[] }
  | { readonly name: string; readonly kind: 'binary' };

export const groupLength = (g: AttributeGroup): number => (g.kind === 'onehot' ? g.values.length : 1);
export const groupsLength = (gs: readonly AttributeGroup[]): number => gs.reduce((n, g) => n + groupLength(g), 0);

export const describeGroup = (g: AttributeGroup): string =>
  g.kind === 'onehot' ? `${g.name} ∈ {${g.values.join(', ')}}` : `${g.name} (yes/no)`;
export const describeGroups = (gs: readonly AttributeGroup[]): string =>
  gs.length ? gs.map(describeGroup).join(', ') : 'no attributes';

export function sameGroups(a: readonly AttributeGroup[], b: readonly AttributeGroup[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((g, i) => {
    const h = b[i]!;
    if (g.name !== h.name || g.kind !== h.kind) return false;
    if (g.kind === 'binary' || h.kind === 'binary') return true;
    return g.values.length === h.values.length && g.values.every((v, j) => v === h.values[j]);
  });
}

/** The value types that travel along edges. `note` says why a shape is what it is. */
export type PortType =
  | { kind: 'image'; channels: Dim; h: Dim; w: Dim; note?: string }
  | { kind: 'feature'; c: Dim; h: Dim; w: Dim; note?: string }
  | { kind: 'mask'; h: Dim; w: Dim; note?: string }
  | { kind: 'condition'; length: Dim; groups?: readonly AttributeGroup[]; note?: string }
  | { kind: 'noise'; length: Dim; note?: string };

export type PortKind = PortType['kind'];

export const PORT_KIND_NAMES: Record<PortKind, string> = {
  image: 'image',
  feature: 'feature map',
  mask: 'mask',
  condition: 'condition',
  noise: 'noise vector',
};

/** The dimensions of a port type, in a fixed order, with their names for messages. */
export function dimsOf(t: PortType): [string, Dim][] {
  switch (t.kind) {
    case 'image':
      return [['channels', t.channels], ['height', t.h], ['width', t.w]];
    case 'feature':
      return [['channels', t.c], ['height', t.h], ['width', t.w]];
    case 'mask':
      return [['height', t.h], ['width', t.w]];
    case 'condition':
    case 'noise':
      return [['length', t.length]];
  }
}

/** Rebuilds a port type with each dimension mapped; keeps everything else. */
export function mapDims(t: PortType, f: (d: Dim) => Dim): PortType {
  switch (t.kind) {
    case 'image':
      return { ...t, channels: f(t.channels), h: f(t.h), w: f(t.w) };
    case 'feature':
      return { ...t, c: f(t.c), h: f(t.h), w: f(t.w) };
    case 'mask':
      return { ...t, h: f(t.h), w: f(t.w) };
    case 'condition':
    case 'noise':
      return { ...t, length: f(t.length) };
  }
}

/** A symbol's printable name: local part only ("H" for "enc:H"). */
export function formatDim(d: Dim): string {
  if (!isSym(d)) return Number.isInteger(d) ? String(d) : d.toFixed(2);
  const name = d.sym.slice(d.sym.lastIndexOf(':') + 1);
  if (d.num === 1 && d.den === 1) return name;
  if (d.num === 1) return `${name}/${d.den}`;
  if (d.den === 1) return `${d.num}${name}`;
  return `${d.num}${name}/${d.den}`;
}

/** "a 256×32×32 feature map", "a condition of length 3 (hair ∈ {…})". */
export function describeType(t: PortType): string {
  switch (t.kind) {
    case 'image':
    case 'feature':
    case 'mask':
      return `a ${dimsOf(t).map(([, d]) => formatDim(d)).join('×')} ${PORT_KIND_NAMES[t.kind]}`;
    case 'condition':
      return `a condition of length ${formatDim(t.length)}${t.groups ? ` (${describeGroups(t.groups)})` : ''}`;
    case 'noise':
      return `a noise vector of length ${formatDim(t.length)}`;
  }
}

/** The shape alone, for "but X gives 128×16×16". */
export function describeShape(t: PortType): string {
  if (t.kind === 'condition') return `length ${formatDim(t.length)}${t.groups ? ` (${describeGroups(t.groups)})` : ''}`;
  if (t.kind === 'noise') return `length ${formatDim(t.length)}`;
  return dimsOf(t).map(([, d]) => formatDim(d)).join('×');
}
