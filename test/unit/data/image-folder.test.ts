import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { openImageFolder } from '../../../core/data/image-folder';
import { CELEBA } from '../../../core/graph/attributes';

const root = mkdtempSync(join(tmpdir(), 'mg-folder-'));
const groups = [CELEBA.hair, CELEBA.smiling];

beforeAll(async () => {
  for (const f of ['a.png', 'b.png']) await sharp({ create: { width: 20, height: 12, channels: 3, background: '#3366cc' } }).png().toFile(join(root, f));
});

const open = (csv: string) => {
  writeFileSync(join(root, 'attributes.csv'), csv);
  return openImageFolder({ root, csv: join(root, 'attributes.csv'), imageSize: 8, groups });
};

describe('image folder with a CSV', () => {
  it('reads one-hot values by name and binary ones as 1/0', async () => {
    const ds = await open('file,hair,smiling\na.png,blond,1\n"b.png",brown,no\n');
    expect(Array.from((await ds.load(0)).labels)).toEqual([0, 1, 0, 1]);
    expect(Array.from((await ds.load(1)).labels)).toEqual([0, 0, 1, 0]);
    expect((await ds.load(0)).image.length).toBe(8 * 8 * 3);
  });

  it('names the file and line of a bad value', async () => {
    await expect(open('file,hair,smiling\na.png,blond,1\nb.png,green,0\n')).rejects.toThrow(/attributes\.csv:3: 'green' is not a value of 'hair'/);
    await expect(open('file,hair,smiling\na.png,blond,maybe\n')).rejects.toThrow(/attributes\.csv:2: 'smiling' must be 1 or 0/);
  });

  it('names a missing column and a malformed CSV', async () => {
    await expect(open('file,hair\na.png,blond\n')).rejects.toThrow(/attributes\.csv:1: has no column 'smiling'/);
    await expect(open('name,hair,smiling\n')).rejects.toThrow(/has no file column/);
    await expect(open('file,hair,smiling\na.png,"blond,1\n')).rejects.toThrow(/attributes\.csv/);
  });

  it('names a line inside the file when a quote is left open at its end', async () => {
    // Found by the CSV fuzz test: csv-parse counts a line past the final line break here.
    await expect(open('file,hair,smiling\r\n"","black", " \r\n a.png , black \r\n')).rejects.toThrow(/attributes\.csv:4: /);
  });
});
