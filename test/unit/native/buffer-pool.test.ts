// The native backend's reuse of freed output buffers: reused when nothing outside can see
// them, never when a caller read them out or another tensor views them, and results stay
// those of the cpu backend.

import '../../helpers/tf';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { BufferPool } from '../../../core/runtime/native/buffer-pool';
import { addonBuilt, loadNative, randomRaw, reportSkip } from '../../helpers/native';

reportSkip();

const BIG = 64 * 1024;

describe('BufferPool', () => {
  it('hands a freed buffer of the same length out again, once', () => {
    const pool = new BufferPool(1 << 30);
    const a = pool.take(BIG);
    pool.give(a);
    pool.give(a);
    expect(pool.heldBytes).toBe(4 * BIG);
    expect(pool.take(BIG)).toBe(a);
    expect(pool.take(BIG)).not.toBe(a);
    expect(pool.take(BIG + 1)).toHaveLength(BIG + 1);
  });

  it('never takes back buffers it did not make, that escaped, small ones, or beyond its limit', () => {
    const pool = new BufferPool(4 * BIG);
    pool.give(new Float32Array(BIG));
    const escaped = pool.take(BIG);
    pool.escape(escaped);
    pool.give(escaped);
    const small = pool.take(16);
    pool.give(small);
    expect(pool.heldBytes).toBe(0);
    const [x, y] = [pool.take(BIG), pool.take(BIG)];
    pool.give(x);
    pool.give(y);
    expect(pool.heldBytes).toBe(4 * BIG);
  });
});

describe.skipIf(!addonBuilt)('native backend buffer reuse', () => {
  beforeAll(loadNative);
  const shape = [2, 32, 32, 32];
  const input = () => tf.tensor(randomRaw(shape, 3).values, shape);

  it('reuses the outputs of freed intermediates, with the cpu backend\'s results', async () => {
    const compute = () => tf.tidy(() => {
      const x = input();
      let y = x;
      for (let i = 0; i < 6; i++) y = tf.relu(tf.add(tf.mul(y, 0.9), x));
      return tf.sum(y).dataSync()[0]!;
    });
    await tf.setBackend('cpu');
    const expected = compute();
    await tf.setBackend('native');
    const pool = (tf.backend() as unknown as { pool: BufferPool }).pool;
    const first = compute();
    const hits = pool.hits;
    const again = compute();
    expect(pool.hits).toBeGreaterThan(hits);
    expect(first).toBeCloseTo(expected, 2);
    expect(again).toBe(first);
  });

  it('leaves an array read out by dataSync alone after its tensor is freed', async () => {
    await tf.setBackend('native');
    const x = input();
    const y = tf.mul(x, 2);
    const read = y.dataSync();
    const copy = read.slice();
    y.dispose();
    const others = Array.from({ length: 4 }, () => tf.mul(x, -5));
    // A boolean, not toEqual: a failing diff of 65,536 floats takes minutes to print.
    expect(read.every((v, i) => v === copy[i])).toBe(true);
    tf.dispose([x, ...others]);
  });

  it('keeps a slice that views a freed tensor\'s buffer intact', async () => {
    await tf.setBackend('native');
    const x = input();
    const y = tf.mul(x, 3);
    // A slice of whole leading rows is a subarray of y's buffer on the cpu kernel.
    const part = tf.slice(y, [0], [1]);
    // Expected values from the input, not part.dataSync(): reading part out would pin the buffer.
    const before = randomRaw(shape, 3).values.slice(0, part.size).map((v) => Math.fround(v * 3));
    y.dispose();
    const others = Array.from({ length: 4 }, () => tf.mul(x, -7));
    expect(part.dataSync().every((v, i) => v === before[i])).toBe(true);
    tf.dispose([x, part, ...others]);
  });
});
