// Switches for the fast paths that must compute what the plain ops compute: the fused kernels
// modules ask for (instance norm + ReLU, leaky ReLU, conv + leaky ReLU), the training step's freeing backward
// pass (core/runtime/lean-gradients.ts) and the native backend's own convolutions for shapes
// oneDNN runs slowly (narrowConv, gemmConv). All on by default; the tests turn them off, one at a time
// or all together, to run the same training with the plain ops and compare.

export const FUSED_PATHS = ['instanceNorm', 'leakyRelu', 'convLeakyRelu', 'leanGradients', 'narrowConv', 'gemmConv'] as const;
export type FusedPath = (typeof FUSED_PATHS)[number];

const off = new Set<FusedPath>();

export function fusedPathEnabled(path: FusedPath): boolean {
  return !off.has(path);
}

/** Turns the given paths (default: all) on or off; returns the paths that were off before. */
export function setFusedPaths(on: boolean, paths: readonly FusedPath[] = FUSED_PATHS): FusedPath[] {
  const before = [...off];
  for (const p of paths) {
    if (on) off.delete(p);
    else off.add(p);
  }
  return before;
}
