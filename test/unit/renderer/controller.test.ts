import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { RecoveryRecord, RunEvent, StudioBridge } from '../../../core/api';
import { type Project, loadProject } from '../../../core/graph';
import { StudioController } from '../../../renderer/app/controller';
import { EditorStore } from '../../../renderer/state/editor-store';
import { noPresetOrBatchCalls } from '../../helpers/fake-engine';

const demo = (): Project => {
  const r = loadProject(readFileSync(join(import.meta.dirname, '../../../test/fixtures/demo/demo.mgproj.json'), 'utf8'));
  if (!r.ok) throw new Error('demo does not load');
  return r.value.value;
};

function fakeApi(opts: { native?: boolean; recovery?: RecoveryRecord | null } = {}) {
  let emit: (e: RunEvent) => void = () => {};
  let menu: (c: 'save' | 'undo', arg?: string) => void = () => {};
  const saved: { path: string; project: Project }[] = [];
  const recoveries: (RecoveryRecord | null)[] = [];
  const api = {
    info: vi.fn(async () => ({ version: '0', host: 'test' as const, nativeDialogs: !!opts.native })),
    openDemo: vi.fn(async () => ({ path: null, project: demo(), baseDir: '/demo', notes: [] })),
    openProject: vi.fn(async (path: string) => ({ path, project: { ...demo(), name: 'opened' }, baseDir: '/p', notes: ['upgraded from version 1'] })),
    saveProject: vi.fn(async (path: string, project: Project) => {
      saved.push({ path, project });
      return { path };
    }),
    listRecent: vi.fn(async () => ['/r.mgproj.json']),
    saveRecovery: vi.fn(async (r: RecoveryRecord | null) => void recoveries.push(r)),
    loadRecovery: vi.fn(async () => opts.recovery ?? null),
    chooseProjectPath: vi.fn(async () => '/native.mgproj.json'),
    startRun: vi.fn(async () => {
      // The engine is quick: its first event overtakes the reply that names the run.
      emit({ type: 'progress', runId: 'r1', done: 0, total: 4 });
      return { runId: 'r1' };
    }),
    cancelRun: vi.fn(async () => undefined),
    ...noPresetOrBatchCalls,
    onRunEvent: (l: (e: RunEvent) => void) => {
      emit = l;
      return () => {};
    },
    onMenuCommand: (l: typeof menu) => {
      menu = l;
      return () => {};
    },
  };
  return { api: api as unknown as StudioBridge & typeof api, emit: (e: RunEvent) => emit(e), menu: (c: 'save' | 'undo') => menu(c), saved, recoveries };
}

async function started(opts: Parameters<typeof fakeApi>[0] = {}) {
  const f = fakeApi(opts);
  const store = new EditorStore();
  const askPath = vi.fn(async () => '/typed.mgproj.json');
  const c = new StudioController(store, f.api, { askPath, confirmDiscard: () => true });
  const recovery = await c.start();
  c.stop();
  return { ...f, store, c, askPath, recovery };
}

describe('studio controller', () => {
  it('opens the demo untitled and hands back unsaved work to offer', async () => {
    const rec: RecoveryRecord = { path: '/x.mgproj.json', baseDir: '/', project: { ...demo(), name: 'lost' }, savedAt: '2026-01-01T00:00:00Z' };
    const { store, c, recovery } = await started({ recovery: rec });
    expect(store.project.name).toBe('Demo: hair translation');
    expect(store.getState().path).toBeNull();
    expect(recovery).toEqual(rec);
    c.recover(rec);
    expect(store.project.name).toBe('lost');
    expect(store.dirty).toBe(true);
  });

  it('asks for a path in the page without native dialogs, and uses them with', async () => {
    const web = await started();
    web.store.addNode('noise-input', { x: 0, y: 0 });
    expect(await web.c.save()).toBe(true);
    expect(web.askPath).toHaveBeenCalledWith('save', 'demo-hair-translation.mgproj.json', ['/r.mgproj.json']);
    expect(web.saved[0]!.path).toBe('/typed.mgproj.json');
    expect(web.store.dirty).toBe(false);
    expect(web.store.getState().path).toBe('/typed.mgproj.json');
    const native = await started({ native: true });
    await native.c.saveAs();
    expect(native.saved[0]!.path).toBe('/native.mgproj.json');
    expect(native.askPath).not.toHaveBeenCalled();
  });

  it('autosaves unsaved work once per change and clears it on save', async () => {
    const { store, c, recoveries } = await started();
    await c.autosave();
    expect(recoveries).toEqual([]); // nothing unsaved
    store.addNode('noise-input', { x: 0, y: 0 });
    await c.autosave();
    await c.autosave();
    expect(recoveries).toHaveLength(1);
    expect(recoveries[0]!.project).toBe(store.project);
    await c.save();
    expect(recoveries.at(-1)).toBeNull();
  });

  it('runs, keeping events that overtook the reply, collecting previews, and marking a failing node', async () => {
    const { store, c, emit } = await started();
    await c.run();
    expect(store.getState().run).toMatchObject({ id: 'r1', status: 'running', total: 4 });
    emit({ type: 'preview', runId: 'r1', node: 'out', index: 1, png: 'data:image/png;base64,AA' });
    emit({ type: 'preview', runId: 'other', node: 'out', index: 0, png: 'data:image/png;base64,BB' });
    expect(store.getState().run.previews.out).toEqual([undefined, 'data:image/png;base64,AA']);
    emit({ type: 'failed', runId: 'r1', message: "Image input 'photos': no images", node: 'photos' });
    expect(store.getState().run).toMatchObject({ status: 'failed', error: { node: 'photos' } });
  });

  it('does not start a run on an invalid graph, and names the node at fault', async () => {
    const { store, c, api } = await started();
    store.select(['E'], []);
    store.removeSelection();
    await c.run();
    expect(api.startRun).not.toHaveBeenCalled();
    expect(store.getState().run.error?.node).toBe('T_hair');
  });

  it('carries out native menu commands', async () => {
    const { store, menu, saved } = await started();
    store.addNode('noise-input', { x: 0, y: 0 });
    menu('undo');
    expect(store.dirty).toBe(false);
    menu('save');
    await vi.waitFor(() => expect(saved).toHaveLength(1));
  });

  it('keeps the document and its history when the engine dies, fails the run, and restarts', async () => {
    const { store, c, emit } = await started();
    store.addNode('noise-input', { x: 0, y: 0 });
    const project = store.project;
    await c.run();
    expect(store.getState().run.status).toBe('running');
    emit({ type: 'engine-exited', process: 'engine process (pid 9)', code: null, signal: 'SIGKILL', running: ['a run of the graph'], message: 'The engine process (pid 9) stopped.' });
    expect(store.getState().engineExit).toMatchObject({ signal: 'SIGKILL', message: 'The engine process (pid 9) stopped.' });
    expect(store.getState().run).toMatchObject({ status: 'failed', error: { message: 'the engine stopped (SIGKILL)' } });
    expect(store.project).toBe(project);
    expect(store.dirty).toBe(true);
    expect(store.canUndo).toBe(true);
    expect(await c.restartEngine()).toBe(true);
    expect(store.getState().engineExit).toBeNull();
    expect(store.project).toBe(project);
    emit({ type: 'engine-exited', process: 'p', code: 1, signal: null, running: [], message: 'm' });
    emit({ type: 'engine-restarted' }); // another window restarted it
    expect(store.getState().engineExit).toBeNull();
  });
});
