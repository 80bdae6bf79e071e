// Multiply-adds of a plan's modules (counted as 2 FLOPs each), for reporting GFLOP/s.
// Only convolutions are counted: norms and activations are a rounding error next to them.

import type { AttributeGroup } from '../graph/ports';
import { groupsLength } from '../graph/ports';
import type { PlanStep } from '../graph/plan';

const conv = (k: number, cin: number, cout: number, pixels: number) => 2 * k * k * cin * cout * pixels;

/** FLOPs to run one item through every module of the plan. */
export function planFlops(steps: readonly PlanStep[]): number {
  let total = 0;
  for (const s of steps) {
    const p = s.params;
    const b = p.baseChannels as number;
    const c = 4 * b;
    const rb = (p.resBlocks as number) ?? 0;
    const inp = Object.values(s.shapes.inputs)[0];
    const hw = (t: typeof inp) => (t && 'h' in t && typeof t.h === 'number' && typeof t.w === 'number' ? t.h * t.w : 0);
    switch (s.kind) {
      case 'encoder': {
        const px = hw(inp);
        total += conv(7, 3, b, px) + conv(4, b, 2 * b, px / 4) + conv(4, 2 * b, c, px / 16) + rb * 2 * conv(3, c, c, px / 16);
        break;
      }
      case 'transformer': {
        const px = hw(inp);
        const len = groupsLength(p.attributes as AttributeGroup[]);
        total += conv(3, c + len, c, px) + rb * 2 * conv(3, c, c, px) + (p.useMask ? conv(7, c, 1, px) : 0);
        break;
      }
      case 'reconstructor': {
        const px = hw(inp); // transposed conv: k² × cin × cout per input pixel
        total += conv(4, c, 2 * b, px) + conv(4, 2 * b, b, px * 4) + conv(7, b, 3, px * 16);
        break;
      }
      case 'generator': {
        // Matches core/modules/generator.ts: 1 -> 4 -> 8 ... -> size/4, channels 4b·2^min(n−i, 2).
        const n = Math.round(Math.log2((p.imageSize as number) / 16));
        const ch = (i: number) => 4 * b * 2 ** Math.min(n - i, 2);
        total += conv(4, (p.noiseLength as number) + groupsLength(p.attributes as AttributeGroup[]), ch(0), 1);
        for (let i = 1; i <= n; i++) total += conv(4, ch(i - 1), ch(i), (4 * 2 ** (i - 1)) ** 2);
        break;
      }
    }
  }
  return total;
}
