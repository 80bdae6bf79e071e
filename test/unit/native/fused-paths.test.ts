// Every fast path of the native training step against the plain ops it replaces (switched in
// core/modules/fusion.ts): the fused leaky ReLU to the bit, first and second order; and the
// project's trainer over 5 iterations with each path off, and all of them off, giving the same
// losses and weights within 1e-4.

import '../../helpers/tf';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELEBA } from '../../../core/graph/attributes';
import type { Graph } from '../../../core/graph/graph';
import type { AttributeGroup } from '../../../core/graph/ports';
import { FUSED_PATHS, type FusedPath, setFusedPaths } from '../../../core/modules/fusion';
import { hasFusedConvLeakyRelu, hasFusedLeakyRelu } from '../../../core/modules/fused-leaky-relu';
import { convLeakyRelu, leakyRelu } from '../../../core/modules/layers';
import { Discriminator } from '../../../core/modules/discriminator';
import { buildTrainModel, disposeModel } from '../../../core/train/model';
import { Trainer } from '../../../core/train/trainer';
import { addonBuilt, loadNative, relError, reportSkip } from '../../helpers/native';

reportSkip();

const GROUPS: AttributeGroup[] = [CELEBA.hair, CELEBA.smiling, CELEBA.male];

/** With only `off` switched off: what the function returns. */
function withOff<T>(off: readonly FusedPath[], f: () => T): T {
  setFusedPaths(false, off);
  try {
    return f();
  } finally {
    setFusedPaths(true);
  }
}

interface Trained {
  losses: Record<string, number>[];
  weights: Map<string, Float32Array>;
  /** Adam's first moments: averages of the gradients, which Adam's steps only show by sign. */
  moments: Map<string, Float32Array>;
}

/** The project's trainer on E, 3 T, R, 3 D at small shapes, 5 iterations from seed 0. */
async function train(off: readonly FusedPath[]): Promise<Trained> {
  const size = 16;
  const graph: Graph = {
    nodes: [
      { id: 'E', kind: 'encoder', params: { imageSize: size, baseChannels: 4 } },
      ...GROUPS.map((g, i) => ({ id: `T${i}`, kind: 'transformer', params: { baseChannels: 4, resBlocks: 1, attributes: [g] } })),
      { id: 'R', kind: 'reconstructor', params: { imageSize: size, baseChannels: 4 } },
    ],
    edges: [],
  };
  const model = await buildTrainModel(graph, { mode: 'translation', imageSize: size, datasetGroups: GROUPS, seed: 0, dDepth: 2, baseDir: '.' });
  const batch = 3;
  const trainer = new Trainer(model, {
    iterations: 100, batchSize: batch, learningRate: 1e-3, beta1: 0.5, beta2: 0.999, nCritic: 1,
    lambdaGp: 10, lambdaCls: 1, lambdaRec: 10, lambdaCyc: 10, seed: 0, frozen: [],
  });
  const images = new Float32Array(batch * size * size * 3).map((_, i) => Math.sin(i * 0.37) * 0.9);
  const labelLength = GROUPS.reduce((n, g) => n + (g.kind === 'onehot' ? g.values.length : 1), 0);
  const labels = new Float32Array(batch * labelLength).map((_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
  try {
    const losses = withOff(off, () => Array.from({ length: 5 }, (_, k) => trainer.step(k, { index: k, size: batch, images, labels })));
    const weights = new Map(model.all.flatMap((p) => Object.entries(p.module.variables).map(([n, v]) => [`${p.id}/${n}`, v.dataSync().slice() as Float32Array])));
    const moments = new Map([...trainer.dOpt.getState().m, ...trainer.gOpt.getState().m]);
    return { losses, weights, moments };
  } finally {
    trainer.dispose();
    disposeModel(model);
  }
}

/**
 * T.conv0's centre tap on the condition channels adds the same value at every pixel, which the
 * instance norm after it takes away again: those weights change nothing, their gradient is
 * rounding noise, and Adam, dividing by its own size, turns noise into full steps of either
 * sign. They are left out of the weights compared (their moments are compared, and agree).
 */
function inert(name: string, w: Float32Array, c: number, k: number): (i: number) => boolean {
  if (!name.endsWith('T.conv0.weight')) return () => false;
  // [k, k, c + condition length, c]
  const cin = w.length / (k * k * c);
  const centre = (Math.floor(k / 2) * k + Math.floor(k / 2)) * cin * c;
  return (i) => i >= centre + c * c && i < centre + cin * c;
}

function expectSame(got: Trained, ref: Trained, what: string): void {
  ref.losses.forEach((l, k) => {
    for (const [name, v] of Object.entries(l)) expect(Math.abs(got.losses[k]![name]! - v), `${what}: ${name} at iteration ${k}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(v)));
  });
  for (const [name, w] of ref.weights) {
    const skip = inert(name, w, 16, 3);
    const keep = (a: Float32Array) => a.filter((_, i) => !skip(i));
    expect(relError(keep(w), keep(got.weights.get(name)!)), `${what}: weight ${name}`).toBeLessThan(1e-4);
  }
  expect([...got.moments.keys()].sort()).toEqual([...ref.moments.keys()].sort());
  for (const [name, m] of ref.moments) expect(relError(m, got.moments.get(name)!), `${what}: gradient average of ${name}`).toBeLessThan(1e-4);
}

describe.skipIf(!addonBuilt)('native fast paths', () => {
  beforeAll(loadNative);
  afterAll(() => tf.setBackend('cpu'));

  it('the fused leaky ReLU equals relu(x) − a·relu(−x) to the bit, and so do its first and second derivatives', () => {
    expect(hasFusedLeakyRelu()).toBe(true);
    const run = () =>
      tf.tidy(() => {
        const x = tf.tensor1d([-2, -0.5, 0, 0.25, 3, -1e-30, 1e-30]);
        const w = tf.tensor1d([1, -2, 3, 0.5, -1, 2, 4]);
        const y = leakyRelu(x, 0.01);
        const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(leakyRelu(t, 0.01), w)))(x);
        // Second order as the penalty has it: d/dw of ‖∂/∂x Σ w·leaky(x)‖².
        const ddw = tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(leakyRelu(t, 0.01), v)))(x))))(w);
        return [y, dx, ddw].map((t) => Array.from(t.dataSync()));
      });
    const fused = run();
    const plain = withOff(['leakyRelu'], () => {
      expect(hasFusedLeakyRelu()).toBe(false);
      return run();
    });
    expect(fused).toEqual(plain);
  });

  it('conv + leaky ReLU as one kernel matches the two ops, first and second order (as the gradient penalty takes them)', () => {
    expect(hasFusedConvLeakyRelu()).toBe(true);
    const run = () =>
      tf.tidy(() => {
        const x = tf.randomUniform([2, 9, 9, 5], -1, 1, 'float32', 11) as tf.Tensor4D;
        const w = tf.randomUniform([4, 4, 5, 6], -1, 1, 'float32', 12) as tf.Tensor4D;
        const u = tf.randomUniform([2, 4, 4, 6], -1, 1, 'float32', 13);
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(convLeakyRelu(a as tf.Tensor4D, b as tf.Tensor4D, 2, 1, 0.01), u));
        const y = convLeakyRelu(x, w, 2, 1, 0.01);
        const [dx, dw] = tf.grads(f)([x, w]);
        // d/dw of ‖∂f/∂x‖²: through the kernel's gradient and that gradient's own.
        const ddw = tf.grad((b: tf.Tensor) => tf.sum(tf.square(tf.grad((a: tf.Tensor) => f(a, b))(x))))(w);
        return [y, dx!, dw!, ddw].map((t) => t.dataSync().slice() as Float32Array);
      });
    const fused = run();
    const plain = withOff(['convLeakyRelu'], () => {
      expect(hasFusedConvLeakyRelu()).toBe(false);
      return run();
    });
    fused.forEach((v, i) => expect(relError(plain[i]!, v), ['y', 'dx', 'dw', 'd²w'][i]).toBeLessThan(1e-5));
  });

  it('a discriminator with the fused leaky ReLU keeps one activation per layer for the backward pass', () => {
    const d = new Discriminator({ imageSize: 16, baseChannels: 4, depth: 3, attributes: [CELEBA.hair] }, 3);
    const x = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
    // Buffers alive when the backward pass starts (the first gradient to run is the probe's):
    // what the forward pass left for it to read.
    let alive = 0;
    const probe = tf.customGrad(((t: tf.Tensor) => ({
      value: tf.clone(t),
      gradFunc: (dy: tf.Tensor) => {
        alive = tf.memory().numDataBuffers;
        return [tf.clone(dy)];
      },
    })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (t: tf.Tensor) => tf.Tensor;
    const held = () => {
      const before = tf.memory().numDataBuffers;
      const { value, grads } = tf.variableGrads(() => tf.sum(probe(d.apply({ image: x }).patch)) as tf.Scalar, Object.values(d.variables).filter((v) => !v.name.includes('cls')));
      tf.dispose([value, ...Object.values(grads)]);
      return alive - before;
    };
    const fused = held();
    const plain = withOff(['leakyRelu'], held);
    expect(fused).toBeLessThan(plain);
    tf.dispose([x]);
    d.dispose();
  });

  it('the trainer gives the same losses and weights over 5 iterations with each fast path off, and all off', async () => {
    const ref = await train([]);
    // The run trained: weights moved from their first values and the losses changed.
    expect(ref.losses[4]!.g_total).not.toBeCloseTo(ref.losses[0]!.g_total!, 3);
    for (const path of FUSED_PATHS) expectSame(await train([path]), ref, `${path} off`);
    expectSame(await train(FUSED_PATHS), ref, 'all off');
  }, 60_000);
});
