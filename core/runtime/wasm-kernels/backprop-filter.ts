// Conv2DBackpropFilter, which the wasm backend lacks, as one forward conv ("batch as channels"):
//   dW[i, j, c, o] = sum over n, a, b of xpad[n, s*a + i, s*b + j, c] * dy[n, a, b, o]
// is a conv of xT = x as [C, H, W, N] (C images with N channels) with dyT = dy as an
// [outH, outW, N, outC] filter dilated by the stride, giving [C, fh, fw, outC].
// XNNPACK runs it at forward-conv speed. Measured on wasm before choosing this: im2col + matMul
// ran 2-9 GFLOP/s (strided slices and matMul's transposeA path are slow loops on wasm) against
// 15-21 here.

import * as tf from '@tensorflow/tfjs-core';
import type { ConvGeometry } from './conv-geometry';

/** Pads (or, when negative, crops) xT so the dilated dy fits exactly fh x fw times. */
function fitInput(xT: tf.Tensor4D, g: ConvGeometry): { input: tf.Tensor4D; pad: [[number, number], [number, number], [number, number], [number, number]] } {
  const bottom = g.fh + g.sh * (g.outH - 1) - g.inH - g.padTop;
  const right = g.fw + g.sw * (g.outW - 1) - g.inW - g.padLeft;
  const input = bottom < 0 || right < 0 ? tf.slice(xT, [0, 0, 0, 0], [g.inC, g.inH + Math.min(0, bottom), g.inW + Math.min(0, right), g.batch]) : xT;
  return {
    input,
    pad: [
      [0, 0],
      [g.padTop, Math.max(0, bottom)],
      [g.padLeft, Math.max(0, right)],
      [0, 0],
    ],
  };
}

export function conv2dBackpropFilterConv(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const xT = tf.transpose(x, [3, 1, 2, 0]);
    const dyT = tf.transpose(dy, [1, 2, 0, 3]);
    const { input, pad } = fitInput(xT, g);
    const dWT = tf.conv2d(input, dyT, 1, pad, 'NHWC', [g.sh, g.sw]);
    return tf.transpose(dWT, [1, 2, 0, 3]);
  });
}
