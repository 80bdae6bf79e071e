// First- and second-order gradients on the native backend against the cpu backend: the
// WGAN-GP penalty differentiates D twice (conv, both conv gradients and relu), and the
// 20-iteration loss check against wasm covers a whole training step.

import '../../helpers/tf';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELEBA } from '../../../core/graph/attributes';
import { Discriminator } from '../../../core/modules/discriminator';
import { initBackend } from '../../../core/runtime/backends';
import { instanceNormRelu } from '../../../core/modules/layers';
import { hasFusedInstanceNorm } from '../../../core/modules/fused-norm';
import { StandardIteration, syntheticImages } from '../../../bench/train-step';
import { addonBuilt, loadNative, relError, reportSkip } from '../../helpers/native';

reportSkip();

/** Gradients of the penalty with respect to D's weights, and of D's output sum w.r.t. its input. */
function penaltyGrads(d: Discriminator, x: tf.Tensor4D): { input: Float32Array; weights: Float32Array[] } {
  return tf.tidy(() => {
    const dIn = (img: tf.Tensor) => tf.sum(d.apply({ image: img as tf.Tensor4D }).patch);
    const input = tf.grad(dIn)(x).dataSync() as Float32Array;
    const { grads } = tf.variableGrads(() => {
      const g = tf.grad(dIn)(x);
      const norm = tf.sqrt(tf.add(tf.sum(tf.square(g), [1, 2, 3]), 1e-12));
      return tf.mean(tf.square(tf.sub(norm, 1)));
    }, Object.values(d.variables));
    // D's logits head is not on the penalty's path, so it has no gradient.
    const onPath = Object.values(d.variables).filter((v) => grads[v.name]);
    return { input, weights: onPath.map((v) => grads[v.name]!.dataSync() as Float32Array) };
  });
}

describe.skipIf(!addonBuilt)('native gradients', () => {
  beforeAll(loadNative);
  afterAll(() => tf.setBackend('cpu'));

  it.each([true, false])('fused instance norm (relu %s) and its gradients match the composite ops on cpu', async (withRelu) => {
    const run = () =>
      tf.tidy(() => {
        const x = tf.randomNormal([3, 5, 7, 20], 0.5, 2, 'float32', 1) as tf.Tensor4D;
        const gamma = tf.randomNormal([20], 1, 0.3, 'float32', 2);
        const beta = tf.randomNormal([20], 0, 0.3, 'float32', 3);
        const w = tf.randomNormal([3, 5, 7, 20], 0, 1, 'float32', 4);
        const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(instanceNormRelu(a as tf.Tensor4D, g, b, withRelu), w));
        const y = instanceNormRelu(x, gamma, beta, withRelu).dataSync() as Float32Array;
        const grads = tf.grads(f)([x, gamma, beta]).map((t) => t.dataSync() as Float32Array);
        return { y, grads };
      });
    await tf.setBackend('cpu');
    expect(hasFusedInstanceNorm()).toBe(false);
    const ref = run();
    await tf.setBackend('native');
    expect(hasFusedInstanceNorm()).toBe(true);
    const got = run();
    expect(relError(ref.y, got.y)).toBeLessThan(1e-5);
    ref.grads.forEach((g, i) => expect(relError(g, got.grads[i]!), `gradient ${i}`).toBeLessThan(1e-4));
  });

  it('first and second order through a discriminator match the cpu backend', async () => {
    await tf.setBackend('cpu');
    const d = new Discriminator({ imageSize: 16, baseChannels: 4, depth: 3, attributes: [CELEBA.hair] }, 3);
    const x = syntheticImages(3, 16, 2);
    const ref = penaltyGrads(d, x);
    await tf.setBackend('native');
    const got = penaltyGrads(d, x);
    expect(relError(ref.input, got.input)).toBeLessThan(1e-4);
    expect(got.weights.length).toBe(4);
    ref.weights.forEach((w, i) => expect(relError(w, got.weights[i]!), `weight ${i}`).toBeLessThan(1e-3));
    d.dispose();
    x.dispose();
  });

  it('training losses for a fixed seed agree with the wasm backend over 20 iterations', async () => {
    const config = { size: 16, base: 4, resBlocks: 1, dDepth: 2, batch: 2 };
    const run = async (backend: 'wasm' | 'native') => {
      await initBackend(backend, { probeAll: false });
      const it = new StandardIteration(config, 5);
      const x = syntheticImages(config.batch, config.size);
      const losses = Array.from({ length: 20 }, (_, i) => it.step(x, i));
      it.dispose();
      x.dispose();
      return losses;
    };
    const wasm = await run('wasm');
    const native = await run('native');
    native.forEach((l, i) => {
      expect(Math.abs(l.d - wasm[i]!.d), `D loss at ${i}`).toBeLessThan(1e-3 * Math.max(1, Math.abs(wasm[i]!.d)));
      expect(Math.abs(l.g - wasm[i]!.g), `G loss at ${i}`).toBeLessThan(1e-3 * Math.max(1, Math.abs(wasm[i]!.g)));
    });
    // The run actually trained: the losses moved.
    expect(native[19]!.g).not.toBeCloseTo(native[0]!.g, 3);
  });
});
