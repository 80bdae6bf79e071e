// CelebA in its own format: <root>/img_align_celeba/*.jpg, <root>/list_attr_celeba.txt
// (line 1: the image count; line 2: the attribute names; then "file.jpg  1 -1 ..."), and
// optionally <root>/list_eval_partition.txt ("file.jpg 0|1|2": train, val, test). Images are
// centre-cropped to 178×178 (the paper's crop of the 178×218 aligned faces) and resized.

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CELEBA, CELEBA_COLUMNS } from '../graph/attributes';
import type { AttributeGroup } from '../graph/ports';
import { type Dataset, DatasetFileError, quote, splitEvery } from './dataset';
import { decodeSquare, ImageFileError } from './images';

export const CELEBA_CROP = 178;

export interface CelebaOptions {
  root: string;
  imageSize: number;
  /** Default hair (3-way), male, smiling. */
  groups?: readonly AttributeGroup[];
}

export interface AttributeTable {
  readonly names: readonly string[];
  readonly rows: readonly { file: string; values: Int8Array; line: number }[];
}

/** A file's lines; any of \n, \r\n or \r ends one (as csv-parse counts them), a leading BOM dropped. */
const linesOf = (text: string): string[] => text.replace(/^\uFEFF/, '').split(/\r\n?|\n/);

/** Parses list_attr_celeba.txt; every error names the file and line. */
export function parseAttributeList(text: string, file: string): AttributeTable {
  const lines = linesOf(text);
  const head = lines[0]!.trim();
  // Digits only: Number() would also take '', ' ', '0x10' and '1e3'.
  if (!/^\d+$/.test(head)) throw new DatasetFileError(file, 1, `expected the number of images, got ${quote(head)}`);
  const count = Number(head);
  if (lines.length < 2) throw new DatasetFileError(file, 1, 'ends after the image count; line 2 should list the attribute names');
  const names = lines[1]!.trim().split(/\s+/).filter(Boolean);
  if (!names.length) throw new DatasetFileError(file, 2, 'expected the attribute names');
  const rows: { file: string; values: Int8Array; line: number }[] = [];
  for (let i = 2; i < lines.length; i++) {
    const parts = lines[i]!.trim().split(/\s+/).filter(Boolean);
    if (!parts.length) continue;
    const [name, ...vals] = parts;
    if (vals.length !== names.length)
      throw new DatasetFileError(file, i + 1, `${quote(name!)} has ${vals.length} values, expected ${names.length} (one per attribute)`);
    const values = new Int8Array(vals.length);
    vals.forEach((v, j) => {
      if (v !== '1' && v !== '-1' && v !== '0') throw new DatasetFileError(file, i + 1, `value ${quote(v)} of ${names[j]} is not 1 or -1`);
      values[j] = v === '1' ? 1 : 0;
    });
    rows.push({ file: name!, values, line: i + 1 });
  }
  if (rows.length !== count) throw new DatasetFileError(file, 1, `says ${count} images but lists ${rows.length}`);
  return { names, rows };
}

/** Parses list_eval_partition.txt into file → 0 (train), 1 (validation), 2 (test). */
export function parsePartition(text: string, file: string): Map<string, number> {
  const out = new Map<string, number>();
  linesOf(text).forEach((l, i) => {
    const parts = l.trim().split(/\s+/).filter(Boolean);
    if (!parts.length) return;
    // Exactly one digit: Number() would also take '0x1', '1.0' and '-0'.
    if (parts.length !== 2 || !/^[012]$/.test(parts[1]!)) throw new DatasetFileError(file, i + 1, `expected "file.jpg 0|1|2", got ${quote(l.trim())}`);
    out.set(parts[0]!, Number(parts[1]));
  });
  return out;
}

/**
 * Which columns make each group: CELEBA_COLUMNS for the paper's names, else a binary group
 * is the column of its own name and a one-hot group has one column per value.
 */
function columnsOf(g: AttributeGroup, names: readonly string[], file: string): number[] {
  // Own keys only: a group named 'constructor' or '__proto__' must not find Object's members.
  const known = Object.hasOwn(CELEBA_COLUMNS, g.name) ? CELEBA_COLUMNS[g.name] : undefined;
  const cols = g.kind === 'binary' ? [typeof known === 'string' ? known : g.name] : g.values.map((v) => (typeof known === 'object' && Object.hasOwn(known, v) ? known[v] : undefined) ?? v);
  return cols.map((c) => {
    const j = names.indexOf(c!);
    if (j < 0) throw new DatasetFileError(file, 2, `has no attribute column '${c}' (for '${g.name}')`);
    return j;
  });
}

/** Reads one aligned face: centre 178×178 crop (or the largest centred square), resized. */
export async function readCelebaImage(file: string, size: number): Promise<Float32Array> {
  // Decoded as readImage decodes (a FIFO or device named like a face is refused, never waited
  // on); only the crop differs.
  return decodeSquare(file, size, (img, { width = 0, height = 0 }) => {
    const side = Math.min(CELEBA_CROP, width, height);
    if (side < 2) throw new ImageFileError(file, `is too small (${width}×${height})`);
    return img
      .extract({ left: Math.floor((width - side) / 2), top: Math.floor((height - side) / 2), width: side, height: side })
      .resize(size, size, { kernel: 'lanczos3' });
  });
}

export async function openCeleba(opts: CelebaOptions): Promise<Dataset> {
  const attrFile = join(opts.root, 'list_attr_celeba.txt');
  const partFile = join(opts.root, 'list_eval_partition.txt');
  const imgDir = join(opts.root, 'img_align_celeba');
  const text = await readFile(attrFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new DatasetFileError(attrFile, undefined, e.code === 'ENOENT' ? 'not found (a CelebA folder holds list_attr_celeba.txt and img_align_celeba/)' : e.message);
  });
  if (!(await stat(imgDir).catch(() => null))?.isDirectory()) throw new DatasetFileError(imgDir, undefined, 'not found: the images folder of CelebA');
  const table = parseAttributeList(text, attrFile);
  if (!table.rows.length) throw new DatasetFileError(attrFile, 1, 'lists no images: after the count and the attribute names, one line per image');
  const groups = opts.groups ?? [CELEBA.hair, CELEBA.male, CELEBA.smiling];
  const cols = groups.map((g) => columnsOf(g, table.names, attrFile));
  const notes: string[] = [];
  // One-hot groups as CelebA labels them: some faces have none or several hair colours set.
  // They stay in (as in StarGAN); the count is reported so nobody is surprised.
  const ambiguous = table.rows.filter((r) => groups.some((g, gi) => g.kind === 'onehot' && cols[gi]!.reduce((a, j) => a + r.values[j]!, 0) !== 1)).length;
  if (ambiguous) notes.push(`${attrFile}: ${ambiguous} of ${table.rows.length} images have no single value of a one-hot group (kept, labelled as listed)`);

  let split: { train: number[]; test: number[] };
  const partText = await readFile(partFile, 'utf8').catch(() => undefined);
  if (partText !== undefined) {
    const part = parsePartition(partText, partFile);
    split = { train: [], test: [] };
    table.rows.forEach((r, i) => {
      const p = part.get(r.file);
      if (p === undefined) throw new DatasetFileError(partFile, undefined, `does not list '${r.file}' (${attrFile}:${r.line})`);
      if (p === 0) split.train.push(i);
      else if (p === 2) split.test.push(i);
    });
    if (!split.train.length && !split.test.length)
      throw new DatasetFileError(partFile, undefined, `puts all ${table.rows.length} images in the validation set (1): none is left for training (0) or testing (2)`);
  } else {
    split = splitEvery(table.rows.length, 10);
    notes.push(`${partFile} not found: every 10th image is held out for testing`);
  }
  return {
    title: `CelebA at ${opts.root}`,
    imageSize: opts.imageSize,
    groups,
    ...split,
    flip: true,
    notes,
    async load(i) {
      const r = table.rows[i]!;
      const labels = Float32Array.from(cols.flatMap((cs) => cs.map((j) => r.values[j]!)));
      return { image: await readCelebaImage(join(imgDir, r.file), opts.imageSize), labels };
    },
  };
}
