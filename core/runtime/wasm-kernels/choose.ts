// Per-shape choice between wasm's stock Conv2DBackpropInput and the sub-pixel convs.
// The stock kernel is plain loops (1-3 GFLOP/s) with no per-op overhead; the sub-pixel path
// runs a few ops plus s*s XNNPACK convs, which lose on tiny work and on dy maps of 2x2 or less
// (each phase's conv then covers a 1-2 pixel map). Thresholds from a sweep on wasm (SIMD,
// one thread): b4 4x4x64->64 k4 s2 stock 0.9 ms vs 1.9; b8 2x2x256->256 k3 s1 7.4 vs 13;
// b16 4x4x256->512 k4 s2 65 vs 51 (sub-pixel wins once the work is large); b8 8x8x64->64
// k3 s1 13.6 vs 1.7.

import type { ConvGeometry } from './conv-geometry';

/** Multiply-adds of the gradient (same as the forward conv). */
export function convMacs(g: ConvGeometry): number {
  return g.batch * g.outH * g.outW * g.fh * g.fw * g.inC * g.outC;
}

export function preferStockBackpropInput(g: ConvGeometry): boolean {
  const macs = convMacs(g);
  return macs < 1 << 18 || (g.outH * g.outW <= 4 && macs < 1 << 25);
}
