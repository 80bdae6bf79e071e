// Preset bundles as a hostile sender makes them, built with fflate: entries whose declared
// size is huge (refused before anything is inflated), zip bombs whose data inflates past
// what they declare (stopped at the declared size), weights named by paths out of the
// preset's folder (refused at import, and at run of the unpacked document), and the harmless
// folder entries that zip tools add when re-zipping (accepted).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDocument } from '../../../core/engine/documents';
import { readPresetFile } from '../../../core/files/documents';
import { MAX_ENTRY_BYTES, MAX_UNPACKED_BYTES, PRESET_ENTRY, exportPresetBundle, importPresetBundle, openPresetBundle } from '../../../core/files/preset-bundle';
import { writeWeightsFile } from '../../../core/files/weights-file';
import { makePreset } from '../../../core/graph/presets';
import { createModule } from '../../../core/modules/create';
import { tinyProject } from '../../helpers/projects';
import { useCpuBackend } from '../../helpers/tf';
import { declareSize } from '../../helpers/zip';

const dir = mkdtempSync(join(tmpdir(), 'mg-bundle-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hair = join(dir, 'hair.mgw');
let good: Uint8Array;

beforeAll(async () => {
  await useCpuBackend();
  const T = createModule('transformer', tinyProject('in').graph.nodes.find((n) => n.id === 'T')!.params, 7);
  await writeWeightsFile(hair, T);
  T.dispose();
  const g = tinyProject('in').graph;
  const graph = { ...g, nodes: g.nodes.map((n) => (n.id === 'T' ? { ...n, params: { ...n.params, weights: 'hair.mgw' } } : n)) };
  await exportPresetBundle(makePreset(graph, { name: 'Hair' }), { baseDir: dir, outPath: join(dir, 'good.mgpreset'), withWeights: true });
  good = new Uint8Array(readFileSync(join(dir, 'good.mgpreset')));
});

const files = () => unzipSync(good);
const docOf = (f: Record<string, Uint8Array>) => JSON.parse(new TextDecoder().decode(f[PRESET_ENTRY]!)) as { graph: { nodes: { id: string; params: Record<string, unknown> }[] } };
const withDoc = (f: Record<string, Uint8Array>, change: (d: ReturnType<typeof docOf>) => void) => {
  const d = docOf(f);
  change(d);
  f[PRESET_ENTRY] = new TextEncoder().encode(JSON.stringify(d));
  return f;
};
const refusal = async (bytes: Uint8Array, name: string) => {
  const target = join(dir, `target-${name}`);
  const r = await importPresetBundle(bytes, target);
  expect(existsSync(target) ? readdirSync(target) : [], name).toEqual([]);
  return r.ok ? 'accepted' : r.errors[0]!.message;
};

describe('declared sizes, checked before inflating', () => {
  it('refuses an entry declaring 1 GiB (or anything over the cap) at once', async () => {
    for (const size of [1024 ** 3, MAX_ENTRY_BYTES + 1, 2 ** 32 - 2]) {
      const t0 = Date.now();
      const bytes = declareSize(good, 'weights/T.mgw', size);
      expect(await refusal(bytes, `declared-${size}`)).toBe(`refused: entry 'weights/T.mgw' would unpack to ${Math.ceil(size / 2 ** 20)} MiB, more than a bundle's file may (512 MiB); nothing was unpacked`);
      expect(Date.now() - t0).toBeLessThan(2000);
    }
    expect(await refusal(declareSize(good, PRESET_ENTRY, 65 * 2 ** 20), 'doc')).toMatch(/entry 'preset\.mgpreset\.json' would unpack to 65 MiB, more than a bundle's document may \(64 MiB\)/);
  });

  it('refuses entries that together declare more than the total cap', async () => {
    const f = files();
    for (let i = 0; i < 3; i++) f[`weights/x${i}.mgw`] = new Uint8Array(8);
    let bytes: Uint8Array = zipSync(f);
    for (let i = 0; i < 3; i++) bytes = declareSize(bytes, `weights/x${i}.mgw`, 400 * 2 ** 20);
    expect(await refusal(bytes, 'total')).toMatch(new RegExp(`it would unpack to 12\\d\\d MiB, more than a bundle may \\(${MAX_UNPACKED_BYTES / 2 ** 20} MiB\\)`));
  });
});

describe('zip bombs: data that inflates past its declared size', () => {
  it('is stopped at the declared size, in the document and in a weights entry', async () => {
    const zeros = new Uint8Array(16 * 2 ** 20);
    const bomb = zipSync({ [PRESET_ENTRY]: [zeros, { level: 1 }] });
    expect(bomb.length).toBeLessThan(40_000);
    expect(await refusal(declareSize(bomb, PRESET_ENTRY, 1000), 'doc-bomb')).toBe(
      `refused: entry '${PRESET_ENTRY}' inflates to more than the 1000 bytes it declares (a zip bomb, or damaged); stopped there`,
    );
    const f = files();
    f['weights/T.mgw'] = zeros;
    const declared = readFileSync(hair).length;
    expect(await refusal(declareSize(zipSync(f, { level: 1 }), 'weights/T.mgw', declared), 'weights-bomb')).toBe(
      `refused: entry 'weights/T.mgw' inflates to more than the ${declared} bytes it declares (a zip bomb, or damaged); stopped there`,
    );
    // Declaring more than the data holds is refused too.
    expect(await refusal(declareSize(good, 'weights/T.mgw', declared + 10), 'short')).toMatch(/inflates to \d+ bytes, not the \d+ it declares|stored with \d+ bytes but declares/);
  });
});

describe('paths in a bundle', () => {
  it.each([
    ['an absolute path', () => hair],
    ['a ../ path', () => '../hair.mgw'],
    ['a deeper ../ path', () => 'weights/../../../hair.mgw'],
    ['a Windows drive path', () => 'C:\\Users\\x\\hair.mgw'],
    ['a rooted backslash path', () => '\\\\server\\share\\hair.mgw'],
  ])('refuses weights named by %s at import, naming the node, and writes nothing', async (what, path) => {
    const message = `node 'T' names its weights '${path()}', outside the preset's folder; a preset's weights must be files it bundles`;
    const bundled = zipSync(withDoc(files(), (d) => void (d.graph.nodes.find((n) => n.id === 'T')!.params.weights = path())));
    expect(await refusal(bundled, `${what.replace(/\W+/g, '-')}-bundled`)).toBe(`graph.nodes[3].params.weights: ${message}`);
    // A bundle without weights of its own (exported without them) is held to the same rule.
    const f = withDoc(files(), (d) => {
      delete (d as Record<string, unknown>).weights;
      d.graph.nodes.find((n) => n.id === 'T')!.params.weights = path();
    });
    delete f['weights/T.mgw'];
    const plain = zipSync(f);
    expect(await refusal(plain, `${what.replace(/\W+/g, '-')}-plain`)).toBe(`refused: ${message}`);
    // `modulargan run` of either bundle is refused the same way, before anything is loaded.
    for (const [kind, bytes] of [['bundled', bundled], ['plain', plain]] as const) {
      const file = join(dir, `${what.replace(/\W+/g, '-')}-${kind}.mgpreset`);
      writeFileSync(file, bytes);
      expect(await openDocument(file)).toMatchObject({ ok: false, errors: [{ message: expect.stringContaining(message) }] });
    }
  });

  it('refuses the unpacked document of a bundle with such paths when it is read on its own', async () => {
    const f = withDoc(files(), (d) => void (d.graph.nodes.find((n) => n.id === 'T')!.params.weights = '../../hair.mgw'));
    const loose = join(dir, 'loose.mgpreset.json');
    writeFileSync(loose, f[PRESET_ENTRY]!);
    const r = await readPresetFile(loose);
    expect(r).toMatchObject({ ok: false, errors: [{ path: expect.stringMatching(/^graph\.nodes\[\d\]\.params\.weights$/), message: expect.stringMatching(/node 'T' names its weights '\.\.\/\.\.\/hair\.mgw', outside the preset's folder/), line: expect.any(Number) }] });
    expect(await openDocument(loose)).toMatchObject({ ok: false });
    // A preset saved on its own (no bundled weights) keeps its project's paths: that is the user's own file.
    const own = join(dir, 'own.mgpreset.json');
    const doc = docOf(f) as Record<string, unknown>;
    delete doc.weights;
    writeFileSync(own, JSON.stringify(doc));
    expect((await readPresetFile(own)).ok).toBe(true);
  });

  it('accepts folder entries as zip tools write them, and still refuses traversal in them', async () => {
    const rezipped = zipSync({ 'weights/': new Uint8Array(0), ...files() });
    const r = await importPresetBundle(rezipped, join(dir, 'rezipped'));
    expect(r.ok && readdirSync(r.value.dir).sort()).toEqual([PRESET_ENTRY, 'weights']);
    expect(r.ok && readFileSync(join(r.value.dir, 'weights', 'T.mgw'))).toEqual(readFileSync(hair));
    for (const name of ['../', '/', 'weights/../../', '/tmp/', 'a\\b/'])
      expect(await refusal(zipSync({ [name]: new Uint8Array(0), ...files() }), `dir-${name.replace(/\W+/g, '-')}`)).toBe(`refused: entry '${name}' would be written outside the preset's folder`);
    expect(await refusal(declareSize(rezipped, 'weights/', 5), 'dir-with-content')).toMatch(/folder entry 'weights\/' claims 5 bytes/);
  });

  it('refuses two entries of one name (one shown by zip tools, the other unpacked)', async () => {
    const bytes = zipSync({ ...files(), 'weights/T.mgx': new Uint8Array(4) });
    const i = Buffer.from(bytes).lastIndexOf('weights/T.mgx');
    bytes.set(new TextEncoder().encode('weights/T.mgw'), i);
    const j = Buffer.from(bytes).indexOf('weights/T.mgx');
    bytes.set(new TextEncoder().encode('weights/T.mgw'), j);
    expect(await refusal(bytes, 'twice')).toMatch(/entry 'weights\/T\.mgw' is listed twice/);
  });
});

describe('what still works', () => {
  it('a good bundle opens and imports', async () => {
    expect(openPresetBundle(good).ok).toBe(true);
    mkdirSync(join(dir, 'lib'), { recursive: true });
    expect((await importPresetBundle(good, join(dir, 'lib'))).ok).toBe(true);
  });
});
