import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDocument } from '../../../core/engine/documents';
import { createPresetLibrary } from '../../../core/engine/preset-library';
import { exportProjectPreset, unpackPresetBundle } from '../../../core/engine/presets';
import { MAX_BUNDLE_FILE_BYTES } from '../../../core/files/preset-bundle';
import { serializeDocument } from '../../../core/graph/format/migrate';
import { tinyProject } from '../../helpers/projects';

// Issue 18's leftovers in the engine's preset paths: a loose preset keeps none of the
// project's weights paths, and a bundle file is checked (regular file, size) before a byte
// of it is read into memory.

const dir = mkdtempSync(join(tmpdir(), 'mg-engine-presets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The tiny project with its transformer's weights outside its folder, and its encoder's at an absolute path. */
function projectWithWeights(): string {
  const p = tinyProject('in');
  const weights: Record<string, string> = { T: '../../elsewhere/hair.mgw', E: '/home/someone/models/E.mgw' };
  const graph = { ...p.graph, nodes: p.graph.nodes.map((n) => (weights[n.id] ? { ...n, params: { ...n.params, weights: weights[n.id] } } : n)) };
  const file = join(dir, 'weighted.mgproj.json');
  writeFileSync(file, serializeDocument({ ...p, graph }));
  return file;
}
const weightsIn = (file: string) =>
  (JSON.parse(readFileSync(file, 'utf8')) as { graph: { nodes: { id: string; params: { weights?: string } }[] } }).graph.nodes.filter((n) => n.params.weights !== undefined).map((n) => [n.id, n.params.weights]);

describe('a loose .mgpreset.json exported without weights', () => {
  it('from `modulargan preset export` keeps no weights path of the project (absolute or ../)', async () => {
    const out = join(dir, 'loose.mgpreset.json');
    await exportProjectPreset(projectWithWeights(), { output: out });
    expect(weightsIn(out)).toEqual([
      ['E', ''],
      ['T', ''],
    ]);
    // It opens and runs as a preset with untrained modules.
    expect((await openDocument(out)).ok).toBe(true);
  });

  it("from the studio's library keeps none either", async () => {
    const p = tinyProject('in');
    const graph = { ...p.graph, nodes: p.graph.nodes.map((n) => (n.id === 'T' ? { ...n, params: { ...n.params, weights: '/abs/T.mgw' } } : n)) };
    const library = createPresetLibrary({ user: join(dir, 'library') });
    const out = join(dir, 'studio.mgpreset.json');
    const r = await library.export({ graph, baseDir: dir, name: 'studio', params: [], withWeights: false, path: out });
    expect(r.path).toBe(out);
    expect(weightsIn(out)).toEqual([['T', '']]);
  });
});

describe('a preset bundle file', () => {
  it('larger than any bundle may be is refused by its size, before it is read', async () => {
    const big = join(dir, 'huge.mgpreset');
    // A zip's first bytes, then a hole: the file claims its size without taking the disk.
    const fd = openSync(big, 'w');
    writeSync(fd, Buffer.from('PK\u0003\u0004'));
    closeSync(fd);
    truncateSync(big, MAX_BUNDLE_FILE_BYTES + 1);
    const message = expect.stringMatching(/far larger than any preset bundle \(at most 1040 MiB\); not read/);
    expect(await openDocument(big)).toMatchObject({ ok: false, errors: [{ message }] });
    await expect(unpackPresetBundle(big, join(dir, 'unpacked'))).rejects.toThrow(/huge\.mgpreset: it is 1041 MiB, far larger than any preset bundle/);
    await expect(createPresetLibrary({ user: join(dir, 'library') }).import({ path: big })).rejects.toThrow(/huge\.mgpreset: it is 1041 MiB, far larger than any preset bundle/);
  });

  it('that is a FIFO is refused at once (opening it waited for a writer for ever)', async () => {
    const fifo = join(dir, 'pipe.mgpreset');
    execFileSync('mkfifo', [fifo]);
    const within = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, no) => setTimeout(() => no(new Error('still waiting after 5 s')), 5000))]);
    expect(await within(openDocument(fifo))).toMatchObject({ ok: false, errors: [{ message: expect.stringContaining('not a regular file') }] });
    await expect(within(unpackPresetBundle(fifo, join(dir, 'unpacked')))).rejects.toThrow(/pipe\.mgpreset: this is not a regular file \(a pipe, socket or device\), so not a preset bundle/);
  });
});
