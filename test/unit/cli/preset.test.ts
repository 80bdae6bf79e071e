import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWeightsFile } from '../../../core/files/weights-file';
import { serializeDocument } from '../../../core/graph/format/migrate';
import { createModule } from '../../../core/modules/create';
import { tinyProject } from '../../helpers/projects';
import { useCpuBackend } from '../../helpers/tf';

const root = new URL('../../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mg-preset-cli-'));
const cli = (...args: string[]) =>
  promisify(execFile)(process.execPath, [join(root, 'bin/modulargan.mjs'), ...args], { cwd: dir }).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

beforeAll(async () => {
  await useCpuBackend();
  mkdirSync(join(dir, 'in'));
  mkdirSync(join(dir, 'weights'));
  for (const n of ['a', 'b']) writeFileSync(join(dir, 'in', `${n}.png`), await sharp(Buffer.alloc(16 * 16 * 3, n.charCodeAt(0)), { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer());
  const p = tinyProject('in');
  const T = createModule('transformer', p.graph.nodes.find((n) => n.id === 'T')!.params, 11);
  await writeWeightsFile(join(dir, 'weights', 'hair.mgw'), T);
  T.dispose();
  const graph = { ...p.graph, nodes: p.graph.nodes.map((n) => (n.id === 'T' ? { ...n, params: { ...n.params, weights: 'weights/hair.mgw' } } : n)) };
  writeFileSync(join(dir, 'p.mgproj.json'), serializeDocument({ ...p, graph }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('modulargan preset', () => {
  it('exports a bundle with weights that runs exactly like the project', async () => {
    const exp = await cli('preset', 'export', 'p.mgproj.json', '-o', 'hair.mgpreset', '--with-weights', '--param', 'c.values=Target hair');
    expect(exp).toMatchObject({ code: 0, out: expect.stringContaining("preset 'tiny' (6 nodes; exposes 0 inputs, 0 outputs, 1 parameters)") });
    expect((await cli('batch', 'p.mgproj.json', '-q', '-i', 'in', '-o', 'from-project')).code).toBe(0);
    expect((await cli('batch', 'hair.mgpreset', '-q', '-i', 'in', '-o', 'from-preset')).code).toBe(0);
    for (const n of ['a.png', 'b.png']) {
      const a = await sharp(readFileSync(join(dir, 'from-project', n))).raw().toBuffer();
      const b = await sharp(readFileSync(join(dir, 'from-preset', n))).raw().toBuffer();
      expect(b.equals(a), n).toBe(true);
    }
    expect(await cli('validate', 'hair.mgpreset')).toMatchObject({ code: 0, out: expect.stringContaining('valid preset') });
  });

  it('imports a bundle into a new folder, and refuses a damaged one', async () => {
    expect(await cli('preset', 'import', 'hair.mgpreset', '--into', 'presets')).toMatchObject({ code: 0, out: expect.stringContaining(`unpacked into ${join(dir, 'presets', 'tiny')}`) });
    const bytes = readFileSync(join(dir, 'hair.mgpreset'));
    bytes[bytes.length - 200]! ^= 0xff; // damage the central directory or the data
    writeFileSync(join(dir, 'bad.mgpreset'), bytes);
    const bad = await cli('preset', 'import', 'bad.mgpreset', '--into', 'presets');
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/bad\.mgpreset: error: /);
  });
});
