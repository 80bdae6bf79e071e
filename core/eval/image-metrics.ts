// Pixel metrics between a translation and its exact counterfactual (synthetic faces). All
// work on HxWx3 images given in [-1, 1] and measure them on the [0, 1] scale, so the numbers
// read like the usual ones: L1 = mean |a − b|, PSNR = 10·log10(1 / MSE) (capped at 100 dB for
// identical images, to stay finite), SSIM = the mean over every 8×8 window (stride 1) and
// channel of ((2μaμb + C1)(2σab + C2)) / ((μa² + μb² + C1)(σa² + σb² + C2)), population
// (co)variances, C1 = 0.01², C2 = 0.03² (Wang et al. 2004 with a uniform window).

export const PSNR_CAP = 100;
export const SSIM_WINDOW = 8;

const unit = (v: number) => (v + 1) / 2;

function check(a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length) throw new Error(`images differ in size: ${a.length} and ${b.length} values`);
}

export function l1Distance(a: Float32Array, b: Float32Array): number {
  check(a, b);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(unit(a[i]!) - unit(b[i]!));
  return s / a.length;
}

export function psnr(a: Float32Array, b: Float32Array): number {
  check(a, b);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (unit(a[i]!) - unit(b[i]!)) ** 2;
  const mse = s / a.length;
  return mse === 0 ? PSNR_CAP : Math.min(PSNR_CAP, 10 * Math.log10(1 / mse));
}

/** SSIM of two size×size×3 images; windows are clipped to the image when it is smaller than 8. */
export function ssim(a: Float32Array, b: Float32Array, size: number): number {
  check(a, b);
  if (a.length !== size * size * 3) throw new Error(`expected ${size}×${size}×3 values, got ${a.length}`);
  const c1 = 0.01 ** 2;
  const c2 = 0.03 ** 2;
  const win = Math.min(SSIM_WINDOW, size);
  const n = win * win;
  let total = 0;
  let count = 0;
  for (let c = 0; c < 3; c++)
    for (let y = 0; y + win <= size; y++)
      for (let x = 0; x + win <= size; x++) {
        let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        for (let dy = 0; dy < win; dy++)
          for (let dx = 0; dx < win; dx++) {
            const i = ((y + dy) * size + (x + dx)) * 3 + c;
            const va = unit(a[i]!);
            const vb = unit(b[i]!);
            sa += va; sb += vb; saa += va * va; sbb += vb * vb; sab += va * vb;
          }
        const ma = sa / n, mb = sb / n;
        const va = saa / n - ma * ma, vb = sbb / n - mb * mb, cov = sab / n - ma * mb;
        total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
        count++;
      }
  return total / count;
}
