// Writes a run's outputs as PNG files: named after their input (or numbered), one folder per
// output when there are several, masks under masks/, provenance embedded in every file.
// Each file appears whole or not at all (temporary file, then a link or rename), an existing
// file is never replaced unless asked, and never when it is one of the run's inputs.

import { link, lstat, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { encodePng } from '../data/images';
import type { Graph } from '../graph/graph';
import { PROVENANCE_FORMAT, PROVENANCE_VERSION, type ProvenanceInput, provenanceXmp } from '../graph/format/provenance';
import { temporaryName } from '../files/stale-temporaries';
import type { Batch, OutputInfo, RunContext, RunItem } from './executor';

/**
 * What to do with an output file that exists already: leave it and report it ('refuse'),
 * replace it ('replace', --overwrite), or leave it quietly ('keep': a resumed run finishing
 * an item that was cut off between two of its outputs).
 */
export type ExistingOutputs = 'refuse' | 'replace' | 'keep';

/** Told of every file just before it is put in place; throws to refuse it (it would replace an input). */
export interface WriteCheck {
  check(path: string): Promise<void>;
}

export interface OutputWriterOptions {
  readonly outDir: string;
  readonly graph: Graph;
  readonly existing?: ExistingOutputs;
  readonly guard?: WriteCheck;
  /**
   * Whether the file at an output's path was put there by an earlier attempt at this same
   * work (a queued job run twice): it is counted as written and left alone, so each output is
   * written once whatever `existing` says.
   */
  readonly writtenBefore?: (path: string) => Promise<boolean>;
}

export interface WriteProblem {
  readonly path: string;
  readonly reason: string;
}

export interface WriteResult {
  readonly written: string[];
  readonly kept: string[];
  readonly problems: WriteProblem[];
  /** Set when the disk itself refuses (full, read-only, over quota): no later write can succeed. */
  readonly fatal?: string;
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

/** Refused: the file exists and may not be replaced. */
export class OutputExistsError extends Error {}

const DISK_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the disk is read-only',
};

/** A write error as a reason a person can act on (the system's code kept for searching). */
export function writeErrorReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const known: Record<string, string> = {
    ...DISK_ERRORS,
    EACCES: 'permission denied',
    EPERM: 'not permitted (the folder may be protected or immutable)',
    EISDIR: 'a folder of that name is in the way',
    ENOTDIR: 'a file is in the way of a folder on the path',
    ENAMETOOLONG: 'the name is too long for the file system',
  };
  if (code && known[code]) return `${known[code]} (${code})`;
  return (e as Error).message;
}

/** Whether this write error means the disk takes no more writes at all. */
export const isDiskError = (e: unknown): boolean => ((e as NodeJS.ErrnoException).code ?? '') in DISK_ERRORS;

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
 * Writes `bytes` to `path` as a whole file; an existing one is handled as `existing` says.
 * With `root`, every folder on the way must be a real folder inside it; with `guard`, the
 * path is checked once more just before the file is put in place. Says whether it wrote the
 * file or kept the one there. The temporary file is removed whatever fails (a full disk too).
 */
export async function writeWhole(
  path: string,
  bytes: Uint8Array,
  opts: { readonly existing: ExistingOutputs; readonly root?: string; readonly guard?: WriteCheck },
): Promise<'written' | 'kept'> {
  if (opts.root) await mkdirInside(opts.root, path);
  else await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), temporaryName(basename(path)));
  try {
    await writeFile(tmp, bytes, { flag: 'wx' });
    await opts.guard?.check(path);
    if (opts.existing === 'replace') await rename(tmp, path);
    else {
      try {
        // link() fails with EEXIST instead of replacing: the no-overwrite check and the write are one step.
        await link(tmp, path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        // Only a file counts as the output being there; a folder of that name is in the way.
        if (opts.existing === 'keep' && !(await lstat(path).catch(() => null))?.isDirectory()) return 'kept';
        if ((await lstat(path).catch(() => null))?.isDirectory()) throw new OutputExistsError('a folder of that name is in the way');
        throw new OutputExistsError('already exists, not overwritten (use --overwrite)');
      }
    }
    return 'written';
  } finally {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

export function createOutputWriter(opts: OutputWriterOptions) {
  return async (batch: Batch, ctx: RunContext): Promise<WriteResult> => {
    const written: string[] = [];
    const kept: string[] = [];
    const problems: WriteProblem[] = [];
    let fatal: string | undefined;
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
          if (await opts.writtenBefore?.(path)) {
            written.push(path);
            continue;
          }
          const done = await writeWhole(path, await encodePng(pixels, w, h, c as 1 | 3, xmp), { existing: opts.existing ?? 'refuse', root: opts.outDir, guard: opts.guard });
          // Kept: there before the run, unless another attempt at the same work put it there just now.
          (done === 'kept' && !(await opts.writtenBefore?.(path)) ? kept : written).push(path);
        } catch (e) {
          // Another attempt at the same work, running at once, put it there first.
          if (e instanceof OutputExistsError && (await opts.writtenBefore?.(path))) {
            written.push(path);
            continue;
          }
          problems.push({ path, reason: writeErrorReason(e) });
          if (isDiskError(e)) fatal ??= `${writeErrorReason(e)}, writing ${path}`;
        }
      }
    }
    return { written, kept, problems, ...(fatal ? { fatal } : {}) };
  };
}
