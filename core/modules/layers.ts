// The building blocks every module is made of, as pure functions of tensors (NHWC, tfjs's
// layout). Weights come in as arguments, so a module's forward pass is a plain function of
// its variables that tf.grad / tf.variableGrads can differentiate, twice where needed.

import * as tf from '@tensorflow/tfjs-core';
import { fusedConvLeakyRelu, fusedLeakyRelu, hasFusedConvLeakyRelu, hasFusedLeakyRelu } from './fused-leaky-relu';
import { fusedInstanceNorm, hasFusedInstanceNorm } from './fused-norm';

/** Instance norm's epsilon, as in the paper's PyTorch reference (InstanceNorm2d). */
export const NORM_EPSILON = 1e-5;

/** Convolution without bias; symmetric zero padding `pad` reproduces the paper's sizes. */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: number): tf.Tensor4D {
  return tf.conv2d(x, w, stride, pad);
}

/**
 * Transposed convolution 4×4, stride 2, padding 1 (PyTorch's ConvTranspose2d(k=4, s=2, p=1)):
 * exactly doubles height and width. `w` is [4, 4, out, in], tfjs's transposed layout.
 */
export function upsample2x(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  const [n, h, wd] = x.shape;
  return tf.conv2dTranspose(x, w, [n, h * 2, wd * 2, w.shape[2]], 2, 1);
}

/** Transposed convolution k×k, stride 1, no padding: a 1×1 map becomes k×k. */
export function expandFromPoint(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  const [n, h, wd] = x.shape;
  const k = w.shape[0];
  return tf.conv2dTranspose(x, w, [n, h + k - 1, wd + k - 1, w.shape[2]], 1, 'valid');
}

/**
 * Instance norm: each sample and channel is normalised by its own mean and variance over
 * H×W (biased variance, like PyTorch), then scaled by gamma and shifted by beta. No running
 * statistics, so training and inference compute the same thing and batch composition never
 * changes a sample's result.
 */
export function instanceNorm(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [1, 2], true);
  const normalised = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, NORM_EPSILON)));
  return tf.add(tf.mul(normalised, gamma), beta) as tf.Tensor4D;
}

/**
 * Instance norm, then ReLU when `withRelu`: one fused kernel on backends that have it (native
 * CPU), the composite ops above elsewhere. Not for D: its gradient is first-order only.
 */
export function instanceNormRelu(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, withRelu: boolean): tf.Tensor4D {
  if (hasFusedInstanceNorm()) return fusedInstanceNorm(x, gamma, beta, withRelu, NORM_EPSILON);
  const y = instanceNorm(x, gamma, beta);
  return withRelu ? relu(y) : y;
}

export function relu<T extends tf.Tensor>(x: T): T {
  return tf.relu(x);
}

/**
 * Leaky ReLU as relu(x) − a·relu(−x). tf.leakyRelu has no second derivative in tfjs-core
 * (the gradient penalty throws through it); this form is built from relu only, whose double
 * backprop is correct. One fused kernel with the same values where the backend has it.
 */
export function leakyRelu<T extends tf.Tensor>(x: T, slope: number): T {
  if (slope > 0 && hasFusedLeakyRelu()) return fusedLeakyRelu(x, slope);
  return tf.sub(tf.relu(x), tf.mul(slope, tf.relu(tf.neg(x)))) as T;
}

/** leakyRelu(conv2d(x, w, stride, pad), slope): one kernel where the backend has it. */
export function convLeakyRelu(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: number, slope: number): tf.Tensor4D {
  if (slope > 0 && hasFusedConvLeakyRelu()) return fusedConvLeakyRelu(x, w, stride, pad, slope);
  return leakyRelu(conv2d(x, w, stride, pad), slope);
}

/** Looks up one weight by its full name; modules pass their variable map through this. */
export type WeightLookup = (name: string) => tf.Tensor;

/** conv → instance norm → ReLU, the unit of E, G, T and R. `name` is "E.conv0" style. */
export function convNormRelu(x: tf.Tensor4D, get: WeightLookup, name: string, norm: string, stride: number, pad: number): tf.Tensor4D {
  const y = conv2d(x, get(`${name}.weight`) as tf.Tensor4D, stride, pad);
  return instanceNormRelu(y, get(`${norm}.gamma`), get(`${norm}.beta`), true);
}

/** ResBlock = conv3-IN-ReLU-conv3-IN plus the identity skip; keeps the shape. */
export function resBlock(x: tf.Tensor4D, get: WeightLookup, name: string): tf.Tensor4D {
  const y = convNormRelu(x, get, `${name}.conv0`, `${name}.norm0`, 1, 1);
  const z = conv2d(y, get(`${name}.conv1.weight`) as tf.Tensor4D, 1, 1);
  return tf.add(x, instanceNormRelu(z, get(`${name}.norm1.gamma`), get(`${name}.norm1.beta`), false));
}

/** `n` residual blocks in a row, named `${prefix}0`, `${prefix}1`, … (see resBlockStackSpecs). */
export function resBlockStack(x: tf.Tensor4D, get: WeightLookup, prefix: string, n: number): tf.Tensor4D {
  for (let i = 0; i < n; i++) x = resBlock(x, get, `${prefix}${i}`);
  return x;
}
