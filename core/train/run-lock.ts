// One writer per run folder, across processes: `train p` beside `train p --resume`, or the
// command line beside the studio, would otherwise both append to the same log and race to
// write and prune the same checkpoints. The writer holds <run>/run.lock, which names it (pid,
// host, start time, command); another writer is refused with that name.
//
// Taking the lock is one link(2) of a complete temporary file onto run.lock: atomic, fails if
// the lock exists, and never shows a half-written lock. A lock whose process is gone (same
// host, pid dead or reused) is stale and is taken over; two processes taking over the same
// stale lock must not both win, so the takeover is itself guarded by a lock named after the
// stale holder's token (run.lock.<token>.takeover), taken the same way: only its holder may
// replace that generation of run.lock (by rename, after checking it is still that one).

import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { procStat, startTicks } from '../files/process-alive';

export const LOCK_FILE = 'run.lock';

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** ISO time the lock was taken. */
  readonly startedAt: string;
  /** What writes: "modulargan train faces.mgproj.json --resume", "the studio's Training tab". */
  readonly command: string;
  /** Unique per lock taken: tells this lock from a later one of the same pid. */
  readonly token: string;
  /** The process's start time in clock ticks since boot (Linux), to tell a reused pid. */
  readonly processStart?: string;
}

/** Another process writes the run folder (or its lock cannot be read). */
export class RunFolderBusyError extends Error {
  constructor(
    message: string,
    readonly holder?: LockHolder,
  ) {
    super(message);
  }
}

export interface RunLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Removes the lock if it is still ours; safe to call twice. */
  release(): Promise<void>;
}

/** The locks this process holds, removed on exit however it ends (process.exit after a second Ctrl+C). */
const held = new Map<string, string>();
let exitHook = false;

/** Whether the holder's process still runs; only answerable on the same host. */
function alive(h: LockHolder): boolean {
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false; // ESRCH: gone
  }
  const stat = procStat(h.pid);
  if (stat?.[0] === 'Z') return false; // killed, not yet reaped by its parent
  // The pid was reused by another process since the lock was taken.
  if (h.processStart && stat && stat[19] !== h.processStart) return false;
  return true;
}

const describeHolder = (h: LockHolder): string => `pid ${h.pid} (${h.command}, started ${h.startedAt}) on host ${h.host}`;

async function readHolder(file: string): Promise<LockHolder | undefined | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return 'unreadable';
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    return typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.token === 'string' ? h : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** A complete copy of our lock under a name of its own, to link or rename into place. */
async function draft(dir: string, holder: LockHolder): Promise<string> {
  const tmp = join(dir, `.${LOCK_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.new`);
  await writeFile(tmp, `${JSON.stringify(holder)}\n`, { flag: 'wx' });
  return tmp;
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/**
 * Takes `file` for `holder`, or throws RunFolderBusyError naming the live holder. A stale
 * holder is replaced, guarded by `file.<its token>.takeover` (taken by this same function).
 */
async function take(dir: string, file: string, holder: LockHolder, what: string, depth: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const tmp = await draft(dir, holder);
    try {
      try {
        await link(tmp, file);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const current = await readHolder(file);
      if (current === undefined) continue; // released meanwhile: try again
      if (current === 'unreadable')
        throw new RunFolderBusyError(`${what} is locked by ${file}, which cannot be read; if no training writes ${dir}, delete that file`);
      if (current.host !== holder.host)
        throw new RunFolderBusyError(`${what} is being written by ${describeHolder(current)}; if nothing runs there any more, delete ${file}`, current);
      if (alive(current)) throw new RunFolderBusyError(`${what} is being written by ${describeHolder(current)}`, current);
      if (depth >= 3) throw new RunFolderBusyError(`${what}: its stale lock ${file} is being taken over by another process; try again`);
      // Stale. Only the holder of the takeover guard may replace this generation of the lock.
      const guard = `${file}.${current.token.replace(/[^\w-]/g, '')}.takeover`;
      try {
        await take(dir, guard, holder, what, depth + 1);
      } catch (e) {
        if (!(e instanceof RunFolderBusyError) || attempt > 100) throw e;
        // Another live process is taking over right now: once it has, the lock names it.
        await sleep(20);
        continue;
      }
      try {
        const again = await readHolder(file);
        if (again !== undefined && again !== 'unreadable' && again.token === current.token) {
          await rename(tmp, file);
          return;
        }
      } finally {
        await unlink(guard).catch(() => undefined);
      }
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }
}

/**
 * Makes this process the one writer of run folder `dir` (which must exist), or throws
 * RunFolderBusyError: "run folder X is being written by pid 1234 (modulargan train …,
 * started …) on host H". Release the lock when done; it is also removed if the process exits.
 */
export async function lockRunFolder(dir: string, command: string): Promise<RunLock> {
  const file = join(dir, LOCK_FILE);
  const start = startTicks(process.pid);
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    command,
    token: `${process.pid}-${Date.now()}-${randomBytes(8).toString('hex')}`,
    ...(start ? { processStart: start } : {}),
  };
  await take(dir, file, holder, `run folder ${dir}`, 0);
  held.set(file, holder.token);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const [f, token] of held) {
        try {
          if ((JSON.parse(readFileSync(f, 'utf8')) as LockHolder).token === token) unlinkSync(f);
        } catch {
          // already gone
        }
      }
    });
  }
  let released = false;
  return {
    file,
    holder,
    async release() {
      if (released) return;
      released = true;
      // Only ours: after a takeover (we were thought dead) the file names someone else.
      const current = await readHolder(file);
      if (current !== undefined && current !== 'unreadable' && current.token === holder.token) await unlink(file).catch(() => undefined);
      // Only now: an exit (a second Ctrl+C) while this was under way must still remove the lock.
      held.delete(file);
    },
  };
}

/** The holder of a run folder's lock, if a live process holds it (for front ends that want to say so early). */
export async function runFolderHolder(dir: string): Promise<LockHolder | undefined> {
  const h = await readHolder(join(dir, LOCK_FILE));
  if (h === undefined || h === 'unreadable') return undefined;
  return h.host !== hostname() || alive(h) ? h : undefined;
}
