// The run folder's lock in one process: who counts as holding it (a live pid on this host; not
// a dead one, a zombie or a reused pid; a lock from another host is never guessed about), what
// a refusal says, and that many takeovers of one stale lock at once leave exactly one holder.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_FILE, RunFolderBusyError, lockRunFolder, runFolderHolder } from '../../../core/train/run-lock';

const folder = () => mkdtempSync(join(tmpdir(), 'mg-lock-'));
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid;
const writeLock = (dir: string, fields: Record<string, unknown>) =>
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: '2026-01-01T00:00:00.000Z', command: 'modulargan train old', token: 'old', ...fields }));
const holderOf = (dir: string) => JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number; token: string; command: string };

describe('run folder lock', () => {
  it('is held once, refused with the holder named, and released', async () => {
    const dir = folder();
    const lock = await lockRunFolder(dir, 'modulargan train a.mgproj.json');
    expect(holderOf(dir)).toMatchObject({ pid: process.pid, command: 'modulargan train a.mgproj.json' });
    const refusal = lockRunFolder(dir, 'modulargan train a.mgproj.json --resume');
    await expect(refusal).rejects.toThrow(RunFolderBusyError);
    await expect(refusal).rejects.toThrow(
      new RegExp(`^run folder ${dir} is being written by pid ${process.pid} \\(modulargan train a\\.mgproj\\.json, started \\d{4}-[\\d-]+T[\\d:.]+Z\\) on host ${hostname()}$`),
    );
    expect((await runFolderHolder(dir))?.pid).toBe(process.pid);
    await lock.release();
    await lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(await runFolderHolder(dir)).toBeUndefined();
  });

  it("takes over a dead process's lock, and a reused pid's", async () => {
    const dead = folder();
    writeLock(dead, {});
    expect(await runFolderHolder(dead)).toBeUndefined();
    const a = await lockRunFolder(dead, 'new');
    expect(holderOf(dead)).toMatchObject({ pid: process.pid, command: 'new' });
    await a.release();
    // A live pid that started at another time than the lock says is not the process that took it.
    const reused = folder();
    writeLock(reused, { pid: process.pid, processStart: '1' });
    const b = await lockRunFolder(reused, 'new');
    expect(holderOf(reused).token).not.toBe('old');
    await b.release();
  });

  it('never guesses about another host, and names a lock it cannot read', async () => {
    const other = folder();
    writeLock(other, { host: 'elsewhere', pid: 4242 });
    await expect(lockRunFolder(other, 'x')).rejects.toThrow(/is being written by pid 4242 \(modulargan train old, started .*\) on host elsewhere; if nothing runs there any more, delete .*run\.lock$/);
    const torn = folder();
    writeFileSync(join(torn, LOCK_FILE), '{"pid":');
    await expect(lockRunFolder(torn, 'x')).rejects.toThrow(new RegExp(`is locked by ${join(torn, LOCK_FILE)}, which cannot be read; if no training writes ${torn}, delete that file$`));
  });

  it('of many takeovers of one stale lock at once, exactly one wins; the old handle cannot remove the new lock', async () => {
    const dir = folder();
    writeLock(dir, {});
    const tries = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => lockRunFolder(dir, `taker ${i}`)));
    const won = tries.filter((t) => t.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const t of tries) if (t.status === 'rejected') expect(t.reason).toBeInstanceOf(RunFolderBusyError);
    const lock = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof lockRunFolder>>>).value;
    expect(holderOf(dir).token).toBe(lock.holder.token);
    // Nothing but the lock is left behind by the race.
    expect(spawnSync('ls', ['-A', dir]).stdout.toString().trim()).toBe(LOCK_FILE);
    // Someone took the lock over (thinking us dead): our release leaves theirs alone.
    writeLock(dir, { pid: process.pid, token: 'theirs' });
    await lock.release();
    expect(holderOf(dir).token).toBe('theirs');
  });
});
