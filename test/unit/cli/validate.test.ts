import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../../', import.meta.url).pathname;
const cli = (...args: string[]) =>
  run(process.execPath, [join(root, 'bin/modulargan.mjs'), ...args], { cwd: root }).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
  );

describe('modulargan validate', () => {
  it.each(['assets/samples/colormnist-generation.mgproj.json', 'assets/samples/celeba-translation.mgproj.json'])('says %s is valid', async (f) => {
    const r = await cli('validate', f);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/: valid project, \d+ nodes, \d+ edges\n$/);
  });

  it('exits 1 on a shape conflict with one line per problem naming node and port', async () => {
    const f = 'test/fixtures/invalid/shape-conflict.mgproj.json';
    const before = statSync(join(root, f)).mtimeMs;
    const r = await cli('validate', f);
    expect(r.code).toBe(1);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      `${f}: error [node T_gender, port feature, edge e4]: Transformer 'gender' input 'Feature' expects a 128×32×32 feature map (its base channels are 32), but Transformer 'hair' gives 256×32×32 (its base channels are 64)`,
    );
    expect(lines[1]).toMatch(/^.*error \[node T_smile, port feature, edge e6\]: Transformer 'smile' input 'Feature' expects a 256×32×32/);
    expect(statSync(join(root, f)).mtimeMs).toBe(before);
  });

  it('points at the line and column of malformed JSON, and reports missing files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-cli-'));
    try {
      const f = join(dir, 'broken.mgproj.json');
      writeFileSync(f, readFileSync(join(root, 'assets/samples/celeba-translation.mgproj.json'), 'utf8').replace('"kind": "encoder",', '"kind": "encoder"'));
      const r = await cli('validate', f);
      expect(r.code).toBe(1);
      expect(r.out).toBe(`${f}:20:9: error: malformed JSON: expected ','\n`);
      const m = await cli('validate', join(dir, 'missing.json'));
      expect(m).toEqual({ code: 1, out: `${join(dir, 'missing.json')}: error: the file does not exist\n` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints JSON with --json', async () => {
    const r = await cli('validate', '--json', 'test/fixtures/invalid/shape-conflict.mgproj.json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ valid: false, kind: 'project' });
    expect(j.diagnostics[0]).toMatchObject({ code: 'shape-mismatch', node: 'T_gender', port: 'feature' });
  });
});
