// A dataset written out as an image folder + CSV, for engines outside this process (the
// PyTorch trainer in python/) and for other tools. ColorMNIST and the synthetic faces exist
// only as code here, so this is how they travel; any other source can go the same way.
//
// The folder: images/000000.png…, attributes.csv (file + one column per attribute group, as
// the image-folder source reads), labels.f32 (the exact label vectors, N × length, float32
// little-endian: CelebA rows with no single hair colour cannot be said in the CSV),
// pixels.f32 (N × H × W × 3 float32) when some pixel is not a whole byte (ColorMNIST blends
// colours in floating point; a PNG would round them), and dataset.json: which dataset of
// which project this is (source, size, seed, groups), the train and test items in the
// loader's order, and whether batches flip images. Written into a temporary folder and
// renamed into place, so a reader never sees half an export.

import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Dataset } from '../data/dataset';
import { encodePng } from '../data/images';
import { type DatasetRef, openDataset } from '../data/open';
import { DEFAULT_DATASET_GROUPS } from '../graph/attributes';
import type { AttributeGroup } from '../graph/ports';
import { groupLength, groupsLength } from '../graph/ports';
import { syncDir } from './atomic';

export const DATASET_EXPORT_FORMAT = 'modulargan-dataset';

export interface DatasetExportSummary {
  readonly folder: string;
  readonly count: number;
  readonly train: number;
  readonly test: number;
  /** Whether pixels.f32 was written (some pixel is not a whole byte). */
  readonly exactPixels: boolean;
  /** Items that could not be loaded and were left out. */
  readonly skipped: readonly string[];
}

/** Where an export of dataset `id` goes by default: `<project>.data/<id>/` beside the project. */
export const defaultExportFolder = (projectFile: string, id: string): string =>
  join(dirname(resolve(projectFile)), `${basename(projectFile).replace(/(\.mgproj)?\.json$/, '')}.data`, id);

/** The CSV value of one group in a label vector: the hot value (the first when not exactly one is hot). */
function csvValue(g: AttributeGroup, labels: Float32Array, at: number): string {
  if (g.kind === 'binary') return labels[at]! >= 0.5 ? '1' : '0';
  const hot = g.values.findIndex((_, j) => labels[at + j]! >= 0.5);
  return g.values[Math.max(0, hot)]!;
}

const csvField = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Whether every value is a byte b as b / 127.5 − 1 (what a PNG holds exactly). */
function wholeBytes(image: Float32Array): boolean {
  const check = new Float32Array(1);
  for (const v of image) {
    check[0] = Math.round((v + 1) * 127.5) / 127.5 - 1;
    if (check[0] !== v) return false;
  }
  return true;
}

/**
 * Writes every train and test item of `dataset` (opened from `ref`) into `folder`, replacing an
 * earlier export there. `onProgress` hears how many items are done.
 */
export async function exportDatasetFolder(
  ref: DatasetRef,
  dataset: Dataset,
  folder: string,
  onProgress?: (done: number, total: number) => void,
): Promise<DatasetExportSummary> {
  const items = [...new Set([...dataset.train, ...dataset.test])].sort((a, b) => a - b);
  const groups = dataset.groups;
  const s = dataset.imageSize;
  const len = groupsLength(groups);
  const target = resolve(folder);
  await mkdir(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.tmp`);
  await mkdir(join(tmp, 'images'), { recursive: true });
  try {
    const row = new Map<number, number>();
    const skipped: string[] = [];
    const labels: Float32Array[] = [];
    const pixels: Float32Array[] = [];
    const lines = [['file', ...groups.map((g) => g.name)].map(csvField).join(',')];
    let exact = true;
    for (const [n, i] of items.entries()) {
      let sample;
      try {
        sample = await dataset.load(i);
      } catch (e) {
        skipped.push((e as Error).message);
        continue;
      }
      const r = labels.length;
      row.set(i, r);
      const file = `images/${String(r).padStart(6, '0')}.png`;
      await writeFile(join(tmp, file), await encodePng(sample.image, s, s, 3));
      exact &&= wholeBytes(sample.image);
      pixels.push(sample.image);
      labels.push(sample.labels);
      let at = 0;
      const values = groups.map((g) => {
        const v = csvValue(g, sample.labels, at);
        at += groupLength(g);
        return v;
      });
      lines.push([file, ...values].map(csvField).join(','));
      onProgress?.(n + 1, items.length);
    }
    if (!labels.length) throw new Error(`${dataset.title}: no item could be loaded, nothing to export`);
    await writeFile(join(tmp, 'attributes.csv'), `${lines.join('\n')}\n`);
    const labelData = new Float32Array(labels.length * len);
    labels.forEach((l, r) => labelData.set(l, r * len));
    await writeFile(join(tmp, 'labels.f32'), new Uint8Array(labelData.buffer));
    if (!exact) {
      const fh = await open(join(tmp, 'pixels.f32'), 'w');
      try {
        for (const p of pixels) await fh.write(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    const mapped = (list: readonly number[]) => list.filter((i) => row.has(i)).map((i) => row.get(i)!);
    const description = {
      format: DATASET_EXPORT_FORMAT,
      version: 1,
      id: ref.id,
      source: ref.source,
      title: dataset.title,
      imageSize: s,
      seed: ref.seed ?? 0,
      attributes: groups,
      count: labels.length,
      flip: dataset.flip,
      csv: 'attributes.csv',
      labels: 'labels.f32',
      ...(exact ? {} : { pixels: 'pixels.f32' }),
      train: mapped(dataset.train),
      test: mapped(dataset.test),
      skipped,
    };
    await writeFile(join(tmp, 'dataset.json'), `${JSON.stringify(description, null, 1)}\n`);
    await syncDir(tmp);
    await rm(target, { recursive: true, force: true });
    await rename(tmp, target);
    await syncDir(dirname(target));
    return { folder: target, count: labels.length, train: description.train.length, test: description.test.length, exactPixels: !exact, skipped };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Opens a project's dataset reference and exports it. */
export async function exportDatasetRef(ref: DatasetRef, baseDir: string, folder: string, onProgress?: (done: number, total: number) => void): Promise<DatasetExportSummary> {
  return exportDatasetFolder(ref, await openDataset(ref, baseDir), folder, onProgress);
}

/** The groups a reference resolves to (its own, else the source's defaults), as the export records them. */
export const refGroups = (ref: DatasetRef): readonly AttributeGroup[] =>
  ref.attributes?.length ? (ref.attributes as AttributeGroup[]) : DEFAULT_DATASET_GROUPS[ref.source];
