import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CELEBA } from '../../../core/graph/attributes';
import { conv2d, expandFromPoint, instanceNorm, leakyRelu, upsample2x } from '../../../core/modules/layers';
import { Discriminator } from '../../../core/modules/discriminator';
import { Encoder } from '../../../core/modules/encoder';
import { seededUniform, useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

const t4 = (shape: number[], seed: number) => seededUniform(shape, seed) as tf.Tensor4D;
const close = (a: tf.Tensor, b: tf.Tensor, tol = 1e-5): void => {
  expect(a.shape).toEqual(b.shape);
  expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(tol);
};

describe('convolutions reproduce the paper’s sizes', () => {
  it.each([
    [7, 1, 3, 12, 12],
    [4, 2, 1, 12, 6],
    [3, 1, 1, 6, 6],
    [4, 2, 1, 8, 4],
  ])('conv%i stride %i pad %i: %i → %i', (k, s, p, size, out) => {
    tf.tidy(() => {
      expect(conv2d(t4([1, size, size, 2], 1), t4([k, k, 2, 3], 2), s, p).shape).toEqual([1, out, out, 3]);
    });
  });

  it('the k4 s2 transposed conv doubles the size and is the adjoint of the k4 s2 p1 conv', () =>
    tf.tidy(() => {
      // <conv(x), y> = <x, convT(y)> with one filter: the transposed conv undoes the encoder's
      // geometry exactly as PyTorch's ConvTranspose2d(4, 2, 1) does.
      const x = t4([2, 8, 6, 3], 1);
      const w = t4([4, 4, 3, 5], 2);
      const y = t4([2, 4, 3, 5], 3);
      const up = upsample2x(y, w);
      expect(up.shape).toEqual([2, 8, 6, 3]);
      const lhs = tf.sum(tf.mul(conv2d(x, w, 2, 1), y)).dataSync()[0]!;
      const rhs = tf.sum(tf.mul(x, up)).dataSync()[0]!;
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * Math.abs(lhs) + 1e-4);
      close(up, tf.conv2dTranspose(y, w, [2, 8, 6, 3], 2, 'same'));
    }));

  it('the k4 s1 transposed conv turns a point into a 4×4 map', () => {
    tf.tidy(() => {
      expect(expandFromPoint(t4([2, 1, 1, 6], 1), t4([4, 4, 5, 6], 2)).shape).toEqual([2, 4, 4, 5]);
    });
  });

  it('leaky ReLU as relu(x) − a·relu(−x) equals tf.leakyRelu', () =>
    tf.tidy(() => {
      const x = seededUniform([50], 4);
      close(leakyRelu(x, 0.01), tf.leakyRelu(x, 0.01), 1e-7);
    }));
});

describe('instance norm', () => {
  const ones = (c: number) => tf.ones([c]);
  const zeros = (c: number) => tf.zeros([c]);

  it('normalises each sample and channel over H×W on its own', () =>
    tf.tidy(() => {
      // Samples on very different scales: a batch statistic would mix them.
      const a = tf.add(tf.mul(t4([1, 5, 4, 3], 1), 10), 3) as tf.Tensor4D;
      const b = tf.mul(t4([1, 5, 4, 3], 2), 0.1) as tf.Tensor4D;
      const y = instanceNorm(tf.concat([a, b]) as tf.Tensor4D, ones(3), zeros(3));
      const { mean, variance } = tf.moments(y, [1, 2]);
      close(mean, tf.zeros([2, 3]), 1e-5);
      // var / (var + ε): the small-scale sample's 0.003 variance loses 0.3% to ε.
      close(variance, tf.ones([2, 3]), 5e-3);
      close(tf.slice(y, [0], [1]), instanceNorm(a, ones(3), zeros(3)));
      close(tf.slice(y, [1], [1]), instanceNorm(b, ones(3), zeros(3)));
    }));

  it('applies gamma and beta per channel', () =>
    tf.tidy(() => {
      const x = t4([2, 4, 4, 3], 3);
      const gamma = tf.tensor1d([1, 2, -1]);
      const beta = tf.tensor1d([0, 1, 5]);
      close(instanceNorm(x, gamma, beta), tf.add(tf.mul(instanceNorm(x, ones(3), zeros(3)), gamma), beta));
    }));

  it('an encoder’s output for a sample does not depend on the rest of the batch', () => {
    const e = new Encoder({ imageSize: 8, baseChannels: 4, resBlocks: 1 }, 3);
    tf.tidy(() => {
      const [a, b, c] = [t4([1, 8, 8, 3], 1), t4([1, 8, 8, 3], 2), tf.mul(t4([1, 8, 8, 3], 3), 0.01) as tf.Tensor4D];
      const alone = e.apply({ image: a }).feature;
      const withB = tf.slice(e.apply({ image: tf.concat([a, b]) as tf.Tensor4D }).feature, [0], [1]);
      const withC = tf.slice(e.apply({ image: tf.concat([c, b, a]) as tf.Tensor4D }).feature, [2], [1]);
      close(withB, alone);
      close(withC, alone);
    });
    e.dispose();
  });

  it('the discriminator uses no normalisation (only conv weights)', () => {
    const d = new Discriminator({ imageSize: 8, depth: 2, baseChannels: 4, attributes: [CELEBA.hair] });
    expect(Object.keys(d.variables).every((k) => k.endsWith('.weight'))).toBe(true);
    d.dispose();
  });
});
