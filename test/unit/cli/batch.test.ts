import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readXmp } from '../../../core/data/images';
import { parseProvenanceXmp } from '../../../core/graph/format/provenance';
import { type Fault, tinyDisk } from '../../helpers/disk-faults';
import { tinyProject, writeTinyProject } from '../../helpers/projects';

const root = new URL('../../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mg-batch-'));
const inputs = join(dir, 'in');
const cli = (...args: string[]) =>
  promisify(execFile)(process.execPath, [join(root, 'bin/modulargan.mjs'), 'batch', 'tiny.mgproj.json', '-q', ...args], { cwd: dir }).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
const png = (w: number, h: number, v: number) => sharp(Buffer.alloc(w * h * 3, v), { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
const hashes = () =>
  Object.fromEntries(
    (readdirSync(inputs, { recursive: true }) as string[]).sort().map((f) => {
      const p = join(inputs, f);
      try {
        return [f, createHash('sha256').update(readFileSync(p)).digest('hex')];
      } catch {
        return [f, 'dir'];
      }
    }),
  );

beforeAll(async () => {
  mkdirSync(join(inputs, 'sub'), { recursive: true });
  writeFileSync(join(inputs, 'a.png'), await png(16, 16, 10));
  writeFileSync(join(inputs, 'b.png'), await png(40, 25, 80)); // another size: cropped and resized
  writeFileSync(join(inputs, 'c.jpg'), await sharp(await png(20, 20, 200)).jpeg().toBuffer());
  writeFileSync(join(inputs, 'corrupt.png'), Buffer.from('\x89PNG\r\n\x1a\nbroken'));
  writeFileSync(join(inputs, 'notes.txt'), 'not an image');
  writeFileSync(join(inputs, 'tiny.png'), await png(3, 3, 50)); // too small for a 16 px model
  writeFileSync(join(inputs, 'sub', 'd.png'), await png(16, 16, 120));
  writeTinyProject(dir, 'in');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('modulargan batch', () => {
  it('runs a messy folder to the end, reporting every file it could not use, and never touches inputs', async () => {
    const before = hashes();
    const r = await cli('-i', 'in', '-o', 'out', '--recursive');
    expect(r.code).toBe(2);
    expect(hashes()).toEqual(before);
    const report = JSON.parse(readFileSync(join(dir, 'out', 'batch-report.json'), 'utf8'));
    expect(report).toMatchObject({ finished: true, processed: 4, written: 4, alreadyDone: 0, failed: [] });
    expect(report.skipped).toEqual([
      { file: 'corrupt.png', reason: expect.stringMatching(/^cannot decode it as an image/) },
      { file: 'notes.txt', reason: 'not an image file' },
      { file: 'tiny.png', reason: 'is too small (3×3; needs at least 8 pixels on its shorter side)' },
    ]);
    expect((readdirSync(join(dir, 'out'), { recursive: true }) as string[]).sort()).toEqual(['a.png', 'b.png', 'batch-report.json', 'c.png', 'sub', 'sub/d.png']);
    expect(r.out).toContain('skipped corrupt.png: cannot decode it as an image');
  });

  it('resumes with --skip-existing and keeps existing outputs otherwise', async () => {
    rmSync(join(dir, 'out', 'b.png'));
    const again = await cli('-i', 'in', '-o', 'out', '--recursive', '--skip-existing');
    const report = JSON.parse(readFileSync(join(dir, 'out', 'batch-report.json'), 'utf8'));
    expect(report).toMatchObject({ processed: 1, alreadyDone: 3, written: 1 });
    expect(again.code).toBe(2); // the unusable files are still reported
    const keep = await cli('-i', 'in', '-o', 'out', '--recursive', '--glob', '*.png');
    expect(keep.out).toContain('a.png: already exists, not overwritten (use --overwrite)');
    expect(JSON.parse(readFileSync(join(dir, 'out', 'batch-report.json'), 'utf8')).skipped.map((s: { file: string }) => s.file)).toEqual(['corrupt.png', 'tiny.png']);
  });

  it('stops at the first problem with --stop-on-error', async () => {
    const r = await cli('-i', 'in', '-o', 'stop', '--stop-on-error', '--batch', '1');
    const report = JSON.parse(readFileSync(join(dir, 'stop', 'batch-report.json'), 'utf8'));
    expect(report.finished).toBe(false);
    expect(report.skipped.length).toBeGreaterThanOrEqual(1);
    expect(report.processed).toBeLessThan(4);
    expect(r.code).toBe(2);
  });

  it('embeds provenance that restores the graph that made the image', async () => {
    const xmp = await readXmp(readFileSync(join(dir, 'out', 'a.png')));
    const p = parseProvenanceXmp(xmp!);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.value.graph).toEqual(JSON.parse(JSON.stringify(tinyProject('in').graph)));
    expect(p.value).toMatchObject({ seed: 0, input: 'a.png', modules: { E: { source: 'seeded', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } } });
    expect(Object.keys(p.value.modules).sort()).toEqual(['E', 'R', 'T']);
    expect(parseProvenanceXmp('<x/>')).toMatchObject({ ok: false, errors: [{ message: 'the image carries no ModularGAN provenance' }] });
  });

  it('refuses to write into its input folder', async () => {
    expect(await cli('-i', 'in', '-o', 'in')).toMatchObject({ code: 1, out: expect.stringContaining('must not be the input folder') });
  });
});

describe('modulargan batch and symbolic links', () => {
  it('never writes through a symbolic link out of the output folder', async () => {
    const { symlinkSync, existsSync } = await import('node:fs');
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    mkdirSync(join(dir, 'linked-out'));
    symlinkSync(outside, join(dir, 'linked-out', 'sub'));
    const r = await cli('-i', 'in', '-o', 'linked-out', '--recursive');
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/sub\/d\.png: refused: .*symbolic link/);
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(join(dir, 'linked-out', 'a.png'))).toBe(true);
  });
});

describe('modulargan batch on a disk that cannot take the outputs (issue 18.12)', () => {
  const full = join(dir, 'full');
  const disk: Fault | string = tinyDisk(full, 48);
  afterAll(() => typeof disk !== 'string' && disk.undo());

  it('says in one line that the output folder is a file, before running', async () => {
    writeFileSync(join(dir, 'taken'), 'not a folder');
    const r = await cli('-i', 'in', '-o', 'taken');
    expect(r.code).toBe(1);
    expect(r.out.trim()).toBe(`error: the output folder ${join(dir, 'taken')} is a file, not a folder; choose a folder for the outputs`);
  });

  it.skipIf(typeof disk === 'string')('stops when the disk fills up, prints the per-file report and why the report file is missing, and no stack trace', async () => {
    const many = join(dir, 'many');
    mkdirSync(many);
    for (let i = 0; i < 30; i++) writeFileSync(join(many, `${String(i).padStart(2, '0')}.png`), await png(16, 16, i * 8));
    const r = await cli('-i', 'many', '-o', join(full, 'out'), '--batch', '4');
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/^not written .*\.png: no space left on the disk \(ENOSPC\)$/m);
    expect(r.out).toMatch(/^stopped: no space left on the disk \(ENOSPC\), writing .*\.png; resume with --skip-existing once it is mended$/m);
    expect(r.out).toMatch(/^report not written: .*batch-report\.json: no space left on the disk \(ENOSPC\)$/m);
    expect(r.out).not.toMatch(/\n\s+at /);
    expect(readdirSync(join(full, 'out')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
