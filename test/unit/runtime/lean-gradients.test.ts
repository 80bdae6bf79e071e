// The freeing backward pass against tf.variableGrads: the same values to the bit (first order
// and through a gradient penalty's second order), a lower peak, no tensor left behind.

import '../../helpers/tf';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CELEBA } from '../../../core/graph/attributes';
import { Discriminator } from '../../../core/modules/discriminator';
import { setFusedPaths } from '../../../core/modules/fusion';
import { leanVariableGrads } from '../../../core/runtime/lean-gradients';
import { gradientPenalty } from '../../../core/train/losses';
import { useCpuBackend } from '../../helpers/tf';

type Grads = (f: () => tf.Scalar, vars: tf.Variable[]) => { value: tf.Scalar; grads: tf.NamedTensorMap };
const plain: Grads = (f, vars) => tf.variableGrads(f, vars);
const lean: Grads = (f, vars) => leanVariableGrads(f, vars);

/** A D step's loss: critic scores of real and fake plus the penalty, which differentiates D twice. */
function dLoss(d: Discriminator, real: tf.Tensor4D, fake: tf.Tensor4D): tf.Scalar {
  const both = d.apply({ image: tf.concat([real, fake], 0) });
  const [onReal, onFake] = tf.split(tf.mean(both.patch, [1, 2, 3]), 2);
  const eps = tf.tensor1d([0.25, 0.75]);
  const gp = gradientPenalty((x) => tf.mean(d.apply({ image: x }).patch, [1, 2, 3]) as tf.Tensor1D, real, fake, eps);
  return tf.addN([tf.sub(tf.mean(onFake!), tf.mean(onReal!)), tf.mul(10, gp), tf.sum(tf.square(both.logits))]) as tf.Scalar;
}

function run(grads: Grads, d: Discriminator, real: tf.Tensor4D, fake: tf.Tensor4D) {
  const { value, grads: g } = grads(() => dLoss(d, real, fake), Object.values(d.variables));
  const out = { value: value.dataSync()[0]!, grads: Object.fromEntries(Object.entries(g).map(([k, t]) => [k, t!.dataSync().slice()])) };
  tf.dispose([value, ...Object.values(g)]);
  return out;
}

describe('leanVariableGrads', () => {
  beforeAll(useCpuBackend);

  it('gives tf.variableGrads values to the bit, through a gradient penalty, and leaves no tensor behind', () => {
    const d = new Discriminator({ imageSize: 16, baseChannels: 4, depth: 3, attributes: [CELEBA.hair] }, 7);
    const real = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    const fake = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    const ref = run(plain, d, real, fake);
    const before = tf.memory().numTensors;
    const got = run(lean, d, real, fake);
    expect(tf.memory().numTensors).toBe(before);
    expect(got.value).toBe(ref.value);
    expect(Object.keys(got.grads).sort()).toEqual(Object.keys(ref.grads).sort());
    for (const [k, g] of Object.entries(ref.grads)) expect(Array.from(got.grads[k]!), k).toEqual(Array.from(g));
    d.dispose();
    tf.dispose([real, fake]);
  });

  it('frees saved activations and intermediate gradients during the backward pass', () => {
    // A deep chain over a large activation: tfjs holds every step's saved input and gradient at once.
    const w = tf.variable(tf.fill([1, 64, 64, 8], 0.5), true);
    const x = tf.randomUniform([1, 64, 64, 8], -1, 1, 'float32', 3);
    const chain = () => {
      let y: tf.Tensor = tf.mul(x, w);
      for (let i = 0; i < 30; i++) y = tf.relu(tf.mul(y, 1.01));
      return tf.sum(y) as tf.Scalar;
    };
    // tf.memory() counts a saved clone's bytes again though it shares its source's buffer: count
    // the backend's buffers instead, at every allocation.
    const backend = tf.backend() as unknown as { write: (...a: unknown[]) => unknown; numDataIds(): number };
    const peak = (grads: Grads) => {
      const write = backend.write;
      const base = backend.numDataIds();
      let most = 0;
      backend.write = (...a: unknown[]) => {
        most = Math.max(most, backend.numDataIds() + 1 - base);
        return write.apply(backend, a);
      };
      try {
        const { value, grads: g } = grads(chain, [w]);
        tf.dispose([value, ...Object.values(g)]);
      } finally {
        backend.write = write;
      }
      return most;
    };
    const tfjs = peak(plain);
    const mine = peak(lean);
    // Buffers of 128 KiB (and a few scalars): tfjs holds every saved input and every gradient at once.
    expect(tfjs).toBeGreaterThan(100);
    expect(mine).toBeLessThan(0.7 * tfjs);
    tf.dispose([w, x]);
  });

  it('inside another gradient computation, and with the fast paths off, is tf.variableGrads', () => {
    const v = tf.variable(tf.tensor1d([0.5, -2, 3]), true);
    const inner = () => tf.sum(tf.square(tf.mul(v, v))) as tf.Scalar;
    // d/dv Σ (∂/∂v Σ v⁴) = d/dv Σ 4v³ = 12v²: the outer pass needs the inner one's tape.
    const outer = tf.variableGrads(() => {
      const g = leanVariableGrads(() => tf.sum(tf.pow(v, 4)) as tf.Scalar, [v]);
      return tf.sum(g.grads[v.name]!) as tf.Scalar;
    }, [v]);
    expect(Array.from(outer.grads[v.name]!.dataSync())).toEqual([3, 48, 108]);
    setFusedPaths(false, ['leanGradients']);
    try {
      const { value, grads } = leanVariableGrads(inner, [v]);
      expect(value.dataSync()[0]).toBeCloseTo(0.0625 + 16 + 81, 4);
      expect(Array.from(grads[v.name]!.dataSync())).toEqual([0.5, -32, 108]);
      tf.dispose([value, ...Object.values(grads)]);
    } finally {
      setFusedPaths(true);
    }
    tf.dispose([v, outer.value, ...Object.values(outer.grads)]);
  });

  it('says so when f returns no scalar, and the tape is left clean', () => {
    const v = tf.variable(tf.tensor1d([1, 2]), true);
    const before = tf.memory().numTensors;
    expect(() => leanVariableGrads(() => tf.mul(v, 2) as unknown as tf.Scalar, [v])).toThrow(/must return a scalar tensor, not a rank-1 one/);
    expect(() => leanVariableGrads(() => {
      tf.relu(v);
      throw new Error('broken loss');
    }, [v])).toThrow('broken loss');
    expect(tf.memory().numTensors).toBe(before);
    // A later computation is unaffected.
    const { value, grads } = leanVariableGrads(() => tf.sum(tf.mul(v, 3)) as tf.Scalar, [v]);
    expect(Array.from(grads[v.name]!.dataSync())).toEqual([3, 3]);
    tf.dispose([value, v, ...Object.values(grads)]);
  });
});
