import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { WeightAverage } from '../../../core/train/ema';
import { useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

describe('weight average (training.ema)', () => {
  it('follows shadow ← β·shadow + (1 − β)·w after every update, and leaves the weights alone', () => {
    const w = tf.variable(tf.tensor1d([1, -2, 3]));
    const vars = new Map([['T/w', w]]);
    const ema = new WeightAverage(vars, 0.9);
    let expected = [1, -2, 3];
    // From the 80th update on, (1 + n)/(10 + n) ≥ 0.9: β itself.
    for (const [n, step] of [
      [80, [2, 0, 1]],
      [81, [0.5, 4, -1]],
      [200, [3, 3, 3]],
    ] as const) {
      w.assign(tf.tensor1d([...step]));
      ema.update(n);
      expected = expected.map((s, i) => 0.9 * s + 0.1 * step[i]!);
      const got = [...ema.values().get('T/w')!];
      got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
      expect([...w.dataSync()]).toEqual(step);
    }
    ema.dispose();
    w.dispose();
  });

  it('lends the average to the variables for a call and puts the weights back', async () => {
    const w = tf.variable(tf.tensor1d([1, 1]));
    const ema = new WeightAverage(new Map([['R/w', w]]), 0.5);
    w.assign(tf.tensor1d([3, 5]));
    ema.update(100); // shadow = (2, 3)
    const seen = await ema.withAverage(() => [...w.dataSync()]);
    expect(seen).toEqual([2, 3]);
    expect([...w.dataSync()]).toEqual([3, 5]);
    ema.dispose();
    w.dispose();
  });

  it('warms up: the n-th update uses min(β, (1 + n)/(10 + n)), so the starting weights fade fast', () => {
    const w = tf.variable(tf.tensor1d([0]));
    const ema = new WeightAverage(new Map([['T/w', w]]), 0.999);
    expect([1, 2, 10, 100, 990, 9000, 20000].map((n) => ema.decayAt(n))).toEqual([2 / 11, 3 / 12, 11 / 20, 101 / 110, 991 / 1000, 0.999, 0.999]);
    // The trained weight is 1 from the first update on: the starting 0 weighs Π β_n.
    w.assign(tf.tensor1d([1]));
    let start = 1;
    for (let n = 1; n <= 333; n++) {
      ema.update(n);
      start *= ema.decayAt(n);
    }
    const got = ema.values().get('T/w')![0]!;
    expect(got).toBeCloseTo(1 - start, 5);
    // Without the warm-up the start would still weigh 0.999^333 = 72%.
    expect(start).toBeLessThan(0.05);
    ema.dispose();
    w.dispose();
  });

  it('restores a saved average exactly and refuses one that does not fit', () => {
    const w = tf.variable(tf.tensor1d([0, 0, 0]));
    const a = new WeightAverage(new Map([['E/w', w]]), 0.99);
    a.setValues(new Map([['E/w', Float32Array.of(1, 2, 3)]]));
    expect([...a.values().get('E/w')!]).toEqual([1, 2, 3]);
    expect(() => a.setValues(new Map([['E/w', Float32Array.of(1)]]))).toThrow(/'E\/w' has 1 values, the variable 3/);
    expect(() => a.setValues(new Map())).toThrow(/no values for 'E\/w'/);
    expect(() => new WeightAverage(new Map(), 1)).toThrow(/between 0 and 1/);
    a.dispose();
    w.dispose();
  });
});
