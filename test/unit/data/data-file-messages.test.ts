// Dataset and image files refused with the file at fault and a reason a user can act on: a
// CSV with only its header is the CSV's fault (not the folder's), a CelebA list without
// images is the list's, and a truncated JPEG says so in every decode path — also when many
// decodes run at once, where libvips loses its own message and sharp says "Unknown error".
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCeleba, readCelebaImage } from '../../../core/data/celeba';
import { DatasetFileError } from '../../../core/data/dataset';
import { openImageFolder } from '../../../core/data/image-folder';
import { ImageFileError, readImage } from '../../../core/data/images';
import { CELEBA } from '../../../core/graph/attributes';
import { initBackend } from '../../../core/runtime/backends';
import { runGraph } from '../../../core/runtime/executor';
import { tinyProject } from '../../helpers/projects';

const dir = mkdtempSync(join(tmpdir(), 'mg-data-messages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const groups = [CELEBA.hair, CELEBA.smiling];

describe('a dataset list with no rows names the list', () => {
  it.each([
    ['a header line', 'file,hair,smiling\n'],
    ['a header without a line end', 'file,hair,smiling'],
    ['a header and blank lines', '\uFEFFfile,hair,smiling\r\n\r\n\r\n'],
  ])('image-folder CSV with only %s', async (_what, text) => {
    const root = join(dir, 'folder');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'a.png'), await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).png().toBuffer());
    const csv = join(root, 'attributes.csv');
    writeFileSync(csv, text);
    const r = openImageFolder({ root, csv, imageSize: 8, groups });
    await expect(r).rejects.toThrow(DatasetFileError);
    await expect(r).rejects.toThrow(`${csv}:1: has a header but no rows: list one image per line after it (file name, then its attributes)`);
  });

  it('CelebA attribute list that lists no images', async () => {
    const root = join(dir, 'celeba');
    mkdirSync(join(root, 'img_align_celeba'), { recursive: true });
    writeFileSync(join(root, 'list_attr_celeba.txt'), '0\nBlack_Hair Blond_Hair Brown_Hair Male Smiling\n');
    await expect(openCeleba({ root, imageSize: 8 })).rejects.toThrow(`${join(root, 'list_attr_celeba.txt')}:1: lists no images`);
  });

  it('CelebA partition that leaves nothing to train or test on', async () => {
    const root = join(dir, 'celeba-val');
    mkdirSync(join(root, 'img_align_celeba'), { recursive: true });
    writeFileSync(join(root, 'list_attr_celeba.txt'), '2\nBlack_Hair Blond_Hair Brown_Hair Male Smiling\na.jpg 1 -1 -1 1 1\nb.jpg -1 1 -1 1 -1\n');
    writeFileSync(join(root, 'list_eval_partition.txt'), 'a.jpg 1\nb.jpg 1\n');
    await expect(openCeleba({ root, imageSize: 8 })).rejects.toThrow(`${join(root, 'list_eval_partition.txt')}: puts all 2 images in the validation set (1): none is left for training (0) or testing (2)`);
  });
});

describe('images that do not decode say why', () => {
  const files: { file: string; kind: string }[] = [];
  beforeAll(async () => {
    const w = 178;
    const h = 218;
    const rgb = Buffer.alloc(w * h * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 37) % 251;
    const jpg = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
    const png = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
    const input = join(dir, 'in');
    mkdirSync(input, { recursive: true });
    // Cut at many points, so decodes fail at different depths; good files between them keep libvips busy.
    for (let i = 0; i < 24; i++) {
      const cut = (k: Buffer) => k.subarray(0, Math.floor(k.length * (0.05 + (0.9 * i) / 24)));
      files.push({ file: join(input, `cut-${i}.jpg`), kind: 'JPEG' }, { file: join(input, `cut-${i}.png`), kind: 'PNG' }, { file: join(input, `good-${i}.jpg`), kind: 'good' });
      writeFileSync(join(input, `cut-${i}.jpg`), cut(jpg));
      writeFileSync(join(input, `cut-${i}.png`), cut(png));
      writeFileSync(join(input, `good-${i}.jpg`), jpg);
    }
    files.push({ file: join(input, 'empty.jpg'), kind: 'empty' }, { file: join(input, 'text.png'), kind: 'text' });
    writeFileSync(join(input, 'empty.jpg'), '');
    writeFileSync(join(input, 'text.png'), 'hello, not an image');
  });

  const expected = (kind: string) =>
    ({
      JPEG: /^cannot decode it as an image: truncated JPEG \(it ends before its end-of-image marker, \d+ bytes in\)/,
      PNG: /^cannot decode it as an image: truncated PNG \(it ends before its IEND chunk, \d+ bytes in\)/,
      empty: /^cannot decode it as an image: the file is empty$/,
      text: /^cannot decode it as an image: it is not a PNG, JPEG, WebP, GIF, BMP or TIFF file/,
    })[kind]!;

  it('readImage and the CelebA reader, many at once: every failure names the file and a real reason', async () => {
    for (let round = 0; round < 3; round++) {
      const results = await Promise.allSettled(files.flatMap(({ file }) => [readImage(file, 32), readCelebaImage(file, 32)]));
      results.forEach((r, i) => {
        const { file, kind } = files[Math.floor(i / 2)]!;
        if (kind === 'good') return expect(r.status, file).toBe('fulfilled');
        expect(r.status, file).toBe('rejected');
        const e = (r as PromiseRejectedResult).reason as ImageFileError;
        expect(e).toBeInstanceOf(ImageFileError);
        expect(e.file).toBe(file);
        expect(e.reason, file).not.toMatch(/unknown error/i);
        expect(e.reason, file).toMatch(expected(kind));
      });
    }
  });

  it('a FIFO or a device in a CelebA folder is refused at once, not waited on', async () => {
    const fifo = join(dir, 'face.jpg');
    execFileSync('mkfifo', [fifo]);
    await expect(readCelebaImage(fifo, 8)).rejects.toThrow(`${fifo}: is a named pipe (FIFO), not an image file`);
    await expect(readCelebaImage('/dev/zero', 8)).rejects.toThrow('/dev/zero: is a device, not an image file');
  }, 10_000);

  it('an image-folder dataset and a run over the folder (batch inputs) give the same reasons', async () => {
    const root = join(dir, 'in');
    const csv = join(dir, 'in.csv');
    writeFileSync(csv, ['file,hair,smiling', ...files.map(({ file }) => `${file.slice(root.length + 1)},blond,1`)].join('\n'));
    const ds = await openImageFolder({ root, csv, imageSize: 16, groups });
    const loads = await Promise.allSettled(files.map((_, i) => ds.load(i)));
    loads.forEach((r, i) => {
      if (files[i]!.kind === 'good') return expect(r.status).toBe('fulfilled');
      expect(((r as PromiseRejectedResult).reason as ImageFileError).reason, files[i]!.file).toMatch(expected(files[i]!.kind));
    });

    await initBackend('auto', { gradients: false });
    const r = await runGraph(tinyProject(root).graph, { baseDir: dir, batchSize: 8, minScale: 0 }, () => undefined);
    const bad = files.filter((f) => f.kind !== 'good');
    expect(r.skipped.map((s) => s.file).sort()).toEqual(bad.map((f) => f.file).sort());
    for (const s of r.skipped) {
      expect(s.reason, s.file).not.toMatch(/unknown error/i);
      expect(s.reason, s.file).toMatch(expected(bad.find((f) => f.file === s.file)!.kind));
    }
  }, 60_000);
});
