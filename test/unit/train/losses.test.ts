// The trainer's loss terms. The gradient penalty is differentiated twice; its weight
// gradient is checked against central finite differences (ENVIRONMENT.md: tfjs-core's double
// backprop is silently wrong through some ops).
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELEBA } from '../../../core/graph/attributes';
import { Discriminator } from '../../../core/modules/discriminator';
import { bceWithLogits, criticScore, gradientPenalty, l1 } from '../../../core/train/losses';
import { seededUniform, useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

describe('gradient penalty as the trainer computes it', () => {
  const d = new Discriminator({ imageSize: 8, depth: 2, baseChannels: 4, attributes: [CELEBA.hair] }, 3);
  afterAll(() => d.dispose());
  const real = tf.keep(seededUniform([3, 8, 8, 3], 1) as tf.Tensor4D);
  const fake = tf.keep(seededUniform([3, 8, 8, 3], 2) as tf.Tensor4D);
  const eps = tf.keep(tf.tensor1d([0.2, 0.5, 0.9]));
  const gp = () => gradientPenalty((x) => criticScore(d.apply({ image: x }).patch), real, fake, eps);

  it('equals (‖∇D(x̂)‖ − 1)² computed by hand, per sample', () => {
    const byHand = tf.tidy(() => {
      const e = tf.reshape(eps, [-1, 1, 1, 1]);
      const mixed = tf.add(tf.mul(e, real), tf.mul(tf.sub(1, e), fake));
      const g = tf.grad((x: tf.Tensor) => tf.sum(criticScore(d.apply({ image: x as tf.Tensor4D }).patch)))(mixed);
      const n = tf.sqrt(tf.sum(tf.square(g), [1, 2, 3]));
      return tf.mean(tf.square(tf.sub(n, 1))).dataSync()[0]!;
    });
    expect(tf.tidy(() => gp().dataSync()[0]!)).toBeCloseTo(byHand, 5);
  });

  it('its gradient with respect to D’s weights matches finite differences', () => {
    const v = d.variables['D.conv1.weight']!;
    const auto = tf.tidy(() => tf.variableGrads(gp, [v]).grads[v.name]!.dataSync<'float32'>().slice());
    const orig = v.dataSync<'float32'>().slice();
    const at = (i: number, x: number) => {
      const vals = orig.slice();
      vals[i] = x;
      tf.tidy(() => v.assign(tf.tensor(vals, v.shape)));
      return tf.tidy(() => gp().dataSync()[0]!);
    };
    let compared = 0;
    for (let i = 0; i < orig.length && compared < 3; i++) {
      if (Math.abs(auto[i]!) < 5e-3) continue;
      const fd = (h: number) => {
        const hi = Math.fround(orig[i]! + h);
        const lo = Math.fround(orig[i]! - h);
        return (at(i, hi) - at(i, lo)) / (hi - lo);
      };
      const a = fd(1e-2);
      const b = fd(5e-3);
      tf.tidy(() => v.assign(tf.tensor(orig, v.shape)));
      if (Math.abs(a - b) > 1e-3 * Math.abs(a)) continue; // a leaky-ReLU kink inside the step
      expect(Math.abs(auto[i]! - a) / Math.abs(a)).toBeLessThan(1e-3);
      compared++;
    }
    expect(compared).toBe(3);
  });
});

describe('classification and reconstruction terms', () => {
  it('BCE with logits sums over slots and averages over the batch, stably', () => {
    const logits = tf.tensor2d([[2, -1], [0, 100]]);
    const targets = tf.tensor2d([[1, 0], [1, 0]]);
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    const ref = (-Math.log(sig(2)) - Math.log(1 - sig(-1)) - Math.log(0.5) + 100) / 2;
    expect(bceWithLogits(logits, targets).dataSync()[0]!).toBeCloseTo(ref, 4);
  });
  it('L1 is the mean absolute difference', () => {
    expect(l1(tf.tensor1d([1, 2, 3]), tf.tensor1d([1, 0, 4])).dataSync()[0]!).toBeCloseTo(1, 6);
  });
});
