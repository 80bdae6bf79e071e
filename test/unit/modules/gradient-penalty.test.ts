// WGAN-GP differentiates D's input gradient with respect to D's weights (double backprop).
// tfjs-core gets this silently wrong through some ops, so D's gradient-penalty gradient is
// checked against central finite differences.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELEBA } from '../../../core/graph/attributes';
import { Discriminator } from '../../../core/modules/discriminator';
import { seededUniform, useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

const EPS = 1e-2;

describe('gradient penalty through the discriminator', () => {
  const d = new Discriminator({ imageSize: 8, depth: 2, baseChannels: 4, attributes: [CELEBA.male] }, 7);
  afterAll(() => d.dispose());
  const x = tf.keep(seededUniform([2, 8, 8, 3], 11) as tf.Tensor4D);

  /** GP = mean over samples of (‖∂ mean(D(x_i).patch) / ∂x_i‖₂ − 1)². */
  const gp = (): tf.Scalar => {
    const g = tf.grad((xi: tf.Tensor) => tf.sum(tf.mean(d.apply({ image: xi as tf.Tensor4D }).patch, [1, 2, 3])))(x);
    const norms = tf.sqrt(tf.sum(tf.square(g), [1, 2, 3]));
    return tf.mean(tf.square(tf.sub(norms, 1)));
  };

  /** Central difference in one weight; the step is what float32 actually stored. */
  function finiteDifference(v: tf.Variable, original: Float32Array, i: number, eps: number, f: () => tf.Scalar = gp): number {
    const at = (value: number): number => {
      const vals = original.slice();
      vals[i] = value;
      tf.tidy(() => v.assign(tf.tensor(vals, v.shape)));
      return tf.tidy(() => f().dataSync()[0]!);
    };
    const hi = Math.fround(original[i]! + eps);
    const lo = Math.fround(original[i]! - eps);
    const result = (at(hi) - at(lo)) / (hi - lo);
    tf.tidy(() => v.assign(tf.tensor(original, v.shape)));
    return result;
  }

  it.each(['D.conv0.weight', 'D.conv1.weight', 'D.src.weight'])('∂GP/∂%s matches finite differences', (name) => {
    const v = d.variables[name]!;
    const autodiff = tf.tidy(() => tf.variableGrads(gp, [v]).grads[v.name]!.dataSync<'float32'>().slice());
    const original = v.dataSync<'float32'>().slice();
    let compared = 0;
    for (let i = 0; i < original.length && compared < 4; i++) {
      // Below this, float32 round-off in GP (~1e-7) dominates a 2·EPS difference.
      if (Math.abs(autodiff[i]!) < 5e-3) continue;
      const fd = finiteDifference(v, original, i, EPS);
      // D is piecewise linear: where a ±EPS step flips a leaky ReLU, D's input gradient jumps
      // and no finite difference is valid. Halving the step then changes the estimate a lot.
      const fdHalf = finiteDifference(v, original, i, EPS / 2);
      if (Math.abs(fd - fdHalf) > 1e-3 * Math.abs(fd)) continue;
      expect(Math.abs(autodiff[i]! - fd) / Math.abs(fd), `${name}[${i}]: autodiff ${autodiff[i]}, finite difference ${fd}`).toBeLessThan(1e-3);
      compared++;
    }
    expect(compared, `${name}: weights compared`).toBe(4);
  });

  it('D runs only kernels whose second derivative tfjs-core gets right', async () => {
    const profile = await tf.profile(() => {
      tf.dispose(tf.variableGrads(gp, Object.values(d.variables)).grads);
    });
    const kernels = new Set(profile.kernels.map((k) => k.name));
    for (const bad of ['Tanh', 'Sigmoid', 'Exp', 'LeakyRelu', 'Elu', 'Maximum']) expect(kernels).not.toContain(bad);
    expect(kernels).toContain('Conv2DBackpropInput');
  });

  it('the finite-difference check catches tfjs-core’s wrong double backprop through tanh', () => {
    // The reason D avoids tanh. If this starts failing, tfjs fixed Tanh's second derivative.
    const w = tf.variable(tf.tensor1d([0.5, -0.2, 0.8]));
    const xs = tf.tensor1d([0.3, -0.7, 1.1]);
    const penalty = (): tf.Scalar => {
      const g = tf.grad((xi: tf.Tensor) => tf.sum(tf.tanh(tf.mul(xi, w))))(xs);
      return tf.sum(tf.square(g));
    };
    const autodiff = tf.tidy(() => tf.variableGrads(penalty, [w]).grads[w.name]!.dataSync()[0]!);
    const fd = finiteDifference(w, w.dataSync<'float32'>().slice(), 0, EPS, penalty);
    expect(Math.abs(autodiff - fd) / Math.abs(fd)).toBeGreaterThan(0.01);
    tf.dispose([w, xs]);
  });

  it('the penalty is finite and its weight gradient leaks no tensors', () => {
    const before = tf.memory().numTensors;
    const value = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(gp, Object.values(d.variables));
      expect(Object.values(grads).every((g) => Array.from(g.dataSync()).every(Number.isFinite))).toBe(true);
      return value.dataSync()[0]!;
    });
    expect(Number.isFinite(value)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });
});
