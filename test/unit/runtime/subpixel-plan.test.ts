import { describe, expect, it } from 'vitest';
import { axisPlan } from '../../../core/runtime/wasm-kernels/subpixel-plan';

describe('axisPlan', () => {
  it('splits the filter taps among the stride phases, each tap exactly once', () => {
    for (const [filter, stride, pad] of [
      [4, 2, 1],
      [3, 2, 0],
      [5, 2, 2],
      [1, 2, 0],
      [3, 1, 1],
    ] as const) {
      const plan = axisPlan(16, 8, filter, stride, pad);
      const taps = plan.phases.flatMap((p) => Array.from({ length: p.taps }, (_, k) => p.firstTap + stride * k));
      expect(taps.sort((a, b) => a - b)).toEqual(Array.from({ length: filter }, (_, i) => i));
    }
  });

  it('is a flipped full correlation for stride 1', () => {
    // 'same' 3x3: pad 1 each side, the gradient reads dy with pad 1 too.
    expect(axisPlan(8, 8, 3, 1, 1)).toEqual({ stride: 1, rows: 8, phases: [{ firstTap: 0, taps: 3, padBefore: 1, padAfter: 1 }] });
  });

  it('gives a phase no taps when the stride exceeds the filter', () => {
    const plan = axisPlan(8, 4, 1, 2, 0);
    expect(plan.phases.map((p) => p.taps)).toEqual([1, 0]);
  });
});
