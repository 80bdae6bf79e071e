import { describe, expect, it } from 'vitest';
import { syntheticFaces } from '../../../core/data/synthetic-faces';
import { encodeCondition } from '../../../core/graph/conditions';

describe('synthetic faces', () => {
  const ds = syntheticFaces({ imageSize: 32, seed: 4, count: 100 });

  it('renders deterministically with labels that match the attributes', async () => {
    const a = await ds.load(5);
    expect((await ds.load(5)).image).toEqual(a.image);
    const at = ds.attributesOf(5);
    expect(Array.from(a.labels)).toEqual(encodeCondition(ds.groups, { hair: at.hair, smiling: at.smiling ? '1' : '0', glasses: at.glasses ? '1' : '0' }));
    expect(ds.train.length + ds.test.length).toBe(100);
  });

  it('gives the exact counterfactual: same identity, other attributes', async () => {
    const at = ds.attributesOf(3);
    const same = await ds.counterfactual(3, {});
    expect(same).toEqual((await ds.load(3)).image);
    const hair = at.hair === 'blond' ? 'black' : 'blond';
    const changed = await ds.counterfactual(3, { hair });
    const diff = (x: Float32Array, y: Float32Array) => x.reduce((n, v, i) => n + (Math.abs(v - y[i]!) > 0.05 ? 1 : 0), 0) / 3;
    const d = diff(same, changed);
    // Only the hair changes: some pixels, far from all.
    expect(d).toBeGreaterThan(20);
    expect(d).toBeLessThan(32 * 32 * 0.6);
    const glasses = await ds.counterfactual(3, { glasses: !at.glasses });
    expect(diff(same, glasses)).toBeGreaterThan(5);
  });

  it('varies identities', () => {
    const ids = new Set(Array.from({ length: 20 }, (_, i) => JSON.stringify(ds.identityOf(i))));
    expect(ids.size).toBe(20);
  });
});
