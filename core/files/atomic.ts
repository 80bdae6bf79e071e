// Saving without ever leaving a torn file: write a temporary file beside the target, flush
// it to disk, keep the previous version as "<name>.bak", then rename over the target.
// A crash at any moment leaves the target either wholly old or wholly new.
//
// The target is what the path finally points at: saving through a symbolic link writes the
// file it names (the link stays a link, the backup sits beside the real file), and the new
// file keeps the old one's permissions and, where the process may set it, its owner.
// Temporaries carry the writer's process id, so a later save of the same file can tell the
// leftovers of a killed writer (removed) from those of one still writing (kept).

import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { copyFile, link, lstat, open, readdir, readlink, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { writerRunning } from './process-alive';

export interface AtomicWriteOptions {
  /** Keep the file being replaced as `<path>.bak` (default true). */
  readonly backup?: boolean;
  /** The file's permissions, set exactly (a file of secrets: 0o600); default: the replaced file's, else 0o666 less the umask. */
  readonly mode?: number;
}

export const backupPath = (path: string): string => `${path}.bak`;

/** Temporaries this process is writing right now: never stale, whatever their name says. */
const writing = new Set<string>();

/** A bound on link chains, as the kernel's own (ELOOP) for the same reason: a cycle. */
const MAX_LINKS = 40;

/**
 * The file a path finally names, following symbolic links (also one that dangles: saving
 * through it creates the file it points at, as any editor's save does).
 */
export async function saveTarget(path: string): Promise<string> {
  let p = resolve(path);
  for (let i = 0; i < MAX_LINKS; i++) {
    const st = await lstat(p).catch(() => undefined);
    if (!st?.isSymbolicLink()) return p;
    p = resolve(dirname(p), await readlink(p));
  }
  throw new Error(`${path}: too many levels of symbolic links (a link cycle?)`);
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const target = await saveTarget(path);
  const dir = dirname(target);
  await removeStaleTemporariesOf(target);
  const before: Stats | undefined = await stat(target).catch(() => undefined);
  const keep = before?.isFile() ? before : undefined;
  const tmp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  writing.add(tmp);
  try {
    const fh = await open(tmp, 'wx', opts.mode ?? (keep ? keep.mode & 0o7777 : 0o666));
    try {
      // open's mode passes through the umask; the old file's permissions (or those asked for) are set exactly.
      if (opts.mode !== undefined) await fh.chmod(opts.mode);
      else if (keep) await fh.chmod(keep.mode & 0o7777);
      if (keep && (keep.uid !== process.getuid?.() || keep.gid !== process.getgid?.())) await fh.chown(keep.uid, keep.gid).catch(() => undefined); // only root may give a file away
      await fh.writeFile(data);
      await fh.sync();
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
    await fh.close();
    if ((opts.backup ?? true) && keep) await keepBackup(target, `${tmp}.bak`);
    await rename(tmp, target);
  } catch (e) {
    // Whatever failed (a full disk, an I/O error, a folder in the way), no temporary stays.
    await rm(tmp, { force: true }).catch(() => undefined);
    await rm(`${tmp}.bak`, { force: true }).catch(() => undefined);
    throw e;
  } finally {
    writing.delete(tmp);
  }
  await syncDir(dir);
}

/** Points `<path>.bak` at the current file, atomically. */
async function keepBackup(path: string, staging: string): Promise<void> {
  try {
    await link(path, staging);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    // File systems without hard links: copy instead (slower, same guarantees).
    await copyFile(path, staging);
    const fh = await open(staging, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
  await rename(staging, backupPath(path));
  // A save killed between keeping its backup and replacing the file leaves the backup a second
  // name of the file itself; renaming one name of a file over another does nothing (POSIX), so
  // the staging name would stay. The backup is already the right file then.
  await rm(staging, { force: true });
}

/** When a file was last written; undefined when it is gone (then nothing is left to judge). */
const mtimeOf = (path: string): Promise<number | undefined> => lstat(path).then((st) => st.mtimeMs, () => undefined);

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Removes the temporaries that earlier saves of `target` left when they were killed or
 * failed: only names writeFileAtomic gives this file, and only those whose writer is gone.
 * Never fails a save: a leftover it cannot remove stays for the next one.
 */
export async function removeStaleTemporariesOf(target: string): Promise<void> {
  const dir = dirname(target);
  const mine = new RegExp(`^\\.${escapeRegExp(basename(target))}\\.(\\d+)\\.[0-9a-f]{12}\\.tmp(\\.bak)?$`);
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) {
    const m = mine.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    const stale = pid === process.pid ? !writing.has(join(dir, n.replace(/\.bak$/, ''))) : !writerRunning(pid, await mtimeOf(join(dir, n)));
    if (stale) await rm(join(dir, n), { force: true }).catch(() => undefined);
  }
}

/**
 * Removes what writes interrupted by a crash left in `dir`: hidden "*.tmp" files and folders
 * (ours: writeFileAtomic's and checkpoints'). Only for folders one process writes at a time;
 * even so, a save of another process still running is left alone.
 */
export async function removeStaleTemporaries(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) {
    if (!n.startsWith('.') || !(n.endsWith('.tmp') || n.endsWith('.tmp.bak'))) continue;
    const pid = /\.(\d+)\.[0-9a-f]{12}\.tmp(\.bak)?$/.exec(n)?.[1];
    if (pid !== undefined && (Number(pid) === process.pid ? writing.has(join(dir, n.replace(/\.bak$/, ''))) : writerRunning(Number(pid), await mtimeOf(join(dir, n))))) continue;
    await rm(join(dir, n), { recursive: true, force: true });
  }
}

/** Makes the renames themselves durable; some platforms cannot open a folder, which is fine. */
export async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Not supported here (e.g. Windows); the rename is still atomic.
  } finally {
    await fh?.close();
  }
}
