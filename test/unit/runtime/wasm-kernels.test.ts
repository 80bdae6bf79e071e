// Our wasm conv-gradient kernels against the cpu backend's, over random shapes, strides and
// paddings, and through tf.grad of a small conv net.

import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/runtime/backends';
import { type BackpropInputMode, setBackpropInputMode } from '../../../core/runtime/wasm-kernels/register';
import { type GradCase, type Pad, compareGradKernels, relError } from '../../helpers/conv-reference';

/** A small deterministic generator so a failing case can be replayed from its printed seed. */
function rng(seed: number): (lo: number, hi: number) => number {
  let s = seed >>> 0;
  return (lo, hi) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return lo + (s % (hi - lo + 1));
  };
}

function randomCase(seed: number): GradCase {
  const r = rng(seed);
  const fh = r(1, 5);
  const fw = r(1, 5);
  const pads: Pad[] = [
    'same',
    'valid',
    r(0, 2),
    [
      [0, 0],
      [r(0, 2), r(0, 2)],
      [r(0, 2), r(0, 2)],
      [0, 0],
    ],
  ];
  return {
    n: r(1, 3),
    h: r(fh, 13),
    w: r(fw, 13),
    ci: r(1, 6),
    co: r(1, 6),
    fh,
    fw,
    strides: [r(1, 2), r(1, 2)],
    pad: pads[r(0, 3)]!,
  };
}

beforeAll(async () => {
  await initBackend('cpu');
  await initBackend('wasm');
});

afterEach(() => setBackpropInputMode('auto'));

describe('wasm Conv2DBackpropInput and Conv2DBackpropFilter', () => {
  for (const mode of ['subpixel', 'auto'] as BackpropInputMode[]) {
    it(`match the cpu backend over 80 random shapes, strides and paddings (input path: ${mode})`, async () => {
      setBackpropInputMode(mode);
      let checked = 0;
      for (let seed = 1; checked < 80; seed++) {
        const c = randomCase(seed * 7919 + (mode === 'auto' ? 1 : 0));
        const out = await compareGradKernels(c, seed);
        if (!out) continue;
        checked++;
        const [cpuIn, wasmIn] = out.input;
        const [cpuF, wasmF] = out.filter;
        const where = JSON.stringify(c);
        expect(wasmIn!.shape, where).toEqual(cpuIn!.shape);
        expect(wasmF!.shape, where).toEqual(cpuF!.shape);
        expect(relError(cpuIn!.values, wasmIn!.values), `input ${where}`).toBeLessThan(1e-4);
        expect(relError(cpuF!.values, wasmF!.values), `filter ${where}`).toBeLessThan(1e-4);
      }
    });
  }

  it('match on the layer shapes of a GAN (wide channels, 4x4 maps, stride 2)', async () => {
    const cases: GradCase[] = [
      { n: 2, h: 16, w: 16, ci: 32, co: 64, fh: 4, fw: 4, strides: [2, 2], pad: 'same' },
      { n: 2, h: 4, w: 4, ci: 64, co: 64, fh: 4, fw: 4, strides: [2, 2], pad: 'same' },
      { n: 2, h: 8, w: 8, ci: 48, co: 16, fh: 3, fw: 3, strides: [1, 1], pad: 'same' },
      { n: 1, h: 9, w: 7, ci: 16, co: 24, fh: 7, fw: 7, strides: [1, 1], pad: 3 },
      { n: 2, h: 8, w: 8, ci: 32, co: 1, fh: 4, fw: 4, strides: [1, 1], pad: 'valid' },
    ];
    for (const mode of ['subpixel', 'stock', 'auto'] as BackpropInputMode[]) {
      setBackpropInputMode(mode);
      for (const [i, c] of cases.entries()) {
        const out = (await compareGradKernels(c, 100 + i))!;
        expect(relError(out.input[0]!.values, out.input[1]!.values), `${mode} ${JSON.stringify(c)}`).toBeLessThan(1e-4);
        expect(relError(out.filter[0]!.values, out.filter[1]!.values), JSON.stringify(c)).toBeLessThan(1e-4);
      }
    }
  });
});

describe('gradients through wasm', () => {
  /** A two-layer conv net with a transposed conv, so all three conv kernels take part. */
  function lossOf(x: tf.Tensor4D) {
    return (w1: tf.Tensor, w2: tf.Tensor, w3: tf.Tensor) => {
      const h = tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 2, 'same'));
      const g = tf.conv2d(h, w2 as tf.Tensor4D, 1, 'same');
      const up = tf.conv2dTranspose(g, w3 as tf.Tensor4D, [x.shape[0], 8, 8, 3], 2, 'same');
      return tf.mean(tf.square(up));
    };
  }

  async function gradsOn(backend: string) {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const ws = [
        tf.randomNormal([4, 4, 3, 8], 0, 0.3, 'float32', 2),
        tf.randomNormal([3, 3, 8, 8], 0, 0.3, 'float32', 3),
        tf.randomNormal([4, 4, 3, 8], 0, 0.3, 'float32', 4),
      ];
      const grads = tf.grads(lossOf(x))(ws);
      return grads.map((g) => g.dataSync() as Float32Array);
    });
  }

  it('tf.grad of a small conv net w.r.t. its weights runs on wasm and matches cpu', async () => {
    const cpu = await gradsOn('cpu');
    const wasm = await gradsOn('wasm');
    expect(tf.getBackend()).toBe('wasm');
    for (const [i, g] of cpu.entries()) expect(relError(g, wasm[i]!), `weight ${i}`).toBeLessThan(1e-4);
  });

  it('leaks no tensors', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([2, 8, 8, 3]) as tf.Tensor4D;
    const w = tf.randomNormal([4, 4, 3, 8]);
    const before = tf.memory().numTensors;
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.conv2d(x, v as tf.Tensor4D, 2, 'same')))(w);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([x, w, g]);
  });
});
