// Smoothing for the loss curves: an exponential moving average that skips missing points
// (G terms exist only on G iterations) and is debiased at the start, as TensorBoard does,
// so the first points are not pulled towards zero.

export function smooth(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return [...values];
  let avg = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    avg = avg * weight + (1 - weight) * v;
    n++;
    return avg / (1 - weight ** n);
  });
}
