// Where a run's outputs may go, decided before anything runs. Inputs are the user's originals:
// no output may land on one — not through a symbolic link to the input folder, a hard link,
// an output folder inside the input folder or an input folder inside the output folder —
// compared on real paths and device/inode. Two inputs never share an output: the later one
// is skipped with a reason rather than silently replacing the first. The writer asks the
// guard again for each file, just before putting it in place.

import { constants, type Stats } from 'node:fs';
import { access, lstat, realpath, stat, statfs } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { sweepStaleTemporaries } from '../files/stale-temporaries';
import { type InputListing, type OutputInfo, RunError, type RunItem, type Screened } from './executor';
import { type WriteCheck, outputPath, writeErrorReason } from './output-writer';

export interface OutputGuardOptions {
  /** The output folder as given (resolved against the working folder). */
  readonly outDir: string;
  /** What the run writes per item (plannedOutputs). */
  readonly outputs: readonly OutputInfo[];
  /** Items whose outputs all exist are dropped quietly (a resumed run). */
  readonly skipExisting?: boolean;
  /** Other files the run writes (the batch report): never an input, never an output. */
  readonly extraFiles?: readonly string[];
  /**
   * Remove leftover temporary files of killed runs (default true). A queued job's share of a
   * batch leaves them: a writer on another machine has a process id that means nothing here.
   */
  readonly sweep?: boolean;
}

export interface OutputGuard extends WriteCheck {
  readonly outDir: string;
  /** The output folder's real path: never searched for inputs (RunOptions.exclude). */
  readonly exclude: readonly string[];
  /** RunOptions.screen: refuses collisions with inputs, skips clashes, drops finished items. */
  screen(items: readonly RunItem[], listings: readonly InputListing[]): Promise<Screened>;
  /** Items dropped by the last screen because all their outputs were there. */
  readonly alreadyDone: number;
  /** Leftover temporary files removed from the folders this run writes. */
  readonly swept: readonly string[];
}

const inside = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
const inode = (s: Stats) => `${s.dev}:${s.ino}`;

/** The real path `path` would have: its deepest existing folder resolved, the rest appended. */
async function realTarget(path: string): Promise<string> {
  const rest: string[] = [];
  let p = resolve(path);
  for (;;) {
    const real = await realpath(p).catch(() => null);
    if (real) return join(real, ...rest.reverse());
    const up = dirname(p);
    if (up === p) return resolve(path);
    rest.push(basename(p));
    p = up;
  }
}

/**
 * Refuses, with one clear message, an output folder that cannot take files: a file (or a file
 * on its way), a read-only or full disk, a folder without write permission.
 */
async function checkFolder(out: string, what = 'the output folder'): Promise<void> {
  let p = out;
  let st: Stats | null = null;
  for (;;) {
    st = await stat(p).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
      throw new RunError(`${what} ${out} cannot be reached: ${writeErrorReason(e)}`);
    });
    if (st || dirname(p) === p) break;
    p = dirname(p);
  }
  if (!st) throw new RunError(`${what} ${out} cannot be reached`);
  if (!st.isDirectory()) throw new RunError(p === out ? `${what} ${out} is a file, not a folder; choose a folder for the ${what === 'the output folder' ? 'outputs' : 'report'}` : `${what} ${out} cannot be made: ${p} is a file, not a folder`);
  try {
    await access(p, constants.W_OK);
  } catch (e) {
    throw new RunError(`cannot write into ${p}: ${writeErrorReason(e)}`);
  }
  const fs = await statfs(p).catch(() => null);
  // Root may use the blocks reserved for it; others only the available ones.
  if (fs && (process.getuid?.() === 0 ? fs.bfree : fs.bavail) === 0) throw new RunError(`cannot write into ${p}: no space left on the disk (ENOSPC)`);
}

/** The graph's outputs must go to different files, whatever the input's name. */
function checkDistinctOutputs(outputs: readonly OutputInfo[]): void {
  const probe: RunItem = { index: 0, files: {}, names: { probe: 'x.png' } };
  const seen = new Map<string, OutputInfo>();
  for (const o of outputs) {
    const p = outputPath(probe, o, outputs);
    const other = seen.get(p);
    if (other)
      throw new RunError(`the outputs '${other.label}' and '${o.label}' would be written to the same files (${dirname(p)}${sep}…); give them different labels`, o.key.replace(/^mask:/, ''));
    seen.set(p, o);
  }
}

/** What must never be written over: every file the inputs' listings found, by real path and by inode. */
interface Protected {
  readonly paths: Map<string, string>;
  readonly inodes: Map<string, string>;
  /** Real paths of input folders, with the output folder's real path when it lies inside one. */
  readonly folders: readonly { readonly real: string; readonly given: string }[];
}

async function protectedInputs(listings: readonly InputListing[]): Promise<Protected> {
  const paths = new Map<string, string>();
  const inodes = new Map<string, string>();
  const folders: { real: string; given: string }[] = [];
  const one = async (f: string) => {
    // The entry itself (a link is replaced by a rename) and what it leads to (the original).
    const [entry, target, ls, st] = await Promise.all([
      realTarget(dirname(f)).then((d) => join(d, basename(f))),
      realpath(f).catch(() => null),
      lstat(f).catch(() => null),
      stat(f).catch(() => null),
    ]);
    for (const p of [resolve(f), entry, target]) if (p) paths.set(p, f);
    for (const s of [ls, st]) if (s) inodes.set(inode(s), f);
  };
  for (const l of listings) {
    if (l.folder) folders.push({ real: await realpath(l.root).catch(() => resolve(l.root)), given: l.root });
    for (let i = 0; i < l.found.length; i += 64) await Promise.all(l.found.slice(i, i + 64).map(one));
  }
  return { paths, inodes, folders };
}

/**
 * Checks the output folder and prepares the guard of one run. Throws RunError when the folder
 * cannot take the outputs or the graph's outputs would overwrite each other.
 */
export async function createOutputGuard(opts: OutputGuardOptions): Promise<OutputGuard> {
  const outDir = resolve(opts.outDir);
  await checkFolder(outDir);
  for (const f of opts.extraFiles ?? []) await checkFolder(dirname(resolve(f)), 'the folder of the report');
  checkDistinctOutputs(opts.outputs);
  const realOut = await realTarget(outDir);
  let prot: Protected = { paths: new Map(), inodes: new Map(), folders: [] };
  let alreadyDone = 0;
  let swept: string[] = [];

  /** Why writing `real` (a real path; `shown` as given) would harm an input, if it would. */
  const harm = async (real: string, shown: string): Promise<string | undefined> => {
    const hit = prot.paths.get(real);
    if (hit) return `${shown} would replace the input ${hit}`;
    const st = await lstat(real).catch(() => null);
    const same = st && prot.inodes.get(inode(st));
    if (same) return `${shown} is the same file as the input ${same} (a hard link), and writing it would replace that input`;
    for (const f of prot.folders) if (inside(real, f.real) && !(inside(realOut, f.real) && inside(real, realOut))) return `${shown} would be written inside the input folder ${f.given}`;
    return undefined;
  };

  const screen = async (items: readonly RunItem[], listings: readonly InputListing[]): Promise<Screened> => {
    prot = await protectedInputs(listings);
    for (const f of prot.folders)
      if (f.real === realOut)
        throw new RunError(
          `the output folder ${outDir} must not be the input folder ${f.given}${outDir === resolve(f.given) ? '' : ' (it is the same folder, through a symbolic link)'}: inputs are never touched`,
        );
    const realDirs = new Map<string, string>();
    const realOf = async (path: string) => {
      const dir = dirname(path);
      let real = realDirs.get(dir);
      if (real === undefined) realDirs.set(dir, (real = await realTarget(dir)));
      return join(real, basename(path));
    };

    const collisions: string[] = [];
    const claimed = new Map<string, RunItem>();
    const skip: { index: number; reason: string }[] = [];
    const drop: number[] = [];
    const name = (item: RunItem) => Object.values(item.files)[0] ?? `item ${item.index}`;
    for (const item of items) {
      const targets: { path: string; real: string }[] = [];
      for (const o of opts.outputs) {
        const path = join(outDir, outputPath(item, o, opts.outputs));
        targets.push({ path, real: await realOf(path) });
      }
      let clash: string | undefined;
      for (const t of targets) {
        const why = await harm(t.real, t.path);
        if (why) collisions.push(why);
        const first = claimed.get(t.real);
        if (first && !clash) clash = `its output ${t.path} is also the output of ${name(first)}, which is processed instead; rename one of them to process both`;
      }
      if (clash) {
        skip.push({ index: item.index, reason: clash });
        continue;
      }
      for (const t of targets) claimed.set(t.real, item);
      const done = async (path: string) => (await lstat(path).catch(() => null))?.isDirectory() === false;
      if (opts.skipExisting && (await Promise.all(targets.map((t) => done(t.path)))).every(Boolean)) drop.push(item.index);
    }
    for (const extra of opts.extraFiles ?? []) {
      // Written through a link to the file it names (writeFileAtomic), so the target counts too.
      const real = await realOf(extra);
      const target = await realpath(extra).catch(() => real);
      const st = await stat(extra).catch(() => null);
      const hit = prot.paths.get(real) ?? prot.paths.get(target) ?? (st ? prot.inodes.get(inode(st)) : undefined);
      if (hit) collisions.push(`${extra} would replace the input ${hit}`);
      const item = claimed.get(real);
      if (item) collisions.push(`${extra} is also the output of ${name(item)}`);
    }
    if (collisions.length)
      throw new RunError(
        `refused, nothing was written: ${collisions.slice(0, 5).join('; ')}${collisions.length > 5 ? `; and ${collisions.length - 5} more` : ''}. Inputs are never touched: choose an output folder outside the input folder`,
      );
    alreadyDone = drop.length;
    // Leftovers of killed runs, in the folders this run writes (and no others).
    if (opts.sweep !== false) swept = await sweepStaleTemporaries([realOut, ...[...claimed.keys(), ...(opts.extraFiles ?? [])].map((p) => dirname(p))]);
    return { skip, drop };
  };

  const check = async (path: string): Promise<void> => {
    const why = await harm(join(await realTarget(dirname(path)), basename(path)), path);
    if (why) throw new RunError(`refused: ${why}`);
  };

  return {
    outDir,
    exclude: [realOut],
    screen,
    check,
    get alreadyDone() {
      return alreadyDone;
    },
    get swept() {
      return swept;
    },
  };
}
