import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyAugment, augment, drawAugment } from '../../../core/train/augment';
import { useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

const n = 3;
const size = 16;
/** Images whose every pixel differs, so a moved or blanked pixel shows. */
const ramp = () => tf.tensor4d(Float32Array.from({ length: n * size * size * 3 }, (_, i) => Math.sin(i * 0.37) * 0.9), [n, size, size, 3]);
const pixel = (a: Float32Array, i: number, y: number, x: number, c: number) => a[((i * size + y) * size + x) * 3 + c]!;

describe('differentiable augmentation', () => {
  it('draws from its key alone', () => {
    const a = drawAugment(['color', 'translation', 'cutout'], n, size, 'seed:1');
    expect(drawAugment(['color', 'translation', 'cutout'], n, size, 'seed:1')).toEqual(a);
    expect(drawAugment(['color', 'translation', 'cutout'], n, size, 'seed:2').brightness).not.toEqual(a.brightness);
    // Turning a policy off leaves the others' draws as they were.
    expect(drawAugment(['translation'], n, size, 'seed:1').shiftX).toEqual(a.shiftX);
    for (const s of [...a.shiftX, ...a.shiftY]) expect(Math.abs(s)).toBeLessThanOrEqual(size / 8);
  });

  it('translation moves every pixel by the drawn offset and lets zeros in', () => {
    const d = drawAugment(['translation'], n, size, 'move');
    const x = ramp();
    const src = x.dataSync() as Float32Array;
    const out = applyAugment(x, d).dataSync() as Float32Array;
    for (let i = 0; i < n; i++)
      for (let y = 0; y < size; y++)
        for (let q = 0; q < size; q++) {
          const sy = y - d.shiftY[i]!;
          const sx = q - d.shiftX[i]!;
          const inside = sy >= 0 && sy < size && sx >= 0 && sx < size;
          expect(pixel(out, i, y, q, 1)).toBeCloseTo(inside ? pixel(src, i, sy, sx, 1) : 0, 6);
        }
  });

  it('cutout blanks one square of half the side, clipped at the edges, and nothing else', () => {
    const d = drawAugment(['cutout'], n, size, 'cut');
    const x = ramp();
    const src = x.dataSync() as Float32Array;
    const out = applyAugment(x, d).dataSync() as Float32Array;
    for (let i = 0; i < n; i++) {
      let blank = 0;
      for (let y = 0; y < size; y++)
        for (let q = 0; q < size; q++) {
          const inSquare = y >= d.cutY[i]! && y < d.cutY[i]! + size / 2 && q >= d.cutX[i]! && q < d.cutX[i]! + size / 2;
          expect(pixel(out, i, y, q, 2)).toBeCloseTo(inSquare ? 0 : pixel(src, i, y, q, 2), 6);
          if (inSquare) blank++;
        }
      expect(blank).toBeGreaterThan(0);
      expect(blank).toBeLessThanOrEqual((size / 2) ** 2);
    }
  });

  it('colour shifts brightness, then scales saturation and contrast per image', () => {
    const d = drawAugment(['color'], n, size, 'colour');
    const x = ramp();
    const src = x.dataSync() as Float32Array;
    const out = applyAugment(x, d).dataSync() as Float32Array;
    for (let i = 0; i < n; i++) {
      // The same three steps, written out in plain arithmetic.
      const img = Array.from({ length: size * size }, (_, p) => [0, 1, 2].map((c) => src[(i * size * size + p) * 3 + c]! + d.brightness[i]!));
      const sat = img.map((px) => {
        const g = (px[0]! + px[1]! + px[2]!) / 3;
        return px.map((v) => (v - g) * d.saturation[i]! + g);
      });
      const mean = sat.flat().reduce((a, b) => a + b, 0) / (size * size * 3);
      sat.forEach((px, p) => px.forEach((v, c) => expect(out[(i * size * size + p) * 3 + c]!).toBeCloseTo((v - mean) * d.contrast[i]! + mean, 5)));
    }
  });

  it('passes gradients through: the gradient matches finite differences', () => {
    const kinds = ['color', 'translation', 'cutout'] as const;
    const x = ramp();
    const w = tf.tensor4d(Float32Array.from({ length: n * size * size * 3 }, (_, i) => Math.cos(i * 0.11)), x.shape);
    const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.square(augment(t as tf.Tensor4D, kinds, 'grad')), w));
    const g = tf.grad(f)(x).dataSync();
    const base = x.dataSync() as Float32Array;
    const h = 1e-2;
    let checked = 0;
    for (const idx of [5, 100, 387, 700, 1501, 2000]) {
      const plus = Float32Array.from(base);
      const minus = Float32Array.from(base);
      plus[idx]! += h;
      minus[idx]! -= h;
      const fd = (f(tf.tensor4d(plus, x.shape)).dataSync()[0]! - f(tf.tensor4d(minus, x.shape)).dataSync()[0]!) / (2 * h);
      expect(g[idx]!).toBeCloseTo(fd, 1);
      if (Math.abs(g[idx]!) > 1e-3) checked++;
    }
    // Some of the probed pixels must carry a gradient (not all blanked or moved out).
    expect(checked).toBeGreaterThan(0);
  });

  it('is the identity with no policy', () => {
    const x = ramp();
    expect(augment(x, [], 'none')).toBe(x);
  });
});
