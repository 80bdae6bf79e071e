// Reduces a two-operand broadcast to the addon's 4-d form: adjacent dimensions where both
// operands broadcast the same way are merged, so NHWC ⊙ [C], NHWC ⊙ [N,1,1,C] and
// NHWC ⊙ [N,H,W,1] all fit in four dimensions with per-operand strides (0 = broadcast).

export interface Broadcast4 {
  shape: Int32Array;
  aStrides: Int32Array;
  bStrides: Int32Array;
}

/** Undefined when the pattern needs more than four merged dimensions. */
export function broadcast4(aShape: readonly number[], bShape: readonly number[], outShape: readonly number[]): Broadcast4 | undefined {
  const r = outShape.length;
  const pa = [...Array<number>(r - aShape.length).fill(1), ...aShape];
  const pb = [...Array<number>(r - bShape.length).fill(1), ...bShape];
  const groups: { size: number; a: boolean; b: boolean }[] = [];
  for (let d = 0; d < r; d++) {
    const size = outShape[d]!;
    if (size === 1) continue;
    const a = pa[d] === size;
    const b = pb[d] === size;
    const last = groups[groups.length - 1];
    if (last && last.a === a && last.b === b) last.size *= size;
    else groups.push({ size, a, b });
  }
  if (groups.length > 4) return undefined;
  while (groups.length < 4) groups.unshift({ size: 1, a: true, b: true });
  const shape = new Int32Array(4);
  const aStrides = new Int32Array(4);
  const bStrides = new Int32Array(4);
  let sa = 1;
  let sb = 1;
  for (let g = 3; g >= 0; g--) {
    const { size, a, b } = groups[g]!;
    shape[g] = size;
    aStrides[g] = a ? sa : 0;
    bStrides[g] = b ? sb : 0;
    if (a) sa *= size;
    if (b) sb *= size;
  }
  return { shape, aStrides, bStrides };
}
