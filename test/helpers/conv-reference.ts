// Runs one conv-gradient kernel on the cpu backend (the reference) and on wasm, same inputs.

import * as tf from '@tensorflow/tfjs-core';

export type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];

export interface GradCase {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  fh: number;
  fw: number;
  strides: [number, number];
  pad: Pad;
}

async function runOn(backend: string, kernel: string, inputs: Record<string, { values: Float32Array; shape: number[] }>, attrs: object) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const ins = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape)]));
    const out = tf.engine().runKernel(kernel, ins as never, attrs as never) as tf.Tensor;
    return { values: out.dataSync() as Float32Array, shape: out.shape };
  });
}

/** Max |a - b| over max |a|: the relative error of wasm against cpu. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(a[i]!));
  }
  return num / (den || 1);
}

/** Returns undefined when the shape gives an empty conv output (not a valid case). */
export async function compareGradKernels(c: GradCase, seed: number) {
  await tf.setBackend('cpu');
  const x = tf.randomNormal([c.n, c.h, c.w, c.ci], 0, 1, 'float32', seed);
  const f = tf.randomNormal([c.fh, c.fw, c.ci, c.co], 0, 1, 'float32', seed + 1);
  const y = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.strides, c.pad);
  if (y.size === 0) {
    tf.dispose([x, f, y]);
    return undefined;
  }
  const dy = tf.randomNormal(y.shape, 0, 1, 'float32', seed + 2);
  const raw = (t: tf.Tensor) => ({ values: t.dataSync() as Float32Array, shape: t.shape });
  const common = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC' };
  const inputAttrs = { ...common, inputShape: x.shape };
  const filterAttrs = { ...common, filterShape: f.shape };
  const out = {
    input: [
      await runOn('cpu', 'Conv2DBackpropInput', { dy: raw(dy), filter: raw(f) }, inputAttrs),
      await runOn('wasm', 'Conv2DBackpropInput', { dy: raw(dy), filter: raw(f) }, inputAttrs),
    ],
    filter: [
      await runOn('cpu', 'Conv2DBackpropFilter', { x: raw(x), dy: raw(dy) }, filterAttrs),
      await runOn('wasm', 'Conv2DBackpropFilter', { x: raw(x), dy: raw(dy) }, filterAttrs),
    ],
  };
  await tf.setBackend('cpu');
  tf.dispose([x, f, y, dy]);
  return out;
}
