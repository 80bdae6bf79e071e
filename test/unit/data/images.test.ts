import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageFileError, encodePng, listImages, readImage, resolveImageSource } from '../../../core/data/images';
import { encodeCondition } from '../../../core/graph/conditions';
import { CELEBA } from '../../../core/graph/attributes';
import { gaussian } from '../../../core/runtime/noise';

const dir = mkdtempSync(join(tmpdir(), 'mg-img-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 60×40 image: left third red, middle third green, right third blue. */
async function stripes(file: string) {
  const w = 60;
  const h = 40;
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) px[(y * w + x) * 3 + Math.floor((x * 3) / w)] = 255;
  await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);
}

describe('image files', () => {
  it('are centre-cropped to a square, resized, and scaled to [-1, 1]', async () => {
    const f = join(dir, 'stripes.png');
    await stripes(f);
    const img = await readImage(f, 8);
    expect(img.data.length).toBe(8 * 8 * 3);
    const px = (x: number, y: number) => Array.from(img.data.slice((y * 8 + x) * 3, (y * 8 + x) * 3 + 3)).map((v) => Math.round(v));
    // The crop keeps the middle 40×40: a red band is cut to the left edge, green fills the centre.
    expect(px(4, 4)).toEqual([-1, 1, -1]);
    expect(px(0, 4)[0]).toBe(1);
    expect(px(7, 4)[2]).toBe(1);
  });

  it('round-trip through PNG within one grey level', async () => {
    const data = new Float32Array(4 * 4 * 3).map((_, i) => (i / 47) * 2 - 1);
    const f = join(dir, 'rt.png');
    writeFileSync(f, await encodePng(data, 4, 4, 3));
    const back = await readImage(f, 4);
    for (let i = 0; i < data.length; i++) expect(Math.abs(back.data[i]! - data[i]!)).toBeLessThan(1 / 127.5 + 1e-6);
  });

  it('that are corrupt or not images are reported with the file name', async () => {
    const bad = join(dir, 'bad.png');
    writeFileSync(bad, Buffer.from('\x89PNG\r\n\x1a\n garbage'));
    await expect(readImage(bad, 8)).rejects.toThrow(ImageFileError);
    await expect(readImage(bad, 8)).rejects.toThrow(/bad\.png: cannot decode it as an image/);
    const tiny = join(dir, 'tiny.png');
    await sharp(Buffer.alloc(3), { raw: { width: 1, height: 1, channels: 3 } }).png().toFile(tiny);
    await expect(readImage(tiny, 8)).rejects.toThrow(/tiny\.png: is too small \(1×1; needs at least 2 pixels/);
  });

  it('are listed from a folder in name order, optionally recursively', async () => {
    const d = join(dir, 'set');
    mkdirSync(join(d, 'sub'), { recursive: true });
    for (const n of ['b.png', 'a.JPG', 'notes.txt', 'sub/c.webp']) writeFileSync(join(d, n), '');
    expect((await listImages(d)).map((f) => f.slice(d.length + 1))).toEqual(['a.JPG', 'b.png']);
    expect((await listImages(d, true)).map((f) => f.slice(d.length + 1))).toEqual(['a.JPG', 'b.png', 'sub/c.webp']);
    await expect(resolveImageSource(join(d, 'sub', 'none'))).rejects.toThrow(/does not exist/);
    mkdirSync(join(d, 'empty'));
    await expect(resolveImageSource(join(d, 'empty'))).rejects.toThrow(/holds no images/);
  });
});

describe('conditions and noise', () => {
  it('encode attribute values one-hot and binary, in group order', () => {
    expect(encodeCondition([CELEBA.hair, CELEBA.smiling], { hair: 'blond', smiling: '1' })).toEqual([0, 1, 0, 1]);
    expect(() => encodeCondition([CELEBA.hair], { hair: 'green' })).toThrow("'green' is not a value of 'hair' (black, blond, brown)");
  });

  it('draw the same noise for the same seed, standard normal in distribution', () => {
    expect(gaussian(3, 5)).toEqual(gaussian(3, 5));
    expect(gaussian(3, 5)).not.toEqual(gaussian(4, 5));
    const z = gaussian('big', 20000);
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});
