// Conv2D and its two gradients on oneDNN. tfjs's conv2dTranspose is Conv2DBackpropInput, so
// the generator's and reconstructor's upsampling runs here too. Geometry (padding, output
// size) is decided by tfjs's own computeConv2DInfo, so it matches the cpu backend exactly.

import * as tf from '@tensorflow/tfjs-core';
import { type KernelArgs, type NativeKernel, alloc, floats, output, sizeOf } from './kernel-utils';
import { recordFlops } from './kernel-profile';
import { fusedPathEnabled } from '../../modules/fusion';
import { CONV_LEAKY_RELU_KERNEL } from '../../modules/fused-leaky-relu';

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

/**
 * Stride 1 onto at most 4 channels from a multiple of 8: R's conv to RGB, T's mask conv, and
 * (filter flipped) the input gradient of E's conv from RGB. oneDNN pads the few channels to
 * its vector width and ran these at 15-45 GFLOP/s; the addon's narrow kernel vectorises along
 * the many channels instead (native/src/conv_narrow.cc).
 */
function narrow(c: tf.backend_util.Conv2DInfo, few: number, many: number): boolean {
  return fusedPathEnabled('narrowConv') && few <= 4 && many % 8 === 0 && c.strideHeight === 1 && c.strideWidth === 1 && c.dilationHeight === 1 && c.dilationWidth === 1;
}

/** The forward conv on the narrow kernel: wt is the filter with each tap's [in][out] transposed. */
function forwardNarrow(addon: Parameters<NativeKernel>[1], xv: Float32Array, wv: Float32Array, y: Float32Array, c: tf.backend_util.Conv2DInfo): boolean {
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = c;
  const wt = new Float32Array(wv.length);
  for (let t = 0; t < kh * kw; t++)
    for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) wt[(t * co + o) * ci + i] = wv[(t * ci + i) * co + o]!;
  const dims = Int32Array.from([c.batchSize, c.inHeight, c.inWidth, ci, c.outHeight, c.outWidth, co, kh, kw, c.padInfo.top, c.padInfo.left]);
  return addon.conv2dNarrow!(xv, wt, y, dims);
}

/** The input gradient on the narrow kernel: dy convolved with the filter turned by 180°, pads mirrored. */
function inputGradNarrow(addon: Parameters<NativeKernel>[1], dyv: Float32Array, wv: Float32Array, dx: Float32Array, c: tf.backend_util.Conv2DInfo): boolean {
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = c;
  // [ky][kx][ci][co] flipped in ky, kx is already [tap][out = ci][in = co].
  const wt = new Float32Array(wv.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++) wt.set(wv.subarray(((kh - 1 - y) * kw + (kw - 1 - x)) * ci * co, ((kh - 1 - y) * kw + (kw - 1 - x) + 1) * ci * co), (y * kw + x) * ci * co);
  const dims = Int32Array.from([c.batchSize, c.outHeight, c.outWidth, co, c.inHeight, c.inWidth, ci, kh, kw, kh - 1 - c.padInfo.top, kw - 1 - c.padInfo.left]);
  return addon.conv2dNarrow!(dyv, wt, dx, dims);
}

/**
 * Weights at least 16 times the output and over a million (the discriminators' last layers at
 * 64 and 128 px): one matrix product on the HWIO filter as it is (native/src/conv_gemm.cc)
 * instead of oneDNN's convolution, which copied the filter into its blocked layout every call
 * (D's 134 MB last layer: 109 ms a forward call, 24 as the product).
 */
function gemmShaped(c: tf.backend_util.Conv2DInfo): boolean {
  const weights = c.filterHeight * c.filterWidth * c.inChannels * c.outChannels;
  return fusedPathEnabled('gemmConv') && c.dilationHeight === 1 && c.dilationWidth === 1 && weights >= 2 ** 20 && weights >= 16 * sizeOf(c.outShape);
}

export const conv2d: NativeKernel = (args: KernelArgs, addon) => {
  const { x, filter } = args.inputs;
  const a = args.attrs as unknown as ConvAttrs;
  const xv = floats(args, x);
  const wv = floats(args, filter);
  const c = xv && wv ? info(x!.shape, filter!.shape, a, a.dilations) : undefined;
  if (!c) return undefined;
  const y = alloc(args, sizeOf(c.outShape));
  const byNarrow = addon.conv2dNarrow && narrow(c, c.outChannels, c.inChannels) && forwardNarrow(addon, xv!, wv!, y, c);
  if (!byNarrow && addon.conv2dGemm && gemmShaped(c)) addon.conv2dGemm(0, xv!, wv!, y, convGeometry(c));
  else if (!byNarrow) addon.conv2dForward(xv!, wv!, y, convGeometry(c));
  recordFlops('Conv2D', convFlops(c));
  return output(args, c.outShape, y);
};

/** leakyRelu(conv2d(x, filter)) with the activation as oneDNN's post-op (core/modules/fused-leaky-relu.ts). */
export function conv2dLeakyRelu(args: KernelArgs, addon: Parameters<NativeKernel>[1]): tf.TensorInfo {
  const { x, filter } = args.inputs;
  const a = args.attrs as unknown as ConvAttrs & { slope: number };
  const xv = floats(args, x);
  const wv = floats(args, filter);
  const c = xv && wv ? info(x!.shape, filter!.shape, a) : undefined;
  if (!c) throw new Error(`${CONV_LEAKY_RELU_KERNEL}: x and filter must be non-empty float32 NHWC tensors`);
  const y = alloc(args, sizeOf(c.outShape));
  if (addon.conv2dGemm && addon.leakyRelu && gemmShaped(c)) {
    addon.conv2dGemm(0, xv!, wv!, y, convGeometry(c));
    addon.leakyRelu(y, y, a.slope);
  } else addon.conv2dForward(xv!, wv!, y, convGeometry(c), a.slope);
  recordFlops(CONV_LEAKY_RELU_KERNEL, convFlops(c));
  return output(args, c.outShape, y);
}

export const conv2dBackpropInput: NativeKernel = (args, addon) => {
  const { dy, filter } = args.inputs;
  const a = args.attrs as unknown as ConvAttrs & { inputShape: Shape4 };
  const dyv = floats(args, dy);
  const wv = floats(args, filter);
  const c = dyv && wv ? info(a.inputShape, filter!.shape, a) : undefined;
  if (!c) return undefined;
  const dx = alloc(args, sizeOf(a.inputShape));
  const byNarrow = addon.conv2dNarrow && narrow(c, c.inChannels, c.outChannels) && inputGradNarrow(addon, dyv!, wv!, dx, c);
  if (!byNarrow && addon.conv2dGemm && gemmShaped(c)) addon.conv2dGemm(1, dyv!, wv!, dx, convGeometry(c));
  else if (!byNarrow) addon.conv2dBackpropInput(dyv!, wv!, dx, convGeometry(c));
  recordFlops('Conv2DBackpropInput', convFlops(c));
  return output(args, [...a.inputShape], dx);
};

/**
 * A stride-1, size-keeping conv with few output channels (R's last conv7 to RGB) is oneDNN's
 * slowest weight gradient: 3-16 GFLOP/s measured. The same numbers come from the weight
 * gradient of the mirrored conv — dy as its input, x as its output, pads swapped — which
 * oneDNN runs at 40-70 (it is E's first layer's shape); its filter is ours flipped and
 * transposed.
 */
function mirroredFilterGrad(c: tf.backend_util.Conv2DInfo): boolean {
  const p = c.padInfo;
  return c.outChannels < 8 && c.inChannels >= 2 * c.outChannels && c.strideHeight === 1 && c.strideWidth === 1 &&
    c.dilationHeight === 1 && c.dilationWidth === 1 && c.outHeight === c.inHeight && c.outWidth === c.inWidth &&
    p.top + p.bottom === c.filterHeight - 1 && p.left + p.right === c.filterWidth - 1;
}

function filterGradMirrored(addon: Parameters<NativeKernel>[1], xv: Float32Array, dyv: Float32Array, c: tf.backend_util.Conv2DInfo): Float32Array {
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co, padInfo: p } = c;
  const geom = Int32Array.from([c.batchSize, c.inHeight, c.inWidth, co, ci, kh, kw, c.inHeight, c.inWidth, 1, 1, 1, 1, p.bottom, p.right, p.top, p.left]);
  const mirrored = new Float32Array(kh * kw * co * ci);
  addon.conv2dBackpropFilter(dyv, xv, mirrored, geom);
  const dw = new Float32Array(kh * kw * ci * co);
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) dw[((h * kw + w) * ci + i) * co + o] = mirrored[(((kh - 1 - h) * kw + (kw - 1 - w)) * co + o) * ci + i]!;
  return dw;
}

export const conv2dBackpropFilter: NativeKernel = (args, addon) => {
  const { x, dy } = args.inputs;
  const a = args.attrs as unknown as ConvAttrs & { filterShape: Shape4 };
  const xv = floats(args, x);
  const dyv = floats(args, dy);
  const c = xv && dyv ? info(x!.shape, a.filterShape, a) : undefined;
  if (!c) return undefined;
  let dw: Float32Array;
  if (mirroredFilterGrad(c)) dw = filterGradMirrored(addon, xv!, dyv!, c);
  else if (addon.conv2dGemm && gemmShaped(c)) addon.conv2dGemm(2, xv!, dyv!, (dw = alloc(args, sizeOf(a.filterShape))), convGeometry(c));
  else addon.conv2dBackpropFilter(xv!, dyv!, (dw = alloc(args, sizeOf(a.filterShape))), convGeometry(c));
  recordFlops('Conv2DBackpropFilter', convFlops(c));
  return output(args, [...a.filterShape], dw);
};
