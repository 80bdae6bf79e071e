import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESET_ENTRY, exportPresetBundle, importPresetBundle, openPresetBundle } from '../../../core/files/preset-bundle';
import { writeWeightsFile } from '../../../core/files/weights-file';
import { makePreset } from '../../../core/graph/presets';
import { createModule } from '../../../core/modules/create';
import { tinyProject } from '../../helpers/projects';
import { useCpuBackend } from '../../helpers/tf';

const dir = mkdtempSync(join(tmpdir(), 'mg-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const withWeights = () => {
  const p = tinyProject('faces');
  return { ...p.graph, nodes: p.graph.nodes.map((n) => (n.id === 'T' ? { ...n, params: { ...n.params, weights: 'weights/hair.mgw' } } : n)) };
};

beforeAll(async () => {
  await useCpuBackend();
  mkdirSync(join(dir, 'weights'));
  const T = createModule('transformer', tinyProject('faces').graph.nodes.find((n) => n.id === 'T')!.params, 7);
  await writeWeightsFile(join(dir, 'weights', 'hair.mgw'), T);
  const E = createModule('encoder', { imageSize: 16, baseChannels: 4 }, 1);
  await writeWeightsFile(join(dir, 'weights', 'enc.mgw'), E);
  T.dispose();
  E.dispose();
});

const bundle = async (name: string, weights: boolean) => {
  const out = join(dir, name);
  await exportPresetBundle(makePreset(withWeights(), { name: 'Hair' }), { baseDir: dir, outPath: out, withWeights: weights });
  return new Uint8Array(readFileSync(out));
};

/** Rewrites one entry (or adds one) of a bundle. */
const tamper = (bytes: Uint8Array, change: (files: Record<string, Uint8Array>) => void) => {
  const files = unzipSync(bytes);
  change(files);
  return zipSync(files);
};

describe('preset bundles', () => {
  it('round-trip with weights: the copy is bundled, checked, and the node points at it', async () => {
    const bytes = await bundle('hair.mgpreset', true);
    const r = openPresetBundle(bytes);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.preset.weights?.modules).toEqual([{ node: 'T', file: 'weights/T.mgw', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(r.value.preset.graph.nodes.find((n) => n.id === 'T')!.params.weights).toBe('weights/T.mgw');
    expect(r.value.files.get('weights/T.mgw')).toEqual(new Uint8Array(readFileSync(join(dir, 'weights', 'hair.mgw'))));
    const imported = await importPresetBundle(bytes, join(dir, 'presets'));
    expect(imported.ok && readdirSync(imported.value.dir).sort()).toEqual([PRESET_ENTRY, 'weights']);
    // A second import never lands on the first.
    const again = await importPresetBundle(bytes, join(dir, 'presets'));
    expect(again.ok && again.value.dir).toBe(join(dir, 'presets', 'Hair (2)'));
  });

  it('round-trip without weights leaves the weights parameter empty', async () => {
    const r = openPresetBundle(await bundle('plain.mgpreset', false));
    expect(r.ok && r.value.preset.weights).toBeUndefined();
    expect(r.ok && r.value.preset.graph.nodes.find((n) => n.id === 'T')!.params.weights).toBe('');
  });

  it('refuses malicious or damaged bundles with a clear message, writing nothing', async () => {
    const good = await bundle('good.mgpreset', true);
    const cases: [string, Uint8Array, RegExp][] = [
      ['path traversal', tamper(good, (f) => void (f['../evil.sh'] = new Uint8Array([1]))), /entry '\.\.\/evil\.sh' would be written outside/],
      ['absolute path', tamper(good, (f) => void (f['/tmp/evil'] = new Uint8Array([1]))), /would be written outside/],
      ['wrong checksum', tamper(good, (f) => void (f['weights/T.mgw']![200]! ^= 0xff)), /'weights\/T\.mgw' does not match its checksum/],
      ['unknown node kind', tamper(good, (f) => void (f[PRESET_ENTRY] = new TextEncoder().encode(new TextDecoder().decode(f[PRESET_ENTRY]).replace('"kind": "encoder"', '"kind": "shell-command"')))), /unknown kind 'shell-command'/],
      ['unexpected file', tamper(good, (f) => void (f['weights/extra.bin'] = new Uint8Array([1]))), /unexpected file 'weights\/extra\.bin'/],
      ['not a zip', new TextEncoder().encode('hello'), /not a preset bundle/],
    ];
    for (const [what, bytes, message] of cases) {
      const target = join(dir, `refused-${what.replace(/ /g, '-')}`);
      const r = await importPresetBundle(bytes, target);
      expect(r.ok, what).toBe(false);
      if (!r.ok) expect(r.errors[0]!.message, what).toMatch(message);
      expect(existsSync(target) ? readdirSync(target) : [], what).toEqual([]);
    }
  });

  it('refuses weights of another module kind than the node they are for', async () => {
    const bytes = tamper(await bundle('swap.mgpreset', true), (f) => {
      const enc = new Uint8Array(readFileSync(join(dir, 'weights', 'enc.mgw')));
      f['weights/T.mgw'] = enc;
      const doc = JSON.parse(new TextDecoder().decode(f[PRESET_ENTRY]));
      doc.weights.modules[0].sha256 = createHash('sha256').update(enc).digest('hex');
      f[PRESET_ENTRY] = new TextEncoder().encode(JSON.stringify(doc));
    });
    expect(openPresetBundle(bytes)).toMatchObject({ ok: false, errors: [{ message: "refused: 'weights/T.mgw' holds encoder weights but node 'T' is a transformer" }] });
  });

});
