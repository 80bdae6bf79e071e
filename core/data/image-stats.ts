// What the images a module was trained on look like, in a few numbers, so a run can tell
// when it is fed images unlike them (a digit given to a face model) and say so instead of
// showing noise without comment. Per image: the mean colour of each cell of a 4 × 4 grid
// (colours and where they are: a face in the middle, a digit's stroke on a plain ground) and
// how much it changes from pixel to pixel (edges). Over a training set: the mean and spread
// of each, and how far its own images stray. Cheap enough for every batch a run reads.
// Measured on this project's sets (100 held-out items each): synthetic faces against the
// faces' statistics score 0.9 typically and at most 1.9; ColorMNIST digits 4.3 typically,
// a few as low as 2.2. A run warns when a quarter of its inputs lie beyond the limit.

const GRID = 4;
/** 4 × 4 cells × RGB, then edges. */
export const FEATURE_COUNT = GRID * GRID * 3 + 1;

/** The features of a set of images: their mean and standard deviation, and the score above which an image is unlike them. */
export interface ImageStats {
  readonly count: number;
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly limit: number;
}

/** The features of one square RGB image (HWC, values in [-1, 1]) starting at `offset`. */
export function imageFeatures(data: Float32Array, size: number, offset = 0): number[] {
  const out = new Array<number>(FEATURE_COUNT).fill(0);
  const counts = new Array<number>(GRID * GRID).fill(0);
  let edges = 0;
  for (let y = 0; y < size; y++) {
    const gy = Math.min(GRID - 1, Math.floor((y * GRID) / size));
    for (let x = 0; x < size; x++) {
      const cell = gy * GRID + Math.min(GRID - 1, Math.floor((x * GRID) / size));
      counts[cell]!++;
      const i = offset + (y * size + x) * 3;
      for (let c = 0; c < 3; c++) {
        const v = data[i + c]!;
        out[cell * 3 + c]! += v;
        if (x + 1 < size) edges += Math.abs(data[i + 3 + c]! - v);
      }
    }
  }
  for (let cell = 0; cell < GRID * GRID; cell++) for (let c = 0; c < 3; c++) out[cell * 3 + c]! /= Math.max(1, counts[cell]!);
  out[FEATURE_COUNT - 1] = edges / Math.max(1, size * (size - 1) * 3);
  return out;
}

/**
 * How far an image lies from a set: the root mean square, over the features, of its distance
 * from the set's mean in the set's standard deviations (floored, so a feature that barely
 * varied does not make every new image an outlier). About 1 for an image like the set.
 */
export function distanceFrom(stats: Pick<ImageStats, 'mean' | 'std'>, features: readonly number[]): number {
  let sum = 0;
  for (let j = 0; j < FEATURE_COUNT; j++) sum += ((features[j]! - stats.mean[j]!) / Math.max(stats.std[j]!, 0.05)) ** 2;
  return Math.sqrt(sum / FEATURE_COUNT);
}

/** Statistics of a set of images' features; the limit is 15% above the farthest of them, and at least 2. */
export function imageStats(features: readonly (readonly number[])[]): ImageStats {
  const count = features.length;
  const mean = Array.from({ length: FEATURE_COUNT }, (_, j) => features.reduce((s, f) => s + f[j]!, 0) / Math.max(1, count));
  const std = Array.from({ length: FEATURE_COUNT }, (_, j) => Math.sqrt(features.reduce((s, f) => s + (f[j]! - mean[j]!) ** 2, 0) / Math.max(1, count)));
  const farthest = Math.max(0, ...features.map((f) => distanceFrom({ mean, std }, f)));
  return { count, mean, std, limit: Math.max(2, 1.15 * farthest) };
}

/** Checks a value read from a file (a weights header's metadata) is image statistics. */
export function asImageStats(v: unknown): ImageStats | undefined {
  const s = v as ImageStats | null;
  const ok = (a: unknown) => Array.isArray(a) && a.length === FEATURE_COUNT && a.every((x) => typeof x === 'number' && Number.isFinite(x));
  return s && typeof s === 'object' && typeof s.count === 'number' && s.count > 0 && typeof s.limit === 'number' && ok(s.mean) && ok(s.std) ? s : undefined;
}
