import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELEBA } from '../../../core/graph/attributes';
import { Transformer, maskedBlend } from '../../../core/modules/transformer';
import { oneHotRows, seededUniform, useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

const B = 4;
const feature = (seed: number) => seededUniform([2, 4, 4, 4 * B], seed) as tf.Tensor4D;
const range = (t: tf.Tensor): [number, number] => [tf.min(t).dataSync()[0]!, tf.max(t).dataSync()[0]!];

describe('transformer', () => {
  const hair = new Transformer({ baseChannels: B, resBlocks: 1, attributes: [CELEBA.hair] }, 1);
  const male = new Transformer({ baseChannels: B, resBlocks: 2, attributes: [CELEBA.male] }, 2);
  const smile = new Transformer({ baseChannels: B, resBlocks: 0, attributes: [CELEBA.smiling] }, 3);
  afterAll(() => [hair, male, smile].forEach((t) => t.dispose()));

  it('gives a mask strictly inside (0, 1), one value per position', () =>
    tf.tidy(() => {
      const { mask, feature: out } = hair.apply({ feature: feature(1), condition: oneHotRows(2, 3) });
      expect(mask.shape).toEqual([2, 4, 4, 1]);
      const [lo, hi] = range(mask);
      expect(lo).toBeGreaterThan(0);
      expect(hi).toBeLessThan(1);
      expect(out.shape).toEqual([2, 4, 4, 4 * B]);
    }));

  it('the blend leaves f unchanged when f′ equals f, whatever the mask', () =>
    tf.tidy(() => {
      const f = feature(2);
      const mask = tf.div(tf.add(1, seededUniform([2, 4, 4, 1], 3)), 2) as tf.Tensor4D;
      expect(maskedBlend(f, f, mask).dataSync()).toEqual(f.dataSync());
      // And the mask picks between the two: 1 gives f′, 0 gives f.
      const g = feature(4);
      const gap = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
      expect(gap(maskedBlend(f, g, tf.onesLike(mask)), g)).toBeLessThan(1e-6);
      expect(maskedBlend(f, g, tf.zerosLike(mask)).dataSync()).toEqual(f.dataSync());
    }));

  it('with a zero mask convolution the mask is ½ everywhere', () => {
    const t = new Transformer({ baseChannels: B, resBlocks: 0, attributes: [CELEBA.male] }, 4);
    tf.tidy(() => {
      const w = t.variables['T.mask.weight']!;
      w.assign(tf.zerosLike(w));
      expect(range(t.apply({ feature: feature(5), condition: tf.ones([2, 1]) }).mask)).toEqual([0.5, 0.5]);
    });
    t.dispose();
  });

  it('the mask gain scales the mask logits before the tanh', () => {
    const params = { baseChannels: B, resBlocks: 1, attributes: [CELEBA.hair] };
    const plain = new Transformer(params, 6);
    const slow = new Transformer({ ...params, maskGain: 0.05 }, 6);
    tf.tidy(() => {
      const input = { feature: feature(9), condition: oneHotRows(2, 3) };
      // Same seed, same weights: recover the plain logits m from g′ = (1 + tanh m) / 2.
      const m = tf.atanh(tf.sub(tf.mul(plain.apply(input).mask, 2), 1));
      const expected = tf.div(tf.add(1, tf.tanh(tf.mul(m, 0.05))), 2);
      const got = slow.apply(input).mask;
      expect(tf.max(tf.abs(tf.sub(got, expected))).dataSync()[0]).toBeLessThan(1e-5);
      expect(tf.max(tf.abs(tf.sub(got, plain.apply(input).mask))).dataSync()[0]).toBeGreaterThan(1e-3);
    });
    [plain, slow].forEach((t) => t.dispose());
  });

  it('the condition changes the output', () =>
    tf.tidy(() => {
      const f = feature(6);
      const a = hair.apply({ feature: f, condition: oneHotRows(2, 3, 0) }).feature;
      const b = hair.apply({ feature: f, condition: oneHotRows(2, 3, 1) }).feature;
      expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeGreaterThan(1e-3);
    }));

  it('composes in every order, each transformer giving its own mask', () => {
    const conditions = new Map<Transformer, tf.Tensor2D>([
      [hair, oneHotRows(2, 3)],
      [male, tf.tensor2d([[1], [0]])],
      [smile, tf.tensor2d([[0], [1]])],
    ]);
    const orders = [
      [hair, male, smile], [hair, smile, male], [male, hair, smile],
      [male, smile, hair], [smile, hair, male], [smile, male, hair],
    ];
    const outputs: Float32Array[] = [];
    for (const order of orders)
      tf.tidy(() => {
        let f = feature(7);
        let sum = tf.zeros([2, 4, 4, 1]);
        for (const t of order) {
          const out = t.apply({ feature: f, condition: conditions.get(t)! });
          const [lo, hi] = range(out.mask);
          expect(lo).toBeGreaterThan(0);
          expect(hi).toBeLessThan(1);
          // Each mask is the one this transformer computes on the feature it was given.
          expect(out.mask.dataSync()).toEqual(t.apply({ feature: f, condition: conditions.get(t)! }).mask.dataSync());
          sum = tf.add(sum, out.mask);
          f = out.feature;
        }
        expect(f.shape).toEqual([2, 4, 4, 4 * B]);
        const [lo, hi] = range(sum);
        expect(lo).toBeGreaterThan(0);
        expect(hi).toBeLessThan(3);
        outputs.push(f.dataSync() as Float32Array);
      });
    // The order matters to the result (the paper's order ablation has something to measure).
    expect(outputs[0]).not.toEqual(outputs[5]);
    conditions.forEach((c) => c.dispose());
  });

  it('without a mask replaces the whole map and reports a mask of ones', () => {
    const t = new Transformer({ baseChannels: B, resBlocks: 1, attributes: [CELEBA.hair], useMask: false }, 5);
    expect(Object.keys(t.variables)).not.toContain('T.mask.weight');
    tf.tidy(() => {
      const f = feature(8);
      const { feature: out, mask } = t.apply({ feature: f, condition: oneHotRows(2, 3) });
      expect(range(mask)).toEqual([1, 1]);
      // f′ comes out of an instance-normalised residual stack, so it is not f.
      expect(tf.max(tf.abs(tf.sub(out, f))).dataSync()[0]).toBeGreaterThan(1e-2);
    });
    t.dispose();
  });

  it("f′ alone (unmasked) is what the mask blends: T with the mask off over the same weights", () => {
    const off = new Transformer({ baseChannels: B, resBlocks: 1, attributes: [CELEBA.hair], useMask: false }, 1);
    tf.tidy(() => {
      const f = feature(9);
      const c = oneHotRows(2, 3);
      const alone = hair.unmasked(f, c);
      expect(tf.max(tf.abs(tf.sub(alone, off.apply({ feature: f, condition: c }).feature))).dataSync()[0]).toBeLessThan(1e-6);
      const { feature: out, mask } = hair.apply({ feature: f, condition: c });
      expect(tf.max(tf.abs(tf.sub(out, maskedBlend(f, alone, mask)))).dataSync()[0]).toBeLessThan(1e-6);
    });
    off.dispose();
  });

  it('refuses a feature map or condition of the wrong size, naming the port', () => {
    expect(() => hair.apply({ feature: seededUniform([2, 4, 4, 8], 1) as tf.Tensor4D, condition: oneHotRows(2, 3) })).toThrow(
      "Transformer: input 'feature' has shape 2x4x4x8 but needs NxHxWx16 (4 × its base channels 4)",
    );
    expect(() => hair.apply({ feature: feature(1), condition: oneHotRows(2, 2) })).toThrow(/^Transformer: input 'condition' has shape 2x2 but needs 2x3/);
  });
});
