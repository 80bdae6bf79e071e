// Conv2DBackpropInput as s*s stride-1 convs over dy (wasm's conv2d runs on XNNPACK, ~30
// GFLOP/s against 1-3 for wasm's own loop kernel), one per output phase, interleaved into dx
// with two concats. See subpixel-plan.ts for the arithmetic.
//
// Measured on wasm before settling on this: one combined conv with every phase in its output
// channels wastes (window/taps)^2 work on zero taps (2.25x for k4 s2); gather, strided slice,
// reverse, depth-to-space and rank-6 transposes are slow loops on wasm, so the sub-filters are
// cut out of the filter in plain JavaScript (a few ms for a 4x4x256x256 filter).

import * as tf from '@tensorflow/tfjs-core';
import type { ConvGeometry } from './conv-geometry';
import { type PhasePlan, axisPlan } from './subpixel-plan';

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

/** Drops dy rows/columns where a phase's window starts inside dy or ends before its end. */
function cropDy(dy: tf.Tensor4D, ry: PhasePlan, rx: PhasePlan): tf.Tensor4D {
  const top = Math.max(0, -ry.padBefore);
  const left = Math.max(0, -rx.padBefore);
  const bottom = Math.max(0, -ry.padAfter);
  const right = Math.max(0, -rx.padAfter);
  if (top + left + bottom + right === 0) return dy;
  const [n, h, w, c] = dy.shape;
  return tf.slice(dy, [0, top, left, 0], [n, h - top - bottom, w - left - right, c]);
}

/**
 * The phase's sub-filter [ty, tx, o, c] = w[ry + s*(Ky-1-ty), rx + s*(Kx-1-tx), c, o]: its taps,
 * reversed (correlation, not convolution) and with in/out channels swapped.
 */
export function phaseFilter(w: Float32Array | Int32Array | Uint8Array, g: ConvGeometry, ry: PhasePlan, rx: PhasePlan): tf.Tensor4D {
  const { taps: ky } = ry;
  const { taps: kx } = rx;
  const ci = g.inC;
  const co = g.outC;
  const out = new Float32Array(ky * kx * co * ci);
  let n = 0;
  for (let ty = 0; ty < ky; ty++) {
    const i = ry.firstTap + g.sh * (ky - 1 - ty);
    for (let tx = 0; tx < kx; tx++) {
      const j = rx.firstTap + g.sw * (kx - 1 - tx);
      const base = (i * g.fw + j) * ci * co;
      for (let o = 0; o < co; o++) for (let c = 0; c < ci; c++) out[n++] = w[base + c * co + o]!;
    }
  }
  return tf.tensor4d(out, [ky, kx, co, ci]);
}

function phase(dy: tf.Tensor4D, w: Float32Array | Int32Array | Uint8Array, g: ConvGeometry, rows: number, cols: number, ry: PhasePlan, rx: PhasePlan): tf.Tensor4D {
  if (ry.taps === 0 || rx.taps === 0) return tf.zeros([g.batch, rows, cols, g.inC]);
  const pad: Pad4 = [
    [0, 0],
    [Math.max(0, ry.padBefore), Math.max(0, ry.padAfter)],
    [Math.max(0, rx.padBefore), Math.max(0, rx.padAfter)],
    [0, 0],
  ];
  return tf.conv2d(cropDy(dy, ry, rx), phaseFilter(w, g, ry, rx), 1, pad);
}

export function conv2dBackpropInputSubpixel(dy: tf.Tensor4D, filter: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const py = axisPlan(g.inH, g.outH, g.fh, g.sh, g.padTop);
    const px = axisPlan(g.inW, g.outW, g.fw, g.sw, g.padLeft);
    // wasm is synchronous: reading the (small) filter is a copy out of its heap.
    const w = filter.dataSync();
    // Phase (i, j) fills dx[s*a + i, s*b + j]. Concatenating the column phases on the channel
    // axis gives [N, A, B, sw*C], which is [N, A, sw*B, C] in memory; stacking the row phases
    // under each row then gives [N, sh*A, sw*B, C], all without a transpose.
    const rowsOfPhases = py.phases.map((ry) => {
      const byCol = px.phases.map((rx) => phase(dy, w, g, py.rows, px.rows, ry, rx));
      const joined = byCol.length === 1 ? byCol[0]! : tf.concat(byCol, 3);
      return tf.reshape(joined, [g.batch, py.rows, 1, px.rows * g.sw * g.inC]);
    });
    const stacked = rowsOfPhases.length === 1 ? rowsOfPhases[0]! : tf.concat(rowsOfPhases, 2);
    const dx = tf.reshape(stacked, [g.batch, py.rows * g.sh, px.rows * g.sw, g.inC]) as tf.Tensor4D;
    const exact = py.rows * g.sh === g.inH && px.rows * g.sw === g.inW;
    return exact ? dx : tf.slice(dx, [0, 0, 0, 0], [g.batch, g.inH, g.inW, g.inC]);
  });
}
