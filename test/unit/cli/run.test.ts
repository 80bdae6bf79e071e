import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../helpers/fingerprint';
import { addonBuilt } from '../../helpers/native';
import { writeTinyProject } from '../../helpers/projects';

const root = new URL('../../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mg-run-'));
const cli = (...args: string[]) =>
  promisify(execFile)(process.execPath, [join(root, 'bin/modulargan.mjs'), ...args], { cwd: dir }).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

beforeAll(async () => {
  mkdirSync(join(dir, 'faces'));
  for (const n of ['a', 'b', 'c'])
    await sharp(Buffer.alloc(30 * 20 * 3, n.charCodeAt(0)), { raw: { width: 30, height: 20, channels: 3 } }).jpeg().toFile(join(dir, 'faces', `${n}.jpg`));
  writeTinyProject(dir, 'faces');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('modulargan run', () => {
  it('writes one PNG per input image, and the masks with --masks', async () => {
    const r = await cli('run', 'tiny.mgproj.json', '-o', 'out', '--masks', '-q');
    // auto: the native backend where its addon is built (faster than onnxruntime there), else onnxruntime.
    expect(r.out).toMatch(addonBuilt ? /3 item\(s\) in .* with tfjs native/ : /3 item\(s\) in .* with onnxruntime/);
    expect(r.code).toBe(0);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['a.png', 'b.png', 'c.png', 'masks']);
    expect(readdirSync(join(dir, 'out', 'masks', 'hair')).sort()).toEqual(['a.png', 'b.png', 'c.png']);
    const meta = await sharp(join(dir, 'out', 'a.png')).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([16, 16, 3]);
  });

  it('never overwrites existing outputs unless asked, and exits 2 when something was not written', async () => {
    const again = await cli('run', 'tiny.mgproj.json', '-o', 'out', '-q');
    expect(again.code).toBe(2);
    expect(again.out).toContain('already exists, not overwritten (use --overwrite)');
    expect((await cli('run', 'tiny.mgproj.json', '-o', 'out', '-q', '--overwrite')).code).toBe(0);
  });

  it('gives the same images on the tfjs cpu backend as on the engine auto picks', async () => {
    expect((await cli('run', 'tiny.mgproj.json', '-o', 'cpu', '-q', '--backend', 'cpu', '-i', 'faces/a.jpg')).code).toBe(0);
    const a = await sharp(join(dir, 'out', 'a.png')).raw().toBuffer();
    const b = await sharp(join(dir, 'cpu', 'a.png')).raw().toBuffer();
    expect(Math.max(...a.map((x, i) => Math.abs(x - b[i]!)))).toBeLessThanOrEqual(1);
  });

  it('explains what is wrong with its arguments', async () => {
    expect(await cli('run', 'tiny.mgproj.json', '-o', 'x', '-i', 'nope=faces')).toMatchObject({ code: 1, out: expect.stringContaining("--input: the graph has no image input 'nope'") });
    expect(await cli('run', 'tiny.mgproj.json', '-o', 'x', '-i', 'missing-folder')).toMatchObject({ code: 1, out: expect.stringContaining("Image input 'img': ") });
    expect(await cli('run', 'tiny.mgproj.json', '-o', 'x', '--backend', 'quantum')).toMatchObject({ code: 1, out: expect.stringContaining('--backend must be') });
  });

  it('never writes into its input folder, and says in one line when the output folder is a file (issue 18)', async () => {
    const before = fingerprint(join(dir, 'faces'));
    const same = await cli('run', 'tiny.mgproj.json', '-i', 'faces', '-o', 'faces', '--overwrite', '-q');
    expect(same.code).toBe(1);
    expect(same.out).toContain(`error: the output folder ${join(dir, 'faces')} must not be the input folder ${join(dir, 'faces')}`);
    expect(fingerprint(join(dir, 'faces'))).toEqual(before);
    writeFileSync(join(dir, 'taken.png'), 'not a folder');
    const file = await cli('run', 'tiny.mgproj.json', '-o', 'taken.png', '-q');
    expect(file.code).toBe(1);
    expect(file.out).toContain(`error: the output folder ${join(dir, 'taken.png')} is a file, not a folder; choose a folder for the outputs`);
    expect(file.out).not.toContain('already exists');
    expect(file.out).not.toMatch(/\n\s+at /);
  });
});
