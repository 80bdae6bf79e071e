// Image metrics and the Fréchet distance on inputs whose answers are known in closed form.
import { describe, expect, it } from 'vitest';
import { featureFrechet, frechetDistance, gaussianFit, matMul, sqrtPsd, symmetricEigen } from '../../../core/eval/frechet';
import { PSNR_CAP, l1Distance, psnr, ssim } from '../../../core/eval/image-metrics';

const image = (size: number, f: (i: number) => number) => Float32Array.from({ length: size * size * 3 }, (_, i) => f(i));

describe('pixel metrics', () => {
  it('L1 and PSNR on the [0, 1] scale', () => {
    const a = image(4, () => -1);
    const b = image(4, () => 0); // 0.5 on the unit scale
    expect(l1Distance(a, b)).toBeCloseTo(0.5, 12);
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10(1 / 0.25), 10);
    expect(psnr(a, a)).toBe(PSNR_CAP);
  });

  it('SSIM is 1 for equal images, lower for noise, and matches the formula on constant images', () => {
    const a = image(16, (i) => Math.sin(i * 0.37));
    expect(ssim(a, a, 16)).toBeCloseTo(1, 10);
    const noisy = a.map((v, i) => v + 0.5 * Math.sin(i * 12.9898));
    expect(ssim(a, noisy, 16)).toBeLessThan(0.9);
    // Constant images μa = 0.25, μb = 0.75, no variance: (2μaμb + C1)/(μa² + μb² + C1).
    const c1 = 1e-4;
    const expected = (2 * 0.25 * 0.75 + c1) / (0.25 ** 2 + 0.75 ** 2 + c1);
    expect(ssim(image(8, () => -0.5), image(8, () => 0.5), 8)).toBeCloseTo(expected, 10);
  });
});

describe('Fréchet distance', () => {
  it('eigen-decomposes a symmetric matrix', () => {
    const a = { n: 3, data: Float64Array.from([4, 1, 0, 1, 3, 1, 0, 1, 2]) };
    const { values, vectors } = symmetricEigen(a);
    // A v = λ v for every column.
    for (let k = 0; k < 3; k++)
      for (let i = 0; i < 3; i++) {
        let av = 0;
        for (let j = 0; j < 3; j++) av += a.data[i * 3 + j]! * vectors.data[j * 3 + k]!;
        expect(av).toBeCloseTo(values[k]! * vectors.data[i * 3 + k]!, 9);
      }
    expect([...values].reduce((s, v) => s + v, 0)).toBeCloseTo(9, 9);
  });

  it('squares back to the matrix', () => {
    const a = { n: 3, data: Float64Array.from([4, 1, 0, 1, 3, 1, 0, 1, 2]) };
    const r = sqrtPsd(a);
    const back = matMul(r, r);
    back.data.forEach((v, i) => expect(v).toBeCloseTo(a.data[i]!, 9));
    expect(sqrtPsd({ n: 2, data: Float64Array.from([9, 0, 0, 0]) }).data[0]).toBeCloseTo(3, 12);
  });

  it('matches the closed form for diagonal Gaussians', () => {
    // d² = |μ1 − μ2|² + Σ (√a − √b)² for diagonal covariances a, b.
    const s1 = { n: 2, data: Float64Array.from([4, 0, 0, 1]) };
    const s2 = { n: 2, data: Float64Array.from([1, 0, 0, 9]) };
    const d = frechetDistance(Float64Array.from([0, 0]), s1, Float64Array.from([3, 4]), s2);
    expect(d).toBeCloseTo(25 + (2 - 1) ** 2 + (1 - 3) ** 2, 9);
    expect(frechetDistance(Float64Array.from([1, 2]), s1, Float64Array.from([1, 2]), s1)).toBeCloseTo(0, 9);
  });

  it('is zero between a feature set and itself, positive after a shift', () => {
    const rows = Array.from({ length: 50 }, (_, i) => Float32Array.from([Math.sin(i), Math.cos(i * 1.3), (i % 7) / 7]));
    expect(featureFrechet(rows, rows)).toBeLessThan(1e-9);
    const shifted = rows.map((r) => r.map((v) => v + 1));
    expect(featureFrechet(rows, shifted)).toBeCloseTo(3, 6);
    expect(gaussianFit(rows).cov.n).toBe(3);
  });
});
