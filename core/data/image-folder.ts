// A folder of images with a CSV of attributes: a header row, a column naming the file
// (`file`, `filename`, `image` or `path`, relative to the folder), and one column per
// attribute group — a binary group takes 1/0 (also -1, true/false, yes/no), a one-hot group
// takes one of its values by name. Images are centre-cropped to a square and resized.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { encodeCondition } from '../graph/conditions';
import type { AttributeGroup } from '../graph/ports';
import { type Dataset, DatasetFileError, quote, splitEvery } from './dataset';
import { readImage } from './images';

export interface ImageFolderOptions {
  root: string;
  csv: string;
  imageSize: number;
  groups: readonly AttributeGroup[];
}

const FILE_COLUMNS = ['file', 'filename', 'image', 'path'];
const YES = new Set(['1', 'true', 'yes']);
const NO = new Set(['0', '-1', 'false', 'no']);

export async function openImageFolder(opts: ImageFolderOptions): Promise<Dataset> {
  const { csv } = opts;
  if (!opts.groups.length) throw new DatasetFileError(csv, undefined, 'the dataset lists no attributes: choose the attribute groups the CSV holds');
  const text = await readFile(csv, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new DatasetFileError(csv, undefined, e.code === 'ENOENT' ? 'not found' : e.message);
  });
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { info: true, skip_empty_lines: true, trim: true }) as unknown as typeof records;
  } catch (e) {
    // csv-parse counts one line past a final line break when a quote is left open at the end.
    const line = (e as { lines?: number }).lines;
    const last = text.split(/\r\n?|\n/).length;
    throw new DatasetFileError(csv, line === undefined ? undefined : Math.min(line, last), (e as Error).message);
  }
  const header = records[0]?.record.map((h) => h.toLowerCase());
  if (!header) throw new DatasetFileError(csv, 1, 'is empty; expected a header row');
  const fileCol = header.findIndex((h) => FILE_COLUMNS.includes(h));
  if (fileCol < 0) throw new DatasetFileError(csv, 1, `has no file column (${FILE_COLUMNS.join(', ')})`);
  const groupCols = opts.groups.map((g) => {
    const j = header.indexOf(g.name.toLowerCase());
    if (j < 0) throw new DatasetFileError(csv, 1, `has no column '${g.name}'`);
    return j;
  });
  const rows = records.slice(1).map(({ record, info }) => {
    const values: Record<string, string> = {};
    opts.groups.forEach((g, gi) => {
      const raw = record[groupCols[gi]!] ?? '';
      if (g.kind === 'binary') {
        const v = raw.toLowerCase();
        if (!YES.has(v) && !NO.has(v)) throw new DatasetFileError(csv, info.lines, `'${g.name}' must be 1 or 0, got ${quote(raw)}`);
        values[g.name] = YES.has(v) ? '1' : '0';
      } else {
        if (!g.values.includes(raw)) throw new DatasetFileError(csv, info.lines, `${quote(raw)} is not a value of '${g.name}' (${g.values.join(', ')})`);
        values[g.name] = raw;
      }
    });
    const file = record[fileCol] ?? '';
    if (!file) throw new DatasetFileError(csv, info.lines, 'the file name is empty');
    return { file, labels: Float32Array.from(encodeCondition(opts.groups, values)) };
  });
  // Said here, of the CSV: an empty list would surface later as an image folder with nothing in it.
  if (!rows.length) throw new DatasetFileError(csv, 1, 'has a header but no rows: list one image per line after it (file name, then its attributes)');
  return {
    title: `image folder ${opts.root}`,
    imageSize: opts.imageSize,
    groups: opts.groups,
    ...splitEvery(rows.length, 10),
    flip: true,
    notes: [],
    async load(i) {
      const r = rows[i]!;
      return { image: (await readImage(join(opts.root, r.file), opts.imageSize)).data, labels: r.labels };
    },
  };
}
