// Elementwise and reduction kernels on the addon's OpenMP loops. The op codes mirror the
// enums in native/src/eltwise.cc.

import * as tf from '@tensorflow/tfjs-core';
import { broadcast4 } from './broadcast';
import { type NativeKernel, alloc, floats, output, sizeOf } from './kernel-utils';

const BINARY = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, SquaredDifference: 4, Maximum: 5, Minimum: 6 } as const;
const UNARY = { Relu: 0, Neg: 1, Square: 2, Sqrt: 3, Rsqrt: 4, Exp: 5, Tanh: 6, Step: 7, Abs: 8, Sigmoid: 9, Log: 10, Reciprocal: 11 } as const;

function binary(op: number): NativeKernel {
  return (args, addon) => {
    const { a, b } = args.inputs;
    const av = floats(args, a);
    const bv = floats(args, b);
    if (!av || !bv) return undefined;
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a!.shape, b!.shape);
    const plan = broadcast4(a!.shape, b!.shape, outShape);
    if (!plan) return undefined;
    const out = alloc(args, sizeOf(outShape));
    addon.binary(op, av, bv, out, plan.shape, plan.aStrides, plan.bStrides);
    return output(args, outShape, out);
  };
}

function unary(op: number): NativeKernel {
  return (args, addon) => {
    const x = args.inputs.x;
    const xv = floats(args, x);
    if (!xv) return undefined;
    const out = alloc(args, xv.length);
    addon.unary(op, xv, out, (args.attrs as { alpha?: number } | undefined)?.alpha ?? 0);
    return output(args, [...x!.shape], out);
  };
}

/** Sum and Mean over one contiguous run of axes (tf.moments over H, W of NHWC is one). */
function reduce(mean: boolean): NativeKernel {
  return (args, addon) => {
    const x = args.inputs.x;
    const xv = floats(args, x);
    if (!xv || xv.length === 0) return undefined;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const shape = x!.shape;
    const axes = tf.util.parseAxisParam(axis, shape).sort((p, q) => p - q);
    if (axes.length === 0 || axes.some((ax, i) => i > 0 && ax !== axes[i - 1]! + 1)) return undefined;
    const first = axes[0]!;
    const last = axes[axes.length - 1]!;
    const outer = sizeOf(shape.slice(0, first));
    const middle = sizeOf(shape.slice(first, last + 1));
    const inner = sizeOf(shape.slice(last + 1));
    const out = new Float32Array(outer * inner);
    const scale = mean ? 1 / middle : 1;
    if (inner === 1) addon.reduceInner(xv, out, outer, middle, scale);
    else addon.reduceMiddle(xv, out, outer, middle, inner, scale);
    const outShape = keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
    return output(args, outShape, out);
  };
}

export const ELTWISE_KERNELS: Record<string, NativeKernel> = {
  ...Object.fromEntries(Object.entries(BINARY).map(([name, op]) => [name, binary(op)])),
  ...Object.fromEntries(Object.entries(UNARY).map(([name, op]) => [name, unary(op)])),
  Sum: reduce(false),
  Mean: reduce(true),
};
