// Conv2D and its two gradients on oneDNN. tfjs's conv2dTranspose is Conv2DBackpropInput, so
// the generator's and reconstructor's upsampling runs here too. Geometry (padding, output
// size) is decided by tfjs's own computeConv2DInfo, so it matches the cpu backend exactly.

import * as tf from '@tensorflow/tfjs-core';
import { type KernelArgs, type NativeKernel, floats, output, sizeOf } from './kernel-utils';
import { recordFlops } from './kernel-profile';

type Shape4 = [number, number, number, number];
interface ConvAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The 17 numbers the addon's conv functions take, from tfjs's description of the conv. */
export function convGeometry(c: tf.backend_util.Conv2DInfo): Int32Array {
  const p = c.padInfo;
  return Int32Array.from([
    c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outChannels, c.filterHeight, c.filterWidth, c.outHeight, c.outWidth,
    c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth, p.top, p.left, p.bottom, p.right,
  ]);
}

/** 2 FLOPs per multiply-add of the forward convolution; each gradient does the same work. */
const convFlops = (c: tf.backend_util.Conv2DInfo): number =>
  2 * c.batchSize * c.outHeight * c.outWidth * c.filterHeight * c.filterWidth * c.inChannels * c.outChannels;

function info(xShape: number[], filterShape: number[], a: ConvAttrs, dilations: ConvAttrs['dilations'] = 1) {
  // NCHW and empty tensors stay on the cpu kernel: the modules never produce them.
  if (a.dataFormat === 'NCHW' || sizeOf(xShape) === 0 || sizeOf(filterShape) === 0) return undefined;
  const c = tf.backend_util.computeConv2DInfo(xShape as Shape4, filterShape as Shape4, a.strides, dilations ?? 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
  return sizeOf(c.outShape) === 0 ? undefined : c;
}

export const conv2d: NativeKernel = (args: KernelArgs, addon) => {
  const { x, filter } = args.inputs;
  const a = args.attrs as unknown as ConvAttrs;
  const xv = floats(args, x);
  const wv = floats(args, filter);
  const c = xv && wv ? info(x!.shape, filter!.shape, a, a.dilations) : undefined;
  if (!c) return undefined;
  const y = new Float32Array(sizeOf(c.outShape));
  addon.conv2dForward(xv!, wv!, y, convGeometry(c));
  recordFlops('Conv2D', convFlops(c));
  return output(args, c.outShape, y);
};

export const conv2dBackpropInput: NativeKernel = (args, addon) => {
  const { dy, filter } = args.inputs;
  const a = args.attrs as unknown as ConvAttrs & { inputShape: Shape4 };
  const dyv = floats(args, dy);
  const wv = floats(args, filter);
  const c = dyv && wv ? info(a.inputShape, filter!.shape, a) : undefined;
  if (!c) return undefined;
  const dx = new Float32Array(sizeOf(a.inputShape));
  addon.conv2dBackpropInput(dyv!, wv!, dx, convGeometry(c));
  recordFlops('Conv2DBackpropInput', convFlops(c));
  return output(args, [...a.inputShape], dx);
};

export const conv2dBackpropFilter: NativeKernel = (args, addon) => {
  const { x, dy } = args.inputs;
  const a = args.attrs as unknown as ConvAttrs & { filterShape: Shape4 };
  const xv = floats(args, x);
  const dyv = floats(args, dy);
  const c = xv && dyv ? info(x!.shape, a.filterShape, a) : undefined;
  if (!c) return undefined;
  const dw = new Float32Array(sizeOf(a.filterShape));
  addon.conv2dBackpropFilter(xv!, dyv!, dw, convGeometry(c));
  recordFlops('Conv2DBackpropFilter', convFlops(c));
  return output(args, [...a.filterShape], dw);
};
