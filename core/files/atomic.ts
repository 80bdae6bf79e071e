// Saving without ever leaving a torn file: write a temporary file beside the target, flush
// it to disk, keep the previous version as "<name>.bak", then rename over the target.
// A crash at any moment leaves the target either wholly old or wholly new.

import { randomBytes } from 'node:crypto';
import { copyFile, link, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Keep the file being replaced as `<path>.bak` (default true). */
  readonly backup?: boolean;
}

export const backupPath = (path: string): string => `${path}.bak`;

export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    if (opts.backup ?? true) await keepBackup(path, `${tmp}.bak`);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    await rm(`${tmp}.bak`, { force: true });
    throw e;
  }
  await syncDir(dir);
}

/** Points `<path>.bak` at the current file, atomically; nothing to do for a new file. */
async function keepBackup(path: string, staging: string): Promise<void> {
  try {
    await link(path, staging);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    // File systems without hard links: copy instead (slower, same guarantees).
    await copyFile(path, staging);
    const fh = await open(staging, 'r+');
    await fh.sync();
    await fh.close();
  }
  await rename(staging, backupPath(path));
}

/**
 * Removes what writes interrupted by a crash left in `dir`: hidden "*.tmp" files and folders
 * (ours: writeFileAtomic's and checkpoints'). Only for folders one process writes at a time.
 */
export async function removeStaleTemporaries(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) if (n.startsWith('.') && (n.endsWith('.tmp') || n.endsWith('.tmp.bak'))) await rm(join(dir, n), { recursive: true, force: true });
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
