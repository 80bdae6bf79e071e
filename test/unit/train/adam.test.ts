import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, learningRateAt } from '../../../core/train/adam';
import { useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

describe('Adam with saveable state', () => {
  const loss = (w: tf.Variable) => () => tf.sum(tf.square(tf.sub(w, tf.tensor1d([1, -2, 3])))) as tf.Scalar;

  it('takes the same steps as tfjs’s own Adam', () => {
    const a = tf.variable(tf.tensor1d([0.5, 0.5, 0.5]));
    const b = tf.variable(tf.tensor1d([0.5, 0.5, 0.5]));
    const ours = new Adam(new Map([['a', a]]), 0.5, 0.999);
    const theirs = tf.train.adam(0.01, 0.5, 0.999, 1e-8);
    for (let i = 0; i < 5; i++) {
      const { grads } = tf.variableGrads(loss(a), [a]);
      ours.apply(new Map([['a', grads[a.name]!]]), 0.01);
      theirs.minimize(loss(b), false, [b]);
    }
    const x = a.dataSync();
    const y = b.dataSync();
    for (let i = 0; i < 3; i++) expect(x[i]!).toBeCloseTo(y[i]!, 5);
  });

  it('continues exactly after its state is saved and restored', () => {
    const run = (restoreAt: number | undefined) => {
      const w = tf.variable(tf.tensor1d([0, 0, 0]));
      let opt = new Adam(new Map([['w', w]]), 0.5, 0.999);
      for (let i = 0; i < 6; i++) {
        if (i === restoreAt) {
          const state = opt.getState();
          opt.dispose();
          opt = new Adam(new Map([['w', w]]), 0.5, 0.999);
          opt.setState(state);
        }
        const { grads } = tf.variableGrads(loss(w), [w]);
        opt.apply(new Map([['w', grads[w.name]!]]), 0.1);
      }
      return Array.from(w.dataSync());
    };
    expect(run(3)).toEqual(run(undefined));
  });

  it('refuses state for other variables', () => {
    const w = tf.variable(tf.tensor1d([0, 0]));
    const opt = new Adam(new Map([['w', w]]), 0.5, 0.999);
    expect(() => opt.setState({ step: 1, m: new Map(), v: new Map() })).toThrow(/no moments for 'w'/);
  });
});

describe('learning-rate schedule', () => {
  it('is constant, then decays linearly to zero at the last iteration', () => {
    expect(learningRateAt(0, 1e-4, 100, 50)).toBe(1e-4);
    expect(learningRateAt(49, 1e-4, 100, 50)).toBe(1e-4);
    expect(learningRateAt(75, 1e-4, 100, 50)).toBeCloseTo(5e-5, 12);
    expect(learningRateAt(99, 1e-4, 100, 50)).toBeCloseTo(2e-6, 12);
    expect(learningRateAt(99, 1e-4, 100, undefined)).toBe(1e-4);
  });
});
