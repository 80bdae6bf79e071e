import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunEvent, checkParams, checkResult, dispatchCall } from '../../../core/api';
import { createEngineService } from '../../../core/engine/service';

const root = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'modulargan-api-'));
const service = createEngineService({ stateDir: join(dir, 'state'), demoPath: join(root, 'test', 'fixtures', 'demo', 'demo.mgproj.json'), host: 'test' });
afterAll(() => service.close());

describe('engine service', () => {
  it('opens the demo untitled, with its image folder made absolute', async () => {
    const demo = await service.openDemo();
    expect(demo.path).toBeNull();
    const input = demo.project.graph.nodes.find((n) => n.kind === 'image-input')!;
    expect(isAbsolute(input.params.path as string)).toBe(true);
    expect(existsSync(input.params.path as string)).toBe(true);
  });

  it('saves with a backup, reopens the same project, and keeps a recent list', async () => {
    const demo = await service.openDemo();
    const file = join(dir, 'a.mgproj.json');
    expect((await service.saveProject(file, demo.project)).path).toBe(file);
    await service.saveProject(file, { ...demo.project, name: 'second' });
    expect(existsSync(`${file}.bak`)).toBe(true);
    const again = await service.openProject(file);
    expect(again.project.name).toBe('second');
    expect(again.project.graph).toEqual(demo.project.graph);
    expect(await service.listRecent()).toEqual([file]);
  });

  it('writes only project files and reports unreadable ones in words', async () => {
    await expect(service.saveProject(join(dir, 'evil.sh'), (await service.openDemo()).project)).rejects.toThrow(/ends with \.mgproj\.json/);
    await expect(service.openProject(join(dir, 'missing.mgproj.json'))).rejects.toThrow(/does not exist/);
  });

  it('keeps and clears a recovery record', async () => {
    const demo = await service.openDemo();
    await service.saveRecovery({ path: null, baseDir: dir, project: demo.project, savedAt: '2026-01-01T00:00:00Z' });
    expect((await service.loadRecovery())?.project.name).toBe(demo.project.name);
    await service.saveRecovery(null);
    expect(await service.loadRecovery()).toBeNull();
  });

  it('runs the demo and streams progress and PNG previews per output node', async () => {
    const demo = await service.openDemo();
    const events: RunEvent[] = [];
    const off = service.onRunEvent((e) => events.push(e));
    const { runId } = await service.startRun({ graph: demo.project.graph, baseDir: demo.baseDir, previews: 2 });
    await expect.poll(() => events.some((e) => e.type === 'finished' || e.type === 'failed'), { timeout: 30_000 }).toBe(true);
    off();
    expect(events.every((e) => 'runId' in e && e.runId === runId)).toBe(true);
    const previews = events.filter((e) => e.type === 'preview');
    // Outputs, and the inputs they were made from (shown beside them); each names its input file.
    expect(previews.map((e) => `${e.node}:${e.index}`).sort()).toEqual(['mask_view:0', 'mask_view:1', 'out:0', 'out:1', 'photos:0', 'photos:1']);
    expect(previews.every((e) => e.type === 'preview' && /\.png$/.test(e.file ?? ''))).toBe(true);
    // A mask says what its grey levels stand for.
    expect(previews.filter((e) => e.type === 'preview' && e.node === 'mask_view').every((e) => e.type === 'preview' && e.range!.min === 0 && e.range!.max >= 1)).toBe(true);
    const png = Buffer.from(previews[0]!.png.split(',')[1]!, 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(events.at(-1)).toMatchObject({ type: 'finished', processed: 4, cancelled: false });
  });

  it('reports a run error on the node that caused it', async () => {
    const demo = await service.openDemo();
    const graph = { ...demo.project.graph, nodes: demo.project.graph.nodes.map((n) => (n.kind === 'image-input' ? { ...n, params: { ...n.params, path: join(dir, 'nowhere') } } : n)) };
    const events: RunEvent[] = [];
    const off = service.onRunEvent((e) => events.push(e));
    await service.startRun({ graph, baseDir: dir });
    await expect.poll(() => events.find((e) => e.type === 'failed'), { timeout: 30_000 }).toBeTruthy();
    off();
    expect(events.find((e) => e.type === 'failed')).toMatchObject({ node: 'photos' });
  });
});

describe('api schemas', () => {
  it('checks call parameters and results', async () => {
    expect(() => checkParams('openProject', [])).toThrow(/refused openProject call/);
    expect(() => checkParams('rm', [])).toThrow(/not an engine method/);
    expect(() => checkParams('toString', [])).toThrow(/not an engine method/);
    expect(() => checkParams('saveProject', ['/a.mgproj.json', { format: 'other' }])).toThrow(/refused saveProject call/);
    expect(checkParams('cancelRun', ['r1'])).toEqual({ method: 'cancelRun', params: ['r1'] });
    expect(() => checkResult('listRecent', [1])).toThrow(/refused listRecent reply/);
  });

  it('dispatches to the service and never throws', async () => {
    expect(await dispatchCall(service, 'listRecent', [])).toMatchObject({ ok: true });
    expect(await dispatchCall(service, 'openProject', ['/nope.mgproj.json'])).toMatchObject({ ok: false, error: expect.stringMatching(/does not exist/) });
    expect(await dispatchCall(service, 'startRun', [{ graph: 'x' }])).toMatchObject({ ok: false });
    expect(readFileSync(join(dir, 'state', 'recent.json'), 'utf8')).toContain('a.mgproj.json');
  });
});
