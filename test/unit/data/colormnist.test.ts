import { describe, expect, it } from 'vitest';
import { colorMnist, renderColorMnist } from '../../../core/data/colormnist';
import { COLOR_MNIST } from '../../../core/graph/attributes';
import { encodeCondition } from '../../../core/graph/conditions';

describe('ColorMNIST', () => {
  const ds = colorMnist({ imageSize: 32, seed: 1 });

  it('uses all 10,000 real digits with a fixed, disjoint split', () => {
    expect(ds.train.length + ds.test.length).toBe(10_000);
    expect(new Set([...ds.train, ...ds.test]).size).toBe(10_000);
    expect(colorMnist({ imageSize: 16, seed: 9 }).test).toEqual(ds.test);
    expect(ds.test.length).toBeGreaterThan(1400);
  });

  it('is deterministic from the seed, and labels match the attributes', async () => {
    const a = await ds.load(1234);
    const b = await colorMnist({ imageSize: 32, seed: 1 }).load(1234);
    expect(b.image).toEqual(a.image);
    expect(Array.from(a.labels)).toEqual(encodeCondition(ds.groups, { ...ds.attributesOf(1234) }));
    const other = colorMnist({ imageSize: 32, seed: 2 });
    const differ = Array.from({ length: 20 }, (_, i) => JSON.stringify(other.attributesOf(i)) !== JSON.stringify(ds.attributesOf(i)));
    expect(differ.some(Boolean)).toBe(true);
  });

  it('draws every attribute value', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) for (const [k, v] of Object.entries(ds.attributesOf(i))) seen.add(`${k}=${v}`);
    for (const g of [COLOR_MNIST.color, COLOR_MNIST.style, COLOR_MNIST.background])
      for (const v of g.kind === 'onehot' ? g.values : []) expect(seen).toContain(`${g.name}=${v}`);
  });

  it('paints the background colour at the corners and the digit colour on the stroke', () => {
    const img = renderColorMnist(3, 0, { digit: '3', color: 'red', style: 'flat', background: 'yellow' }, 28);
    const px = (i: number) => Array.from(img.slice(i * 3, i * 3 + 3)).map((v) => Math.round((v + 1) * 127.5));
    expect(px(0)).toEqual([250, 240, 110]);
    // Some pixel is (nearly) the pure digit colour.
    expect(Array.from({ length: 28 * 28 }, (_, i) => px(i)).some(([r, g, b]) => r! > 200 && g! < 60 && b! < 60)).toBe(true);
  });

  it('stroke style outlines the digit: its centre shows the background', () => {
    const a = { digit: '1', color: 'blue', style: 'flat', background: 'white' };
    const flat = renderColorMnist(1, 0, a, 28);
    const stroke = renderColorMnist(1, 0, { ...a, style: 'stroke' }, 28);
    const whiteInStroke = Array.from({ length: 28 * 28 }, (_, i) => flat[i * 3]! < 0 && stroke[i * 3]! > 0.9).filter(Boolean).length;
    expect(whiteInStroke).toBeGreaterThan(5);
  });

  it('renders at any size in [-1, 1]', async () => {
    for (const size of [16, 20, 64]) {
      const s = await colorMnist({ imageSize: size }).load(7);
      expect(s.image.length).toBe(size * size * 3);
      expect(Math.min(...s.image)).toBeGreaterThanOrEqual(-1);
      expect(Math.max(...s.image)).toBeLessThanOrEqual(1);
    }
  });

  it('takes a subset of the attributes and refuses unknown ones', () => {
    const sub = colorMnist({ imageSize: 16, groups: [COLOR_MNIST.background] });
    expect(sub.groups).toHaveLength(1);
    expect(() => colorMnist({ imageSize: 16, groups: [{ name: 'size', kind: 'binary' }] })).toThrow(/ColorMNIST has no attribute 'size'/);
  });
});
