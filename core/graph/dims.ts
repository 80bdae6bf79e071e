// Sizes of tensors flowing along edges. A size is either known (a number) or symbolic: a
// named unknown times a rational factor, e.g. H/4 for an encoder that works at any image
// size. Symbols are bound by unification across edges (a weighted union-find), so an image
// folder of unknown size feeding an encoder fixed at 128 px becomes 128 everywhere.

export interface SymDim {
  readonly sym: string;
  /** value = sym × num / den, kept reduced */
  readonly num: number;
  readonly den: number;
}

export type Dim = number | SymDim;

export const sym = (name: string, num = 1, den = 1): SymDim => {
  const g = gcd(num, den);
  return { sym: name, num: num / g, den: den / g };
};

export const isSym = (d: Dim): d is SymDim => typeof d !== 'number';

/** Scales a dimension by num/den (e.g. a stride-2 conv halves it). */
export function scaleDim(d: Dim, num: number, den: number): Dim {
  if (!isSym(d)) return (d * num) / den;
  return sym(d.sym, d.num * num, d.den * den);
}

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a || 1;
}

/** An exact non-negative rational; sizes here are small, so plain numbers stay exact. */
interface Frac {
  n: number;
  d: number;
}
const frac = (n: number, d = 1): Frac => {
  const g = gcd(n, d);
  return { n: n / g, d: d / g };
};
const ONE: Frac = { n: 1, d: 1 };
const isOne = (a: Frac): boolean => a.n === 1 && a.d === 1;
// Most ratios are 1 (feature maps pass through transformers unchanged): skip the arithmetic.
const mul = (a: Frac, b: Frac): Frac => (isOne(a) ? b : isOne(b) ? a : frac(a.n * b.n, a.d * b.d));
const div = (a: Frac, b: Frac): Frac => frac(a.n * b.d, a.d * b.n);
const eq = (a: Frac, b: Frac): boolean => a.n === b.n && a.d === b.d;
const fracValue = (f: Frac): number => f.n / f.d;

export type UnifyResult = { ok: true } | { ok: false; left: Dim; right: Dim };

/**
 * Union-find over symbols where each member carries its ratio to the class root:
 * value(s) = value(root(s)) × ratio(s). Binding a root to a number binds the whole class.
 */
export class Unifier {
  private parent = new Map<string, string>();
  private ratio = new Map<string, Frac>();
  private bound = new Map<string, Frac>();

  private find(s: string): { root: string; r: Frac } {
    const path: string[] = [];
    let cur = s;
    for (let p = this.parent.get(cur); p !== undefined && p !== cur; p = this.parent.get(cur)) {
      path.push(cur);
      cur = p;
    }
    // value(path[i]) = value(path[i+1]) × ratio(path[i]); walk back from the root so every
    // visited symbol ends up pointing straight at it (path compression).
    let acc = ONE;
    for (let i = path.length - 1; i >= 0; i--) {
      const node = path[i]!;
      acc = mul(acc, this.ratio.get(node) ?? ONE);
      this.parent.set(node, cur);
      this.ratio.set(node, acc);
    }
    return { root: cur, r: acc };
  }

  /** A dimension as root symbol × factor, or as a known value. */
  private view(d: Dim): { root: string; f: Frac } | { value: Frac } {
    if (!isSym(d)) return { value: { n: d, d: 1 } };
    const { root, r } = this.find(d.sym);
    const f = d.num === 1 && d.den === 1 ? r : mul(r, frac(d.num, d.den));
    const b = this.bound.get(root);
    return b ? { value: mul(b, f) } : { root, f };
  }

  unify(a: Dim, b: Dim): UnifyResult {
    const va = this.view(a);
    const vb = this.view(b);
    if ('value' in va && 'value' in vb) return eq(va.value, vb.value) ? { ok: true } : { ok: false, left: a, right: b };
    if ('value' in va || 'value' in vb) {
      const [s, v] = 'value' in va ? [vb as { root: string; f: Frac }, va.value] : [va, (vb as { value: Frac }).value];
      this.bound.set(s.root, div(v, s.f));
      return { ok: true };
    }
    if (va.root === vb.root) return eq(va.f, vb.f) ? { ok: true } : { ok: false, left: a, right: b };
    // root_b = root_a × fa / fb
    this.parent.set(vb.root, va.root);
    this.ratio.set(vb.root, div(va.f, vb.f));
    return { ok: true };
  }

  /** The dimension with everything known substituted: a number, or a symbol of its class root. */
  resolve(d: Dim): Dim {
    if (!isSym(d)) return d;
    const v = this.view(d);
    if ('value' in v) return fracValue(v.value);
    return v.root === d.sym && v.f.n === d.num && v.f.d === d.den ? d : { sym: v.root, num: v.f.n, den: v.f.d };
  }
}
