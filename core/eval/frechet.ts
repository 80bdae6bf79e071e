// The Fréchet distance between Gaussian fits of two feature sets (the formula of FID):
//   d² = |μ1 − μ2|² + tr(Σ1) + tr(Σ2) − 2·tr((Σ1^½ Σ2 Σ1^½)^½).
// tr((Σ1^½ Σ2 Σ1^½)^½) equals tr((Σ1 Σ2)^½), but the left form is a symmetric PSD matrix, so
// both square roots come from a symmetric eigen-decomposition (cyclic Jacobi) with the
// eigenvalues that rounding makes slightly negative clipped to 0.

/** Row-major square matrix. */
export interface Matrix {
  readonly n: number;
  readonly data: Float64Array;
}

/** Mean and unbiased covariance of `rows` (each a feature vector of length d). */
export function gaussianFit(rows: readonly Float32Array[] | readonly number[][]): { mean: Float64Array; cov: Matrix } {
  const m = rows.length;
  if (m < 2) throw new Error(`a Gaussian fit needs at least 2 feature vectors, got ${m}`);
  const d = rows[0]!.length;
  const mean = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j]! += r[j]! / m;
  const cov = new Float64Array(d * d);
  const centred = new Float64Array(d);
  for (const r of rows) {
    for (let j = 0; j < d; j++) centred[j] = r[j]! - mean[j]!;
    for (let i = 0; i < d; i++) {
      const ci = centred[i]!;
      for (let j = i; j < d; j++) cov[i * d + j]! += ci * centred[j]!;
    }
  }
  for (let i = 0; i < d; i++)
    for (let j = i; j < d; j++) {
      const v = cov[i * d + j]! / (m - 1);
      cov[i * d + j] = v;
      cov[j * d + i] = v;
    }
  return { mean, cov: { n: d, data: cov } };
}

/** Eigenvalues and eigenvectors (columns of `vectors`) of a symmetric matrix, by cyclic Jacobi rotations. */
export function symmetricEigen(a: Matrix, maxSweeps = 100): { values: Float64Array; vectors: Matrix } {
  const n = a.n;
  const m = Float64Array.from(a.data);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (const x of m) scale += x * x;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
    if (off <= 1e-24 * Math.max(scale, 1e-300)) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (apq === 0) continue;
        const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p]!, mkq = m[k * n + q]!;
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k]!, mqk = m[q * n + k]!;
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!, vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = m[i * n + i]!;
  return { values, vectors: { n, data: v } };
}

/** The PSD square root of a symmetric positive semi-definite matrix. */
export function sqrtPsd(a: Matrix): Matrix {
  const { values, vectors } = symmetricEigen(a);
  const n = a.n;
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const r = Math.sqrt(Math.max(0, values[k]!));
    if (r === 0) continue;
    for (let i = 0; i < n; i++) {
      const vik = vectors.data[i * n + k]! * r;
      for (let j = 0; j < n; j++) out[i * n + j]! += vik * vectors.data[j * n + k]!;
    }
  }
  return { n, data: out };
}

export function matMul(a: Matrix, b: Matrix): Matrix {
  const n = a.n;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const aik = a.data[i * n + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += aik * b.data[k * n + j]!;
    }
  return { n, data: out };
}

const trace = (a: Matrix) => {
  let t = 0;
  for (let i = 0; i < a.n; i++) t += a.data[i * a.n + i]!;
  return t;
};

/** Symmetrises away rounding so the eigen-solver sees an exactly symmetric matrix. */
const symmetrised = (a: Matrix): Matrix => {
  const n = a.n;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = (a.data[i * n + j]! + a.data[j * n + i]!) / 2;
  return { n, data: out };
};

export function frechetDistance(m1: Float64Array, s1: Matrix, m2: Float64Array, s2: Matrix): number {
  let d = 0;
  for (let i = 0; i < m1.length; i++) d += (m1[i]! - m2[i]!) ** 2;
  const r1 = sqrtPsd(s1);
  const cross = sqrtPsd(symmetrised(matMul(matMul(r1, s2), r1)));
  return Math.max(0, d + trace(s1) + trace(s2) - 2 * trace(cross));
}

/** FID-style distance between two sets of feature vectors. */
export function featureFrechet(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  const fa = gaussianFit(a);
  const fb = gaussianFit(b);
  return frechetDistance(fa.mean, fa.cov, fb.mean, fb.cov);
}
