import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { readProjectFile } from '../../core/files/documents';
import { writeTinyProject } from '../helpers/projects';

// Processes are killed with SIGKILL at random moments; what they leave must be whole.

const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mg-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a process and resolves once it has printed `lines` lines. */
function startUntil(args: string[], lines: number, cwd = root): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = 0;
    child.stdout!.on('data', (d: Buffer) => {
      seen += d.toString().split('\n').length - 1;
      if (seen >= lines) resolve(child);
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`exited early (${code})`)));
  });
}

describe('crash safety', () => {
  it('a project killed mid-save is the old or the new version, never torn, and its backup loads', async () => {
    const file = join(dir, 'p.mgproj.json');
    for (let round = 0; round < 8; round++) {
      // One process (tsx as an import hook, not its CLI, which would run the script in a child).
      const child = await startUntil(['--import', 'tsx', join(root, 'test/fixtures/save-loop.ts'), file], 2);
      await sleep(Math.random() * 60);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const main = await readProjectFile(file);
      expect(main.ok, `round ${round}: ${!main.ok && JSON.stringify(main.errors)}`).toBe(true);
      const bak = await readProjectFile(`${file}.bak`);
      expect(bak.ok, `round ${round} backup`).toBe(true);
      // Temporary files of an interrupted save may remain; they never replace the project.
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.tmp') || n.endsWith('.tmp.bak'))) rmSync(join(dir, f));
    }
  }, 120_000);

  it('a batch run killed at random (also between an image and its mask) completes with --skip-existing, quietly, and leaves no broken output, no temporary file and a report of what it did', async () => {
    const inputs = join(dir, 'in');
    mkdirSync(inputs);
    // Enough inputs that a fast machine is still mid-run when the kill lands.
    const count = 160;
    for (let i = 0; i < count; i++)
      writeFileSync(join(inputs, `${String(i).padStart(3, '0')}.png`), await sharp(Buffer.alloc(16 * 16 * 3, i % 256), { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer());
    writeTinyProject(dir, 'in');
    const cli = join(root, 'bin/modulargan.mjs');
    // With --masks each item is two files, written one after the other: a kill can land between them.
    const args = [cli, 'batch', 'tiny.mgproj.json', '-i', 'in', '-o', 'out', '--batch', '2', '--skip-existing', '--masks'];
    const pngs = (sub = '') => (existsSync(join(dir, 'out', sub)) ? readdirSync(join(dir, 'out', sub)).filter((f) => f.endsWith('.png')) : []);
    // Kill it twice at random points after it has started writing (and written its report), then let it finish.
    const afterKill: number[] = [];
    for (let k = 0; k < 2; k++) {
      const child = spawn(process.execPath, args, { cwd: dir, stdio: 'ignore' });
      const started = Date.now();
      while (Date.now() - started < 20_000 && !(pngs().length > 2 + k * 10 && existsSync(join(dir, 'out', 'batch-report.json')))) await sleep(20);
      await sleep(Math.random() * 40);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      afterKill.push(pngs().length);
      // The report is rewritten as the run goes: a killed run leaves one, saying it did not finish.
      const report = JSON.parse(readFileSync(join(dir, 'out', 'batch-report.json'), 'utf8'));
      expect(report, `kill ${k}`).toMatchObject({ finished: false, failed: [], skipped: [] });
    }
    expect(afterKill[0], 'the first kill must land mid-run').toBeLessThan(count);
    const run = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    run.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const done = await new Promise<number>((resolve) => run.once('exit', (c) => resolve(c ?? -1)));
    expect(done, out).toBe(0);
    expect(out).not.toMatch(/^not written /m);
    expect(pngs().sort()).toEqual(readdirSync(inputs).sort());
    expect(pngs(join('masks', 'hair')).sort()).toEqual(readdirSync(inputs).sort());
    for (const f of pngs()) {
      const meta = await sharp(readFileSync(join(dir, 'out', f))).metadata();
      expect([meta.width, meta.height], f).toEqual([16, 16]);
    }
    for (const sub of ['', join('masks', 'hair')]) expect(readdirSync(join(dir, 'out', sub)).filter((f) => f.endsWith('.tmp')), sub || 'out').toEqual([]);
    expect(JSON.parse(readFileSync(join(dir, 'out', 'batch-report.json'), 'utf8'))).toMatchObject({ finished: true, failed: [] });
  }, 120_000);
});
