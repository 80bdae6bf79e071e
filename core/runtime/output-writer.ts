// Writes a run's outputs as PNG files: named after their input (or numbered), one folder per
// output when there are several, masks under masks/, provenance embedded in every file.
// Each file appears whole or not at all (temporary file, then a link or rename), and an
// existing file is never replaced unless asked.

import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { encodePng } from '../data/images';
import type { Graph } from '../graph/graph';
import { PROVENANCE_FORMAT, PROVENANCE_VERSION, type ProvenanceInput, provenanceXmp } from '../graph/format/provenance';
import type { Batch, OutputInfo, RunContext, RunItem } from './executor';

export interface OutputWriterOptions {
  readonly outDir: string;
  readonly graph: Graph;
  readonly overwrite?: boolean;
}

export interface WriteProblem {
  readonly path: string;
  readonly reason: string;
}

const safe = (s: string) => s.replace(/[^\w.-]+/g, '_');

/** "sub/a.jpg" → "sub/a.png"; items without an input file are numbered. */
export function outputFileName(item: RunItem): string {
  const name = Object.values(item.names)[0];
  return name ? name.replace(/\.[^./\\]+$/, '') + '.png' : `${String(item.index).padStart(5, '0')}.png`;
}

/** Where one output of one item goes, relative to the output folder. */
export function outputPath(item: RunItem, o: OutputInfo, outputs: readonly OutputInfo[]): string {
  const separate = outputs.filter((x) => x.group === 'sink').length > 1;
  const folder = o.group === 'mask' ? join('masks', safe(o.label)) : separate ? safe(o.label) : '';
  return join(folder, outputFileName(item));
}

/** Refused: the write would leave the folder the user chose (e.g. through a symbolic link). */
export class OutsideFolderError extends Error {}

/**
 * Creates the folders of `path` below `root` one by one, refusing any that is a symbolic link
 * (or not a folder), so nothing — not even an empty folder — is created outside `root`.
 */
async function mkdirInside(root: string, path: string): Promise<void> {
  const rel = relative(root, dirname(path));
  if (rel.startsWith('..') || isAbsolute(rel)) throw new OutsideFolderError(`${path} is outside ${root}`);
  await mkdir(root, { recursive: true }); // the folder the user chose
  let cur = root;
  for (const part of rel ? rel.split(sep) : []) {
    cur = join(cur, part);
    const st = await lstat(cur).catch(() => null);
    if (!st) {
      try {
        await mkdir(cur);
      } catch (e) {
        // Another batch in flight may have just made it; anything else is a real failure.
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    } else if (st.isSymbolicLink() || !st.isDirectory())
      throw new OutsideFolderError(`refused: ${cur} is a symbolic link or not a folder, and writing through it could leave ${root}`);
  }
}

/**
 * Writes `bytes` to `path` as a whole file; refuses to replace an existing one unless
 * `overwrite`. With `root`, every folder on the way must be a real folder inside it.
 */
export async function writeWhole(path: string, bytes: Uint8Array, overwrite: boolean, root?: string): Promise<void> {
  if (root) await mkdirInside(root, path);
  else await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(tmp, bytes, { flag: 'wx' });
  try {
    // link() fails with EEXIST instead of replacing: the no-overwrite check and the write are one step.
    if (overwrite) await rename(tmp, path);
    else await link(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

export function createOutputWriter(opts: OutputWriterOptions) {
  return async (batch: Batch, ctx: RunContext): Promise<{ written: string[]; problems: WriteProblem[] }> => {
    const written: string[] = [];
    const problems: WriteProblem[] = [];
    const masks = ctx.outputs.filter((o) => o.group === 'mask' && o.key !== 'mask:sum').length;
    for (const [j, item] of batch.items.entries()) {
      const input = Object.values(item.files)[0];
      const provenance: ProvenanceInput = {
        format: PROVENANCE_FORMAT,
        version: PROVENANCE_VERSION,
        app: 'ModularGAN Studio',
        createdAt: new Date().toISOString(),
        graph: opts.graph,
        seed: ctx.seed,
        modules: ctx.modules,
        ...(input ? { input: basename(input) } : {}),
      };
      const xmp = provenanceXmp(provenance);
      for (const o of ctx.outputs) {
        const v = batch.values.get(o.key);
        if (!v) continue;
        const [, h, w, c] = v.shape as [number, number, number, number];
        const size = h * w * c;
        const slice = v.data.subarray(j * size, (j + 1) * size);
        // Masks are in (0, 1) (a sum up to the number of masks): map to [-1, 1] for 8-bit grey.
        const scale = o.key === 'mask:sum' ? 1 / masks : 1;
        const pixels = o.kind === 'mask' ? slice.map((x) => x * scale * 2 - 1) : slice;
        const path = join(opts.outDir, outputPath(item, o, ctx.outputs));
        try {
          await writeWhole(path, await encodePng(pixels, w, h, c as 1 | 3, xmp), opts.overwrite ?? false, opts.outDir);
          written.push(path);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          problems.push({ path, reason: code === 'EEXIST' && !(e instanceof OutsideFolderError) ? 'already exists, not overwritten (use --overwrite)' : (e as Error).message });
        }
      }
    }
    return { written, problems };
  };
}
