// Temporary files of whole-file writes, named so that a later run can tell its own leftovers
// from a write in flight: ".<name>.<pid>.<12 hex>.tmp" (writeFileAtomic's pattern too). A
// process killed mid-write (or a disk that filled up) leaves them behind; they are swept when
// the process that made them is gone, or when they are older than any write could take.

import { randomBytes } from 'node:crypto';
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writerRunning } from './process-alive';

/** The hidden name a whole-file write of `name` stages its bytes under, beside the target. */
export const temporaryName = (name: string): string => `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;

// ".<name>.<pid>.<hex>.tmp", and ".<name>.<hex>.tmp" from versions that did not record the pid.
const WITH_PID = /^\..+\.(\d{1,10})\.[0-9a-f]{12}\.tmp$/;
const WITHOUT_PID = /^\..+\.[0-9a-f]{12}\.tmp$/;

/** No whole-file write takes this long, so an older temporary file is a leftover even if its pid was reused. */
export const STALE_AFTER_MS = 60 * 60 * 1000;

export interface SweepOptions {
  /**
   * Every process that wrote into these folders is known to be done (a queued batch whose jobs
   * have all ended): files older than this many milliseconds are leftovers whatever their pid
   * says, which on another machine means nothing here.
   */
  readonly writersDoneAfterMs?: number;
}

/**
 * Removes the leftover temporary files of our whole-file writes in `dirs` (not below them):
 * only files named by our pattern, only when their writer is no longer running or they are
 * older than an hour. Returns what it removed; folders that cannot be read are passed over.
 */
export async function sweepStaleTemporaries(dirs: Iterable<string>, now = Date.now(), opts: SweepOptions = {}): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of new Set(dirs)) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!WITHOUT_PID.test(name) && !WITH_PID.test(name)) continue;
      const path = join(dir, name);
      const st = await lstat(path).catch(() => null);
      if (!st?.isFile()) continue;
      const pid = WITH_PID.exec(name)?.[1];
      const old = now - st.mtimeMs > (opts.writersDoneAfterMs ?? STALE_AFTER_MS);
      if (old || (pid !== undefined && !writerRunning(Number(pid), st.mtimeMs))) {
        await rm(path, { force: true }).catch(() => undefined);
        removed.push(path);
      }
    }
  }
  return removed;
}
