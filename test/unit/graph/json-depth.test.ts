// JSON nested thousands of levels deep: refused with the file, line and column before any
// recursive reader (the locating parser, zod, migrations, JSON.stringify) can overflow its
// stack, in every reader of a document the studio trusts no more than its user does.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { readAnyDocument, readPresetFile, readProjectFile, saveProjectFile } from '../../../core/files/documents';
import { MAX_JSON_DEPTH, parseJson, tooDeepAt } from '../../../core/graph/format/json';
import { emptyProject } from '../../../core/graph/format/project';
import { PROVENANCE_FORMAT, parseProvenanceXmp, provenanceXmp } from '../../../core/graph/format/provenance';
import { decodeWeights, encodeWeights } from '../../../core/modules/weights';
import { createModule } from '../../../core/modules/create';
import { tinyProject } from '../../helpers/projects';
import { useCpuBackend } from '../../helpers/tf';

const dir = mkdtempSync(join(tmpdir(), 'mg-json-depth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const arrays = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const objects = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
const project = (graphNodes: string, extra = '') =>
  `{\n  "format": "modulargan-project",\n  "version": 2,\n  "name": "deep",${extra}\n  "graph": { "nodes": ${graphNodes}, "edges": [] }\n}\n`;

/** Deep values where the readers meet them: a node parameter, the name, an unknown field, a v1 link, the root. */
const hostile = (n: number): [string, string][] => [
  ['a node parameter', project(`[{ "id": "E", "kind": "encoder", "params": { "x": ${arrays(n)} } }]`)],
  ['the name', project('[]').replace('"deep"', objects(n))],
  ['an unknown field', project('[]', `\n  "plugin": ${objects(n)},`)],
  ['a version 1 link', `{"format":"modulargan-project","version":1,"name":"v1","nodes":[],"links":[{"from":${arrays(n)}}]}`],
  ['the root', arrays(n)],
  ['unterminated', `${project('[]').slice(0, -3)}, "x": ${'['.repeat(n)}`],
];

describe('deeply nested JSON', () => {
  it('is measured without recursion, brackets inside strings not counted', () => {
    expect(tooDeepAt(arrays(1_000_000))).toBe(MAX_JSON_DEPTH);
    expect(tooDeepAt(arrays(MAX_JSON_DEPTH))).toBeUndefined();
    expect(tooDeepAt(`["${'['.repeat(10_000)}\\"${'{'.repeat(10_000)}"]`)).toBeUndefined();
    expect(parseJson(`{"a": "${'['.repeat(5000)}"}`)).toMatchObject({ ok: true });
  });

  it.each(hostile(20_000))('in %s: every document reader refuses it with the line and column', async (_what, text) => {
    const f = join(dir, 'deep.mgproj.json');
    writeFileSync(f, text);
    for (const r of [await readProjectFile(f), await readPresetFile(f), await readAnyDocument(f)]) {
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.errors[0]).toMatchObject({ code: 'json', message: expect.stringMatching(/nests deeper than 256 levels/), line: expect.any(Number), column: expect.any(Number) });
    }
  });

  it('as deep as the limit allows, it loads or is refused with a message, never a stack overflow', async () => {
    for (const [what, text] of hostile(MAX_JSON_DEPTH - 8)) {
      const f = join(dir, 'limit.mgproj.json');
      writeFileSync(f, text);
      const r = await readAnyDocument(f);
      if (!r.ok) expect(r.errors[0]!.message, what).not.toMatch(/call stack/);
    }
  });

  it('`modulargan validate` and `run` name the file, line and column, with no stack trace', async () => {
    const f = join(dir, 'cli.mgproj.json');
    writeFileSync(f, hostile(50_000)[1]![1]);
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [join(import.meta.dirname, '..', '..', '..', 'bin', 'modulargan.mjs'), ...args]).then(
        (r) => ({ code: 0, out: r.stdout + r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      );
    for (const r of await Promise.all([cli('validate', f), cli('run', f, '-i', dir, '-o', join(dir, 'out'))])) {
      expect(r.code).toBe(1);
      expect(r.out).toMatch(new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: error: the JSON nests deeper than 256 levels`));
      expect(r.out).not.toMatch(/RangeError|call stack|\n\s+at /);
    }
  }, 60_000);

  it('in image provenance and a weights header: refused, not a crash', async () => {
    const xmp = provenanceXmp({ format: PROVENANCE_FORMAT, version: 1, app: 'test', createdAt: 'now', graph: tinyProject('in').graph, seed: 1, modules: {} });
    const deep = xmp.replace('"seed":1', `"seed":1,"x":${arrays(20_000).replace(/\[/g, '&#x5b;')}`);
    expect(parseProvenanceXmp(deep)).toMatchObject({ ok: false, errors: [{ message: expect.stringMatching(/provenance nests deeper than 256 levels/) }] });

    await useCpuBackend();
    const m = createModule('encoder', { imageSize: 16, baseChannels: 4 }, 1);
    const bytes = encodeWeights(m, { note: 'x'.repeat(40_010) });
    m.dispose();
    // The same header length, the meta's quote and text swapped for brackets: the data stays where it was.
    const at = Buffer.from(bytes).indexOf('x'.repeat(40_000));
    bytes.set(new TextEncoder().encode('['.repeat(40_001)), at - 1);
    expect(() => decodeWeights(bytes)).toThrow(/^Weights file: the header nests deeper than 256 levels/);
  });
});

describe('saving a document nested too deep', () => {
  it('is refused before writing, so nothing is saved that could not be opened again', async () => {
    let deep: unknown = 0;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const p = emptyProject('deep');
    const f = join(dir, 'saved.mgproj.json');
    await expect(saveProjectFile(f, { ...p, graph: { nodes: [{ id: 'E', kind: 'encoder', params: { x: deep } }], edges: [] } })).rejects.toThrow(`${f}: it nests deeper than 256 levels, so it could not be opened again; nothing was saved`);
    expect(existsSync(f)).toBe(false);
    let ok: unknown = 0;
    for (let i = 0; i < MAX_JSON_DEPTH - 8; i++) ok = [ok];
    await saveProjectFile(f, { ...p, graph: { nodes: [{ id: 'E', kind: 'encoder', params: { x: ok } }], edges: [] } });
    expect((await readProjectFile(f)).ok).toBe(true);
  });
});

describe('a document path that names no regular file', () => {
  it('a FIFO or a device is refused at once (reading would wait or never end)', async () => {
    const fifo = join(dir, 'pipe.mgproj.json');
    execFileSync('mkfifo', [fifo]);
    for (const f of [fifo, '/dev/zero'])
      expect(await readAnyDocument(f)).toMatchObject({ ok: false, errors: [{ message: 'this is not a regular file (a pipe, socket or device), so not a document' }] });
    expect(await readProjectFile(dir)).toMatchObject({ ok: false, errors: [{ message: 'this is a folder, not a file' }] });
  }, 10_000);
});
