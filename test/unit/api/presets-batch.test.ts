import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunEvent, checkParams, checkRunEvent, dispatchCall } from '../../../core/api';
import { createEngineService } from '../../../core/engine/service';
import { writeWeightsFile } from '../../../core/files/weights-file';
import { makePresetNode } from '../../../core/graph/preset-node';
import { createModule } from '../../../core/modules/create';
import { tinyProject } from '../../helpers/projects';
import { useCpuBackend } from '../../helpers/tf';

const root = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'mg-api-presets-'));
const service = createEngineService({ stateDir: join(dir, 'state'), demoPath: join(root, 'test', 'fixtures', 'demo', 'demo.mgproj.json'), host: 'test' });
const events: RunEvent[] = [];
service.onRunEvent((e) => events.push(checkRunEvent(e)));
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const png = (w: number, h: number, v: number) => sharp(Buffer.alloc(w * h * 3, v), { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
/** The tiny project with trained-looking weights on its transformer. */
const graph = () => {
  const g = tinyProject(join(dir, 'in')).graph;
  return { ...g, nodes: g.nodes.map((n) => (n.id === 'T' ? { ...n, params: { ...n.params, weights: 'hair.mgw' } } : n)) };
};
const finished = (runId: string) =>
  new Promise<RunEvent>((ok) => {
    const t = setInterval(() => {
      const e = events.find((x) => 'runId' in x && x.runId === runId && (x.type === 'batch-finished' || x.type === 'batch-failed'));
      if (!e) return;
      clearInterval(t);
      ok(e);
    }, 20);
  });

beforeAll(async () => {
  await useCpuBackend();
  mkdirSync(join(dir, 'in', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'in', 'a.png'), await png(16, 16, 10));
  writeFileSync(join(dir, 'in', 'wide.png'), await png(40, 20, 90));
  writeFileSync(join(dir, 'in', 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\nbroken'));
  writeFileSync(join(dir, 'in', 'sub', 'b.png'), await png(16, 16, 120));
  const T = createModule('transformer', graph().nodes.find((n) => n.id === 'T')!.params, 3);
  await writeWeightsFile(join(dir, 'hair.mgw'), T);
  T.dispose();
});
afterAll(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('preset library through the engine API', () => {
  it('exports a selection with weights into the library and a bundle file; renames and bumps versions', async () => {
    const out = join(dir, 'hair.mgpreset');
    const r = await dispatchCall(service, 'exportPreset', [
      { graph: graph(), baseDir: dir, nodes: ['c', 'T'], name: 'Hair', params: [{ node: 'T', param: 'resBlocks', name: 'Blocks' }], withWeights: true, path: out },
    ]);
    expect(r.ok).toBe(true);
    expect(existsSync(out)).toBe(true);
    const list = await service.listPresets();
    expect(list.map((e) => [e.id, e.source, e.preset.name, e.preset.presetVersion])).toEqual([['Hair', 'user', 'Hair', '1.0.0']]);
    // Bundled weights are unpacked beside the document and named by absolute path.
    const w = list[0]!.preset.graph.nodes.find((n) => n.id === 'T')!.params.weights as string;
    expect(readFileSync(w)).toEqual(readFileSync(join(dir, 'hair.mgw')));
    expect((await service.renamePreset('Hair', 'Blond hair')).preset).toMatchObject({ name: 'Blond hair', presetVersion: '1.0.1' });
    expect((await service.setPresetVersion('Hair', 'minor')).preset.presetVersion).toBe('1.1.0');
    // Import of the exported file: a second copy, never over the first.
    const again = await service.importPreset({ bytes: b64(readFileSync(out)) });
    expect(again.id).toBe('Hair (2)');
    expect((await service.listPresets()).length).toBe(2);
  });

  it('exports without weights as a plain document, and imports it from a path', async () => {
    const out = join(dir, 'plain.mgpreset.json');
    const { entry } = await service.exportPreset({ graph: graph(), baseDir: dir, name: 'Plain', params: [], withWeights: false, path: out });
    expect(entry.preset.graph.nodes.find((n) => n.id === 'T')!.params.weights).toBe('');
    const imported = await service.importPreset({ path: out });
    expect(imported.preset.name).toBe('Plain');
  });

  it('refuses malicious presets with a clear message and leaves the library as it was', async () => {
    const good = new Uint8Array(readFileSync(join(dir, 'hair.mgpreset')));
    const before = readdirSync(join(dir, 'state', 'presets')).sort();
    const tamper = (change: (f: Record<string, Uint8Array>) => void) => {
      const files = unzipSync(good);
      change(files);
      return b64(zipSync(files));
    };
    const traversal = tamper((f) => void (f['../evil.txt'] = new Uint8Array([1])));
    const checksum = tamper((f) => {
      const w = f['weights/T.mgw']!;
      w[100] = w[100]! ^ 0xff;
    });
    const unknown = tamper((f) => {
      const doc = JSON.parse(new TextDecoder().decode(f['preset.mgpreset.json']!));
      doc.graph.nodes[0].kind = 'shell-command';
      f['preset.mgpreset.json'] = new TextEncoder().encode(JSON.stringify(doc));
    });
    const refusal = async (bytes: string) => {
      const r = await dispatchCall(service, 'importPreset', [{ bytes }]);
      return r.ok ? 'accepted' : r.error;
    };
    expect(await refusal(traversal)).toMatch(/refused: entry '..\/evil.txt' would be written outside the preset's folder/);
    expect(await refusal(checksum)).toMatch(/refused: 'weights\/T.mgw' does not match its checksum/);
    expect(await refusal(unknown)).toMatch(/unknown kind 'shell-command'/);
    expect(await refusal(b64(new TextEncoder().encode('not a preset')))).toMatch(/JSON|preset/);
    expect(readdirSync(join(dir, 'state', 'presets')).sort()).toEqual(before);
    // Ids name a folder in the library, never a path.
    expect(() => checkParams('renamePreset', ['../state', 'x'])).toThrow(/must name a preset in the library/);
    expect(() => checkParams('renamePreset', ['bundled/..', 'x'])).toThrow(/must name a preset in the library/);
  });
});

describe('batch runs and provenance through the engine API', () => {
  it('runs a graph holding a preset node over a folder: progress with images/s and ETA, a report of every skipped file', async () => {
    const preset = (await service.listPresets()).find((e) => e.id === 'Hair')!.preset;
    const g = tinyProject('').graph;
    const withPreset = {
      nodes: [...g.nodes.filter((n) => n.id !== 'c' && n.id !== 'T'), makePresetNode(preset, 'P')],
      edges: [
        ...g.edges.filter((e) => !['2', '3', '4'].includes(e.id)),
        { id: 'x', from: { node: 'E', port: 'feature' }, to: { node: 'P', port: 'T.feature' } },
        { id: 'y', from: { node: 'P', port: 'T.feature' }, to: { node: 'R', port: 'feature' } },
      ],
    };
    const { runId } = await service.startBatch({ graph: withPreset, baseDir: dir, input: join(dir, 'in'), output: join(dir, 'out'), recursive: true });
    const end = await finished(runId);
    expect(end.type === 'batch-failed' ? end.message : end.type).toBe('batch-finished');
    if (end.type !== 'batch-finished') return;
    expect(end.report).toMatchObject({ processed: 3, written: 3, skipped: [{ file: 'broken.png', reason: expect.stringMatching(/cannot decode/) }] });
    expect(existsSync(end.report.reportPath)).toBe(true);
    const progress = events.filter((e) => 'runId' in e && e.runId === runId && e.type === 'batch-progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({ total: 4, imagesPerSecond: expect.any(Number), etaSeconds: expect.any(Number) });

    // Resume: everything is there already.
    const resumed = await service.startBatch({ graph: withPreset, baseDir: dir, input: join(dir, 'in'), output: join(dir, 'out'), recursive: true, skipExisting: true });
    const r2 = await finished(resumed.runId);
    expect(r2.type === 'batch-finished' && r2.report).toMatchObject({ processed: 0, alreadyDone: 3 });

    // An output PNG gives back the graph that made it (the preset expanded).
    const info = await service.readProvenance(b64(readFileSync(join(dir, 'out', 'a.png'))));
    expect(info.graph.nodes.map((n) => n.id)).toContain('P/T');
    expect(info.input).toBe('a.png');
    const refused = await dispatchCall(service, 'readProvenance', [b64(await png(4, 4, 0))]);
    expect(refused).toEqual({ ok: false, error: expect.stringMatching(/no ModularGAN provenance/) });
  });

  it('says why a batch cannot start', async () => {
    const { runId } = await service.startBatch({ graph: tinyProject('').graph, baseDir: dir, input: join(dir, 'missing'), output: join(dir, 'o') });
    expect(await finished(runId)).toMatchObject({ type: 'batch-failed', message: expect.stringMatching(/does not exist/) });
    expect(() => checkParams('startBatch', [{ graph: { nodes: [], edges: [] }, baseDir: '', input: '', output: 'x' }])).toThrow(/input/);
  });
});
