// SplitV as row copies. The cpu kernel slices element by element through generic strided
// indexing: the gradient of the transformer's concat (feature map + tiled condition) took
// half a second per call there.

import * as tf from '@tensorflow/tfjs-core';
import { type NativeKernel, alloc, floats, output, sizeOf } from './kernel-utils';

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
    const out = alloc(args, outer * len);
    for (let o = 0; o < outer; o++) out.set(xv.subarray(o * rowLength + offset, o * rowLength + offset + len), o * len);
    offset += len;
    const outShape = [...shape];
    outShape[ax] = s;
    return output(args, outShape, out);
  });
};

/** Concat as row copies, the inverse of splitV (the cpu kernel copies element by element). */
export const concat: NativeKernel = (args) => {
  const inputs = (args.inputs as unknown as tf.TensorInfo[]).filter((t) => sizeOf(t.shape) > 0);
  const values = inputs.map((t) => floats(args, t));
  if (inputs.length < 2 || values.some((v) => !v)) return undefined;
  const { axis } = args.attrs as unknown as { axis: number };
  const shape = inputs[0]!.shape;
  const ax = tf.util.parseAxisParam(axis, shape)[0]!;
  const outShape = tf.backend_util.computeOutShape(inputs.map((t) => t.shape), ax);
  const outer = sizeOf(shape.slice(0, ax));
  const lens = inputs.map((t) => sizeOf(t.shape.slice(ax)));
  const rowLength = lens.reduce((a, b) => a + b, 0);
  const out = alloc(args, outer * rowLength);
  for (let o = 0; o < outer; o++) {
    let at = o * rowLength;
    values.forEach((v, i) => {
      const len = lens[i]!;
      out.set(v!.subarray(o * len, (o + 1) * len), at);
      at += len;
    });
  }
  return output(args, outShape, out);
};
