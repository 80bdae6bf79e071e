// The index arithmetic of the sub-pixel decomposition, per spatial axis, with no tensors so it
// can be unit-tested on its own.
//
// The input gradient of a stride-s conv at input row y = s*a + p (phase p) collects
// dy[(y + pad - i) / s] * w[i] over the taps i = r, r+s, r+2s, ... with r = (p + pad) mod s.
// For each phase that is a stride-1 correlation of dy with a sub-filter of those taps in reverse
// order, so the whole gradient is s*s small dense convs (no zero-dilated dy, no wasted
// multiply-adds) whose outputs interleave into dx.

export interface PhasePlan {
  /** The phase's first filter tap (r) and how many taps it has (0 when stride > filter). */
  firstTap: number;
  taps: number;
  /** Padding of dy before/after for this phase's conv; negative means rows to drop. */
  padBefore: number;
  padAfter: number;
}

export interface AxisPlan {
  stride: number;
  /** Rows each phase computes: ceil(inSize / stride); the interleaved result is cropped to inSize. */
  rows: number;
  phases: PhasePlan[];
}

export function axisPlan(inSize: number, dySize: number, filter: number, stride: number, pad: number): AxisPlan {
  const rows = Math.ceil(inSize / stride);
  const phases: PhasePlan[] = [];
  for (let p = 0; p < stride; p++) {
    const firstTap = (p + pad) % stride;
    // Row a of this phase reads dy rows a + q - k for its taps k = 0..taps-1.
    const q = (p + pad - firstTap) / stride;
    const taps = firstTap < filter ? Math.ceil((filter - firstTap) / stride) : 0;
    phases.push({ firstTap, taps, padBefore: taps - 1 - q, padAfter: rows - 1 + q - (dySize - 1) });
  }
  return { stride, rows, phases };
}
