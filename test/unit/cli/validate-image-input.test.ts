// An image input with nothing to read is a validation problem on its node, on the command
// line as in the studio (issue 19): a project whose image input is left for the user to fill
// (the shipped faces project with its path cleared) no longer passes as valid only to fail in
// Run with "holds no images". Images given with --input still stand in for the empty path.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mg-validate-input-'));
const faces = join(dir, 'faces-32.mgproj.json');
const shipped = JSON.parse(readFileSync(join(root, 'assets', 'projects', 'faces-32.mgproj.json'), 'utf8')) as { graph: { nodes: { id: string; params: Record<string, unknown> }[] } };
shipped.graph.nodes.find((n) => n.id === 'photos')!.params = {};
writeFileSync(faces, JSON.stringify(shipped));
const cli = (...args: string[]) =>
  promisify(execFile)(process.execPath, [join(root, 'bin/modulargan.mjs'), ...args], { cwd: dir }).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('an image input without a path', () => {
  it('fails validation with one line naming the node', async () => {
    const r = await cli('validate', faces);
    expect(r.code).toBe(1);
    expect(r.out).toBe(`${faces}: error [node photos]: Image input 'face': parameter 'File or folder' needs a file or folder\n`);
  });

  it('runs when --input gives it images', async () => {
    const r = await cli('run', faces, '--input', join(root, 'assets', 'demo', 'images'), '-o', 'out', '-q', '--backend', 'onnxruntime');
    expect(r.out).toMatch(/6 item\(s\) in /);
    expect(r.code).toBe(0);
    expect(readdirSync(join(dir, 'out', 'translated')).filter((f) => f.endsWith('.png'))).toHaveLength(6);
  }, 60_000);
});
