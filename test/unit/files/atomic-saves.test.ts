// Saves through symbolic links keep the link and the file's permissions (and owner); a save
// that fails (full disk, file-size limit, link cycle) leaves no temporary; the next save of a
// file removes what killed saves of it left, but never what a live writer is still writing.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupPath, removeStaleTemporaries, writeFileAtomic } from '../../../core/files/atomic';
import { readProjectFile, saveProjectFile } from '../../../core/files/documents';
import { emptyProject } from '../../../core/graph/format/project';

const root = join(import.meta.dirname, '..', '..', '..');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mg-saves-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const temporaries = (d: string) => readdirSync(d).filter((n) => n.endsWith('.tmp') || n.endsWith('.tmp.bak'));
/** A process id that is certainly not running: one of ours that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('saving through symbolic links', () => {
  it('writes the file the link names; the link stays a link and the backup sits beside the file', async () => {
    mkdirSync(join(dir, 'real'));
    mkdirSync(join(dir, 'work'));
    const file = join(dir, 'real', 'p.mgproj.json');
    await saveProjectFile(file, emptyProject('one'));
    const link = join(dir, 'work', 'p.mgproj.json');
    symlinkSync('../real/p.mgproj.json', link);
    await saveProjectFile(link, emptyProject('two'));
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('../real/p.mgproj.json');
    expect(await readProjectFile(link)).toMatchObject({ ok: true, value: { value: { name: 'two' } } });
    expect(JSON.parse(readFileSync(backupPath(file), 'utf8')).name).toBe('one');
    expect(readdirSync(join(dir, 'work'))).toEqual(['p.mgproj.json']);
    expect(readdirSync(join(dir, 'real')).sort()).toEqual(['p.mgproj.json', 'p.mgproj.json.bak']);
  });

  it('follows a chain of relative and absolute links, and a dangling link creates its file', async () => {
    const file = join(dir, 'deep', 'f.json');
    mkdirSync(join(dir, 'deep'));
    writeFileSync(file, 'old');
    symlinkSync(file, join(dir, 'abs'));
    symlinkSync('abs', join(dir, 'rel'));
    await writeFileAtomic(join(dir, 'rel'), 'new');
    expect([lstatSync(join(dir, 'rel')).isSymbolicLink(), lstatSync(join(dir, 'abs')).isSymbolicLink()]).toEqual([true, true]);
    expect(readFileSync(file, 'utf8')).toBe('new');
    symlinkSync('deep/later.json', join(dir, 'dangling'));
    await writeFileAtomic(join(dir, 'dangling'), 'made');
    expect(lstatSync(join(dir, 'dangling')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'deep', 'later.json'), 'utf8')).toBe('made');
    expect(temporaries(dir).concat(temporaries(join(dir, 'deep')))).toEqual([]);
  });

  it('refuses a link cycle with a message, writing nothing', async () => {
    symlinkSync('b', join(dir, 'a'));
    symlinkSync('a', join(dir, 'b'));
    await expect(writeFileAtomic(join(dir, 'a'), 'x')).rejects.toThrow(/too many levels of symbolic links/);
    expect(readdirSync(dir).sort()).toEqual(['a', 'b']);
  });
});

describe('saving keeps the file as the user set it up', () => {
  it.each([0o600, 0o640, 0o444, 0o755])('keeps mode %o, through a link too', async (mode) => {
    const file = join(dir, 'p.json');
    writeFileSync(file, 'old');
    chmodSync(file, mode);
    await writeFileAtomic(file, 'new');
    expect(statSync(file).mode & 0o7777).toBe(mode);
    symlinkSync('p.json', join(dir, 'link'));
    await writeFileAtomic(join(dir, 'link'), 'newer');
    expect(statSync(file).mode & 0o7777).toBe(mode);
    expect(readFileSync(file, 'utf8')).toBe('newer');
  });

  it.skipIf(process.getuid?.() !== 0)('keeps the owner (when the process may set it)', async () => {
    const file = join(dir, 'p.json');
    writeFileSync(file, 'old');
    chownSync(file, 1234, 2345);
    await writeFileAtomic(file, 'new');
    expect([statSync(file).uid, statSync(file).gid]).toEqual([1234, 2345]);
  });
});

describe('temporaries of failed and killed saves', () => {
  it('the next save of a file removes its leftovers from dead writers only', async () => {
    const file = join(dir, 'p.json');
    writeFileSync(file, 'old');
    const dead = deadPid();
    const live: ChildProcess = spawn('sleep', ['30']);
    try {
      const leftovers = [`.p.json.${dead}.0123456789ab.tmp`, `.p.json.${dead}.0123456789ab.tmp.bak`, `.p.json.${dead}.ffffffffffff.tmp`];
      const kept = [
        `.p.json.${live.pid}.0123456789ab.tmp`, // a writer still running
        `.other.json.${dead}.0123456789ab.tmp`, // another file's
        '.p.json.notes.tmp', // not a name a save gives
        `.p.json.${dead}.0123456789ab.tmp.old`,
      ];
      for (const n of [...leftovers, ...kept]) writeFileSync(join(dir, n), '');
      // Written a minute before the live process started: its pid was a dead writer's, since reused.
      const reused = `.p.json.${live.pid}.aaaaaaaaaaaa.tmp`;
      writeFileSync(join(dir, reused), '');
      utimesSync(join(dir, reused), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
      await writeFileAtomic(file, 'new');
      expect(readdirSync(dir).sort()).toEqual(['p.json', 'p.json.bak', ...kept].sort());
      // A run folder's sweep (a new run starting) also leaves the live writer's file alone.
      await removeStaleTemporaries(dir);
      expect(readdirSync(dir).sort()).toEqual(['p.json', 'p.json.bak', `.p.json.${live.pid}.0123456789ab.tmp`, `.p.json.${dead}.0123456789ab.tmp.old`].sort());
    } finally {
      live.kill('SIGKILL');
    }
  });

  it('a save killed after keeping its backup but before replacing the file leaves nothing behind the next save', async () => {
    // The killed save made "p.json.bak" a second name of "p.json" (the same file). The next save
    // links "p.json" to its staging name and renames that over the backup: a rename between two
    // names of one file does nothing, so the staging name stayed, one per such save.
    const file = join(dir, 'p.json');
    writeFileSync(file, 'old');
    linkSync(file, backupPath(file));
    await writeFileAtomic(file, 'new');
    expect(readdirSync(dir).sort()).toEqual(['p.json', 'p.json.bak']);
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(readFileSync(backupPath(file), 'utf8')).toBe('old');
  });

  it('saves killed at random leave temporaries that the next save removes', { timeout: 60_000 }, async () => {
    const file = join(dir, 'p.mgproj.json');
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/fixtures/save-loop.ts'), file], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
      await new Promise<void>((ok) => child.stdout!.once('data', () => ok()));
      await new Promise((r) => setTimeout(r, Math.random() * 40));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    // So the test always has a leftover to clean, whatever the kills hit: one a killed writer made.
    writeFileSync(join(dir, `.p.mgproj.json.${deadPid()}.abcdefabcdef.tmp`), '');
    await saveProjectFile(file, emptyProject('after'));
    expect(temporaries(dir)).toEqual([]);
    expect(await readProjectFile(file)).toMatchObject({ ok: true, value: { value: { name: 'after' } } });
  });

  it('a save that fails for lack of space (a file-size limit) removes its own temporary, every time', () => {
    const file = join(dir, 'p.json');
    writeFileSync(file, 'precious');
    const out = execFileSync('bash', ['-c', `ulimit -f 64 && exec "${process.execPath}" --import tsx test/fixtures/save-until-full.ts "${file}"`], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ errors: ['EFBIG'], left: [] });
    expect(readFileSync(file, 'utf8')).toBe('precious');
  }, 30_000);

  it('on a full disk (a small tmpfs, where it can be mounted) a failed save leaves the file and no temporary', async () => {
    const mnt = join(dir, 'full');
    mkdirSync(mnt);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]).status === 0;
    if (!mounted) return; // needs root and a kernel that allows it; the file-size limit test covers the rest
    try {
      const file = join(mnt, 'p.json');
      writeFileSync(file, 'precious');
      writeFileSync(join(mnt, 'filler'), Buffer.alloc(40_000));
      for (let i = 0; i < 20; i++) await expect(writeFileAtomic(file, 'y'.repeat(30_000))).rejects.toMatchObject({ code: 'ENOSPC' });
      expect(readdirSync(mnt).sort()).toEqual(['filler', 'p.json']);
      expect(readFileSync(file, 'utf8')).toBe('precious');
    } finally {
      spawnSync('umount', [mnt]);
    }
  });
});
