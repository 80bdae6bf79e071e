// The CelebA loader on a fixture in CelebA's own format (six 178×218 JPEGs, one of them
// corrupt), and the parser on malformed files: every error names the file and line.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { openCeleba, parseAttributeList, parsePartition, readCelebaImage } from '../../../core/data/celeba';
import { DatasetFileError } from '../../../core/data/dataset';
import { ImageFileError } from '../../../core/data/images';
import { BatchLoader } from '../../../core/data/loader';

const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'celeba');

describe('CelebA folder', () => {
  it('reads attributes by name into one-hot and binary groups, with the official split', async () => {
    const ds = await openCeleba({ root: FIXTURE, imageSize: 16 });
    expect(ds.groups.map((g) => g.name)).toEqual(['hair', 'male', 'smiling']);
    expect(ds.train).toEqual([0, 1, 2, 3]);
    expect(ds.test).toEqual([5]);
    const s = await ds.load(2); // 000003.jpg: brown hair, male, smiling
    expect(Array.from(s.labels)).toEqual([0, 0, 1, 1, 1]);
    expect(Array.from((await ds.load(1)).labels)).toEqual([0, 1, 0, 0, 0]);
    expect(s.image.length).toBe(16 * 16 * 3);
    // 000004 lists no hair colour: kept, and reported.
    expect(ds.notes.join('\n')).toMatch(/1 of 6 images have no single value/);
  });

  it('crops the centre 178×178 before resizing: the top and bottom bands are gone', async () => {
    const ds = await openCeleba({ root: FIXTURE, imageSize: 8 });
    const img = (await ds.load(0)).image;
    // The bands are magenta (255, 0, 255); the centre's green channel is 170 (≈ 0.33 in [-1, 1]).
    for (let i = 0; i < 8 * 8; i++) expect(img[i * 3 + 1]!).toBeGreaterThan(0);
  });

  it('chooses other attributes by column name', async () => {
    const ds = await openCeleba({
      root: FIXTURE,
      imageSize: 8,
      groups: [{ name: 'Eyeglasses', kind: 'binary' }, { name: 'hair', kind: 'onehot', values: ['Black_Hair', 'Gray_Hair'] }],
    });
    expect(Array.from((await ds.load(0)).labels)).toEqual([0, 1, 0]);
    await expect(openCeleba({ root: FIXTURE, imageSize: 8, groups: [{ name: 'Beard', kind: 'binary' }] })).rejects.toThrow(
      /list_attr_celeba\.txt:2: has no attribute column 'Beard'/,
    );
  });

  it('reports a corrupt image and skips it; training batches go on', async () => {
    const ds = await openCeleba({ root: FIXTURE, imageSize: 8 });
    await expect(ds.load(3)).rejects.toThrow(ImageFileError);
    await expect(ds.load(3)).rejects.toThrow(/000004\.jpg: cannot decode it as an image/);
    const skipped: string[] = [];
    const loader = new BatchLoader(ds, { batchSize: 4, seed: 1, onSkip: (m) => skipped.push(m) });
    for (let k = 0; k < 3; k++) expect((await loader.get(k)).size).toBe(4);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatch(/000004\.jpg/);
  });

  it('without list_eval_partition.txt holds out every 10th image and says so', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mg-celeba-'));
    cpSync(FIXTURE, root, { recursive: true });
    const { rmSync } = await import('node:fs');
    rmSync(join(root, 'list_eval_partition.txt'));
    const ds = await openCeleba({ root, imageSize: 8 });
    expect(ds.train.length + ds.test.length).toBe(6);
    expect(ds.notes.join('\n')).toMatch(/list_eval_partition\.txt not found/);
  });

  it('a group named like an Object member finds no column by accident', async () => {
    await expect(openCeleba({ root: FIXTURE, imageSize: 8, groups: [{ name: '__proto__', kind: 'onehot', values: ['toString', 'x'] }] })).rejects.toThrow(
      /list_attr_celeba\.txt:2: has no attribute column 'toString' \(for '__proto__'\)/,
    );
  });

  it('calls an image of one pixel too small, not undecodable', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mg-celeba-'));
    const file = join(root, 'one.png');
    writeFileSync(file, await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } }).png().toBuffer());
    await expect(readCelebaImage(file, 8)).rejects.toThrow(`${file}: is too small (1×1)`);
  });

  it('names a missing folder', async () => {
    await expect(openCeleba({ root: '/nonexistent/celeba', imageSize: 8 })).rejects.toThrow(/list_attr_celeba\.txt: not found/);
  });
});

describe('list_attr_celeba.txt parser', () => {
  const F = 'list_attr_celeba.txt';
  it('names the file and line of a row with too few values', () => {
    expect(() => parseAttributeList('2\nA B C\nx.jpg 1 -1 1\ny.jpg 1 -1\n', F)).toThrow(`${F}:4: 'y.jpg' has 2 values, expected 3`);
  });
  it('rejects values other than 1 and -1', () => {
    expect(() => parseAttributeList('1\nA B\nx.jpg 1 yes\n', F)).toThrow(`${F}:3: value 'yes' of B is not 1 or -1`);
  });
  it('checks the count on line 1', () => {
    expect(() => parseAttributeList('3\nA\nx.jpg 1\n', F)).toThrow(`${F}:1: says 3 images but lists 1`);
    expect(() => parseAttributeList('many\nA\n', F)).toThrow(`${F}:1: expected the number of images`);
  });
  it('takes only digits as the count, and names a file that ends early (fuzzing found these)', () => {
    // Number('') is 0 and Number('0x1') is 1: both used to pass as counts.
    expect(() => parseAttributeList('', F)).toThrow(`${F}:1: expected the number of images, got ''`);
    expect(() => parseAttributeList('0x1\nA\nx.jpg 1\n', F)).toThrow(`${F}:1: expected the number of images, got '0x1'`);
    expect(() => parseAttributeList('1', F)).toThrow(`${F}:1: ends after the image count`);
    expect(() => parsePartition('a.jpg 0x1\n', 'p.txt')).toThrow('p.txt:1: expected "file.jpg 0|1|2"');
    expect(() => parsePartition('a.jpg 1.0\n', 'p.txt')).toThrow('p.txt:1:');
    // A long junk value is cut in the message.
    expect(() => parseAttributeList(`x${'y'.repeat(200)}\n`, F)).toThrow(`got 'x${'y'.repeat(39)}…'`);
  });
  it('a line ends at CR alone too, so line numbers agree with what editors show', () => {
    expect(() => parseAttributeList('1\rA B\rx.jpg 1\r', F)).toThrow(`${F}:3: 'x.jpg' has 1 values, expected 2`);
  });
  it('accepts CRLF line ends and blank lines', () => {
    const t = parseAttributeList('1\r\nA  B\r\n\r\nx.jpg  1 -1\r\n', F);
    expect(t.names).toEqual(['A', 'B']);
    expect(Array.from(t.rows[0]!.values)).toEqual([1, 0]);
  });
  it('names the line of a bad partition entry', () => {
    expect(() => parsePartition('a.jpg 0\nb.jpg 7\n', 'list_eval_partition.txt')).toThrow(DatasetFileError);
    expect(() => parsePartition('a.jpg 0\nb.jpg 7\n', 'list_eval_partition.txt')).toThrow('list_eval_partition.txt:2:');
  });
  it('rejects a malformed file on disk, naming it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mg-celeba-'));
    cpSync(FIXTURE, root, { recursive: true });
    writeFileSync(join(root, 'list_attr_celeba.txt'), '1\nMale Smiling\n000001.jpg 1\n');
    await expect(openCeleba({ root, imageSize: 8, groups: [{ name: 'male', kind: 'binary' }] })).rejects.toThrow(
      `${join(root, 'list_attr_celeba.txt')}:3: '000001.jpg' has 1 values, expected 2`,
    );
  });
});
