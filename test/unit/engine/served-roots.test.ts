import { mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchCall } from '../../../core/api/dispatch';
import { type EngineService, createEngineService } from '../../../core/engine/service';
import { PathRefusedError, createPathGuard, realPathOf } from '../../../core/engine/path-guard';
import { emptyProject } from '../../../core/graph';
import { TINY_PROJECT } from '../../helpers/training';

// `modulargan serve --root`: every call that names a path is checked against the roots,
// through real paths (symlinks followed, a path not made yet judged by its nearest existing
// folder, "link/.." read both as the system and as Node's resolve() would), before the call
// runs; the bundled demo stays readable, never writable. A real engine service, real files.

const DEMO = join(import.meta.dirname, '../../fixtures/demo/demo.mgproj.json');
const T = realpathSync(mkdtempSync(join(tmpdir(), 'mg-roots-')));
const root = join(T, 'root');
const outside = join(T, 'outside');
let service: EngineService;

const refusal = (what: string, path: string) => new RegExp(`^refused: ${what} ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.* is outside the folders this engine serves \\(modulargan serve --root\\): ${root}$`);

beforeAll(() => {
  mkdirSync(join(root, 'd1', 'd2'), { recursive: true });
  mkdirSync(join(root, 'sub'));
  mkdirSync(join(outside, 'a', 'b'), { recursive: true });
  writeFileSync(join(outside, 'secret.mgproj.json'), JSON.stringify(emptyProject('secret')));
  writeFileSync(join(root, 'mine.mgproj.json'), JSON.stringify(emptyProject('mine')));
  symlinkSync(join(outside, 'secret.mgproj.json'), join(root, 'looks-inside.mgproj.json'));
  symlinkSync(join(outside, 'a', 'b'), join(root, 'out-link'));
  symlinkSync(join(root, 'd1', 'd2'), join(root, 'in-link'));
  service = createEngineService({ stateDir: join(T, 'state'), demoPath: DEMO, host: 'test', roots: [root] });
});
afterAll(() => service?.close());

describe('the path guard', () => {
  it('follows symlinks, and judges a path not made yet by its nearest existing folder', async () => {
    expect(await realPathOf(join(root, 'out-link', 'new', 'x.png'))).toBe(join(outside, 'a', 'b', 'new', 'x.png'));
    expect(await realPathOf(join(root, 'no', 'such', '..', '..', '..', 'outside'))).toBe(outside);
    const guard = createPathGuard([root], [join(T, 'bundled')]);
    await expect(guard.check(join(root, 'new', 'deeper', 'p.mgproj.json'), 'write', 'the file')).resolves.toBeUndefined();
    await expect(guard.check(join(root, 'out-link', 'new', 'p.png'), 'write', 'the file')).rejects.toThrow(PathRefusedError);
    await expect(guard.check(join(T, 'bundled', 'demo.png'), 'read', 'the file')).resolves.toBeUndefined();
    await expect(guard.check(join(T, 'bundled', 'demo.png'), 'write', 'the file')).rejects.toThrow(/is in the studio's own files, which may only be read/);
    await expect(guard.check('rel/x.png', 'read', 'the file', root)).resolves.toBeUndefined();
    await expect(guard.check('../outside/x.png', 'read', 'the file', root)).rejects.toThrow(/outside the folders/);
    await expect(guard.check(`${root}/a\0b`, 'read', 'the file')).rejects.toThrow(/NUL/);
  });

  it('reads "link/.." both as the system does and as resolve() does: either one outside refuses', async () => {
    const guard = createPathGuard([root]);
    // The system: out-link/.. is outside/a; resolve(): root itself.
    await expect(guard.check(join(root, 'out-link') + '/../x.mgproj.json', 'write', 'the file')).rejects.toThrow(/outside/);
    // The system: in-link/../.. is root; resolve(): root's parent.
    await expect(guard.check(join(root, 'in-link') + '/../../x.mgproj.json', 'write', 'the file')).rejects.toThrow(/outside/);
    await expect(guard.check(join(root, 'in-link') + '/../x.mgproj.json', 'write', 'the file')).resolves.toBeUndefined();
  });
});

describe('an engine served with roots', () => {
  it('says its roots, and proposes new projects inside them', async () => {
    expect(await service.info()).toMatchObject({ roots: [root], documentsDir: root });
  });

  it('opens and saves inside the roots; refuses outside, through a symlink, and relative to where it runs', async () => {
    expect((await service.openProject(join(root, 'mine.mgproj.json'))).project.name).toBe('mine');
    await expect(service.openProject(join(outside, 'secret.mgproj.json'))).rejects.toThrow(refusal('the project file', join(outside, 'secret.mgproj.json')));
    await expect(service.openProject(join(root, 'looks-inside.mgproj.json'))).rejects.toThrow(/looks-inside\.mgproj\.json \(.*outside\/secret\.mgproj\.json\) is outside the folders/);
    await expect(service.openProject('secret.mgproj.json')).rejects.toThrow(/is outside the folders/);
    const saved = await service.saveProject(join(root, 'sub', 'new.mgproj.json'), emptyProject('new'));
    expect(JSON.parse(readFileSync(saved.path, 'utf8')).name).toBe('new');
    await expect(service.saveProject(join(root, 'out-link', 'new.mgproj.json'), emptyProject('x'))).rejects.toThrow(/outside the folders/);
    await expect(service.saveProject(join(root, '..', 'escape.mgproj.json'), emptyProject('x'))).rejects.toThrow(/outside the folders/);
    // The refusal reaches a client as a refused reply (the web host answers it with 403).
    expect(await dispatchCall(service, 'openProject', [join(outside, 'secret.mgproj.json')])).toEqual({ ok: false, refused: true, error: expect.stringMatching(/outside the folders/) });
  });

  it('checks every path of a graph before a run: inputs, output folders, weights; the bundled demo may be read, not written', async () => {
    const demo = await service.openDemo();
    const at = (id: string, params: Record<string, unknown>) => ({ ...demo.project.graph, nodes: demo.project.graph.nodes.map((n) => (n.id === id ? { ...n, params: { ...n.params, ...params } } : n)) });
    await expect(service.startRun({ graph: at('photos', { path: outside }), baseDir: root })).rejects.toThrow(refusal("the file or folder of node 'photos'", outside));
    await expect(service.startRun({ graph: at('out', { folder: join(outside, 'pngs') }), baseDir: root })).rejects.toThrow(/the folder of node 'out'/);
    await expect(service.startRun({ graph: at('out', { folder: 'pngs' }), baseDir: dirname(DEMO) })).rejects.toThrow(/may only be read/);
    await expect(service.startRun({ graph: at('E', { weights: join(outside, 'e.mgw') }), baseDir: root })).rejects.toThrow(/the weights of node 'E'/);
    // The demo as it opens (its images and weights in the studio's own folder) is allowed.
    expect(await service.startRun({ graph: demo.project.graph, baseDir: demo.baseDir, count: 1, previews: 0 })).toMatchObject({ runId: expect.any(String) });
  });

  it('checks batch folders, dataset folders, presets, checkpoints and folders to open or list', async () => {
    const { graph } = (await service.openDemo()).project;
    const batch = { graph, baseDir: root, input: join(root, 'in'), output: join(root, 'out') };
    await expect(service.startBatch({ ...batch, input: outside })).rejects.toThrow(refusal('the input folder', outside));
    await expect(service.startBatch({ ...batch, output: '../outside/o' })).rejects.toThrow(/the output folder .*outside/);
    const ref = { id: 'faces', source: 'image-folder' as const, imageSize: 32, path: outside };
    await expect(service.datasetColumns(ref, root)).rejects.toThrow(/the folder of dataset 'faces'/);
    await expect(service.datasetPreview({ ...ref, path: 'x', csv: join(outside, 'a.csv') }, root, 2)).rejects.toThrow(/the attribute table of dataset 'faces'/);
    await expect(service.importPreset({ path: join(outside, 'p.mgpreset') })).rejects.toThrow(/the preset file/);
    await expect(service.exportPreset({ graph, baseDir: root, name: 'p', params: [], withWeights: false, path: join(outside, 'p.mgpreset.json') })).rejects.toThrow(/the preset file/);
    await expect(service.listCheckpoints(join(outside, 'secret.mgproj.json'))).rejects.toThrow(/the project file/);
    await expect(service.freezeCheckpoint(join(root, 'mine.mgproj.json'), 'iter-000001', join(outside, 'n.mgproj.json'))).rejects.toThrow(/the new project/);
    await expect(service.openFolder('../outside', root)).rejects.toThrow(/the folder/);
    await expect(service.listFolder(outside)).rejects.toThrow(refusal('the folder', outside));
  });

  it('reads a project to train only once it is allowed, then checks what it points at', async () => {
    const p = JSON.parse(readFileSync(TINY_PROJECT, 'utf8'));
    p.datasets[0].source = 'image-folder';
    p.datasets[0].path = outside;
    writeFileSync(join(root, 'train.mgproj.json'), JSON.stringify(p));
    await expect(service.startTraining({ projectPath: join(root, 'train.mgproj.json') })).rejects.toThrow(/the folder of dataset '.*' .*is outside/);
    // Outside: refused before it is read (no parse error about its contents).
    writeFileSync(join(outside, 'bad.mgproj.json'), 'not json');
    await expect(service.startTraining({ projectPath: join(outside, 'bad.mgproj.json') })).rejects.toThrow(refusal('the project file', join(outside, 'bad.mgproj.json')));
    await expect(service.sampleNow(join(outside, 'bad.mgproj.json'))).rejects.toThrow(/the project file/);
  });

  it('lists the roots, then a folder: subfolders and studio files, no hidden ones, no links out', async () => {
    expect(await service.listFolder(null)).toEqual({ path: null, parent: null, rooted: true, truncated: false, entries: [{ name: root, path: root, kind: 'folder' }] });
    writeFileSync(join(root, '.hidden.png'), '');
    writeFileSync(join(root, 'face.png'), '');
    writeFileSync(join(root, 'notes.pdf'), '');
    writeFileSync(join(root, 'attributes.csv'), 'file,a\n');
    const l = await service.listFolder(root);
    expect(l.parent).toBeNull();
    expect(l.entries.map((e) => `${e.kind}:${e.name}`)).toEqual(['folder:d1', 'folder:in-link', 'folder:sub', 'project:mine.mgproj.json', 'project:train.mgproj.json', 'table:attributes.csv', 'image:face.png']);
    expect((await service.listFolder(join(root, 'd1'))).parent).toBe(root);
  });

  it('lists only the recent projects inside the roots', async () => {
    const unguarded = createEngineService({ stateDir: join(T, 'state'), demoPath: DEMO, host: 'test' });
    await unguarded.openProject(join(outside, 'secret.mgproj.json'));
    await unguarded.openProject(join(root, 'mine.mgproj.json'));
    expect(await unguarded.listRecent()).toHaveLength(3);
    expect(await service.listRecent()).toEqual([join(root, 'mine.mgproj.json'), join(root, 'sub', 'new.mgproj.json')]);
  });
});
