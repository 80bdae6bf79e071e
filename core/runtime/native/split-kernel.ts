// SplitV as row copies. The cpu kernel slices element by element through generic strided
// indexing: the gradient of the transformer's concat (feature map + tiled condition) took
// half a second per call there.

import * as tf from '@tensorflow/tfjs-core';
import { type NativeKernel, floats, output, sizeOf } from './kernel-utils';

export const splitV: NativeKernel = (args) => {
  const x = args.inputs.x;
  const xv = floats(args, x);
  if (!xv) return undefined;
  const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  const shape = x!.shape;
  const ax = tf.util.parseAxisParam(axis, shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
  const outer = sizeOf(shape.slice(0, ax));
  const inner = sizeOf(shape.slice(ax + 1));
  const rowLength = shape[ax]! * inner;
  let offset = 0;
  return sizes.map((s) => {
    const len = s * inner;
    const out = new Float32Array(outer * len);
    for (let o = 0; o < outer; o++) out.set(xv.subarray(o * rowLength + offset, o * rowLength + offset + len), o * len);
    offset += len;
    const outShape = [...shape];
    outShape[ax] = s;
    return output(args, outShape, out);
  });
};
