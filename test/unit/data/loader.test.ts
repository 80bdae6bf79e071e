import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../../core/data/dataset';
import { ImageFileError } from '../../../core/data/images';
import { BatchLoader, seededPermutation } from '../../../core/data/loader';

/** Item i is a 2×2 image filled with i, labelled i; item 3 cannot be read. */
function numbers(n: number, flip = false): Dataset & { loads: number } {
  const ds = {
    title: 'numbers',
    imageSize: 2,
    groups: [{ name: 'x', kind: 'binary' as const }],
    train: Array.from({ length: n }, (_, i) => i),
    test: [],
    flip,
    notes: [],
    loads: 0,
    async load(i: number) {
      ds.loads++;
      if (i === 3) throw new ImageFileError(`item-${i}.png`, 'cannot decode it');
      const image = new Float32Array(12).fill(i);
      if (flip) image[0] = -1;
      return { image, labels: Float32Array.of(i) };
    },
  };
  return ds;
}

describe('batch loader', () => {
  it('batch k is a function of (seed, k) only, whatever order batches are asked for', async () => {
    const a = new BatchLoader(numbers(10), { batchSize: 3, seed: 5 });
    const b = new BatchLoader(numbers(10), { batchSize: 3, seed: 5, ahead: 0 });
    const fromA = [];
    for (let k = 0; k < 8; k++) fromA.push(Array.from((await a.get(k)).labels));
    expect(Array.from((await b.get(6)).labels)).toEqual(fromA[6]);
    expect(Array.from((await b.get(2)).labels)).toEqual(fromA[2]);
    const c = new BatchLoader(numbers(10), { batchSize: 3, seed: 6 });
    expect(Array.from((await c.get(0)).labels)).not.toEqual(fromA[0]);
  });

  it('visits every item once per epoch, skipping and reporting one that fails', async () => {
    const skipped: string[] = [];
    const loader = new BatchLoader(numbers(9), { batchSize: 3, seed: 1, onSkip: (m) => skipped.push(m) });
    const seen: number[] = [];
    for (let k = 0; k < 3; k++) seen.push(...(await loader.get(k)).labels);
    expect(skipped).toEqual(['skipped item-3.png: cannot decode it']);
    expect(seen).not.toContain(3);
    expect(new Set(seen).size).toBeGreaterThanOrEqual(7);
  });

  it('loads ahead of the trainer', async () => {
    const ds = numbers(50);
    const loader = new BatchLoader(ds, { batchSize: 2, seed: 1, ahead: 3 });
    await loader.get(0);
    await new Promise((r) => setTimeout(r, 10));
    expect(ds.loads).toBe(8);
  });

  it('flips some images of a flippable set, reproducibly', async () => {
    const get = async () => Array.from((await new BatchLoader(numbers(10, true), { batchSize: 8, seed: 2 }).get(0)).images);
    const a = await get();
    expect(await get()).toEqual(a);
    // A flipped 2×2 image moves the marked pixel from column 0 to column 1.
    const flipped = Array.from({ length: 8 }, (_, j) => a[j * 12 + 3] === -1).filter(Boolean).length;
    expect(flipped).toBeGreaterThan(0);
    expect(flipped).toBeLessThan(8);
  });

  it('permutations are seeded shuffles', () => {
    const p = seededPermutation(100, 'x');
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(seededPermutation(100, 'x')).toEqual(p);
  });
});
