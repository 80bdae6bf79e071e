import { describe, expect, it, vi } from 'vitest';
import type { EngineApi, RunEvent } from '../../../core/api';
import { emptyProject } from '../../../core/graph';
import { createDialogs } from '../../../electron/dialogs';
import { type EngineChild, type ParentPortLike, serveEngine, superviseEngine } from '../../../core/engine/engine-process';
import { type IpcEventLike, type IpcMainLike, registerMainIpc } from '../../../electron/main-ipc';
import { CALL_CHANNEL, MENU_CHANNEL, RUN_EVENT_CHANNEL } from '../../../electron/messages';
import { type IpcRendererLike, createPreloadBridge } from '../../../electron/preload-bridge';
import { noPresetOrBatchCalls } from '../../helpers/fake-engine';

// The three Electron hops with fake IPC: page (preload bridge) -> main (ipcMain handler) ->
// engine process (message port) and back, with the real schemas at every receiving side.

const PAGE = 'file:///app/dist/renderer/index.html';

function fakeService(): EngineApi & { emit(e: RunEvent): void } {
  const listeners = new Set<(e: RunEvent) => void>();
  return {
    info: async () => ({ version: 'engine', host: 'electron', nativeDialogs: false }),
    openDemo: async () => ({ path: null, project: emptyProject('demo'), baseDir: '/demo', notes: [] }),
    openProject: async (path) => ({ path, project: emptyProject('opened'), baseDir: '/', notes: [] }),
    saveProject: async (path) => ({ path }),
    listRecent: async () => ['/a.mgproj.json'],
    saveRecovery: async () => undefined,
    loadRecovery: async () => null,
    chooseProjectPath: async () => null,
    startRun: async () => ({ runId: 'r1' }),
    cancelRun: async () => undefined,
    ...noPresetOrBatchCalls,
    onRunEvent: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    emit: (e) => listeners.forEach((l) => l(e)),
  };
}

/** A linked pair of ports, as utilityProcess.fork and process.parentPort are. */
function portPair() {
  const toEngine = new Set<(e: { data: unknown }) => void>();
  const toMain = new Set<(m: unknown) => void>();
  const engine: ParentPortLike = { on: (_e, l) => void toEngine.add(l), postMessage: (m) => queueMicrotask(() => toMain.forEach((l) => l(m))) };
  const child: EngineChild & { inject(m: unknown): void; send(m: unknown): void } = {
    on: ((event: string, l: (m: unknown) => void) => {
      if (event === 'message') toMain.add(l);
    }) as EngineChild['on'],
    kill: () => undefined,
    postMessage: (m) => queueMicrotask(() => toEngine.forEach((l) => l({ data: m }))),
    inject: (m) => toMain.forEach((l) => l(m)),
    send: (m) => toEngine.forEach((l) => l({ data: m })),
  };
  return { engine, child };
}

function wire(opts: { trusted?: (url: string) => boolean } = {}) {
  const service = fakeService();
  const { engine, child } = portPair();
  const log = vi.fn();
  serveEngine(engine, service, log);
  const link = superviseEngine(() => child, { log });
  let handler: ((e: IpcEventLike, ...a: unknown[]) => Promise<unknown>) | undefined;
  const ipcMain: IpcMainLike = { handle: (ch, l) => ch === CALL_CHANNEL && (handler = l) };
  const toPage = new Map<string, Set<(e: unknown, ...a: unknown[]) => void>>();
  const sendToPage = (channel: string, ...args: unknown[]) => toPage.get(channel)?.forEach((l) => l({}, ...args));
  const chooseProjectPath = vi.fn(async () => '/chosen.mgproj.json');
  const onDocument = vi.fn();
  registerMainIpc(ipcMain, {
    engine: link,
    dialogs: { chooseProjectPath, choosePresetPath: async () => '/chosen.mgpreset' },
    trusted: opts.trusted ?? ((url) => url === PAGE),
    toPage: (ch, p) => sendToPage(ch, p),
    version: '9.9.9',
    onDocument,
  });
  let senderUrl = PAGE;
  const ipcRenderer: IpcRendererLike = {
    invoke: (_ch, payload) => handler!({ senderFrame: { url: senderUrl } }, payload),
    on: (ch, l) => (toPage.get(ch) ?? toPage.set(ch, new Set()).get(ch)!).add(l),
    removeListener: (ch, l) => toPage.get(ch)?.delete(l),
  };
  const bridge = createPreloadBridge(ipcRenderer);
  return { service, child, bridge, chooseProjectPath, onDocument, log, sendToPage, invoke: (p: unknown) => ipcRenderer.invoke(CALL_CHANNEL, p), setSender: (u: string) => (senderUrl = u) };
}

describe('Electron IPC, page to engine', () => {
  it('carries calls through main to the engine and back', async () => {
    const w = wire();
    expect((await w.bridge.openDemo()).project.name).toBe('demo');
    expect(await w.bridge.listRecent()).toEqual(['/a.mgproj.json']);
    expect(await w.bridge.saveProject('/x.mgproj.json', emptyProject('x'))).toEqual({ path: '/x.mgproj.json' });
    expect(w.onDocument).toHaveBeenCalledWith('/x.mgproj.json');
  });

  it('answers info and file dialogs in main', async () => {
    const w = wire();
    expect(await w.bridge.info()).toEqual({ version: '9.9.9', host: 'electron', nativeDialogs: true });
    expect(await w.bridge.chooseProjectPath('save', 'a.mgproj.json')).toBe('/chosen.mgproj.json');
    expect(w.chooseProjectPath).toHaveBeenCalledWith('save', 'a.mgproj.json');
    expect(await w.bridge.choosePresetPath()).toBe('/chosen.mgpreset');
  });

  it('refuses malformed payloads and unknown methods in main', async () => {
    const w = wire();
    expect(await w.invoke({ method: 'openProject', params: [1] })).toMatchObject({ ok: false, error: expect.stringMatching(/refused openProject call/) });
    expect(await w.invoke({ method: 'constructor', params: [] })).toMatchObject({ ok: false });
    expect(await w.invoke('rm -rf')).toMatchObject({ ok: false });
    await expect(w.bridge.openProject('')).rejects.toThrow(/refused/);
  });

  it('refuses calls from any page but the studio', async () => {
    const w = wire();
    w.setSender('https://evil.example/');
    await expect(w.bridge.listRecent()).rejects.toThrow(/did not come from the studio page/);
  });

  it('passes run events from the engine to the page, checked on the way', async () => {
    const w = wire();
    const got: RunEvent[] = [];
    const off = w.bridge.onRunEvent((e) => got.push(e));
    w.service.emit({ type: 'progress', runId: 'r1', done: 1, total: 4 });
    await new Promise((r) => setTimeout(r, 0));
    w.child.inject({ event: { type: 'progress', runId: 'r1', done: 'lots' } }); // malformed: dropped in main
    w.sendToPage(RUN_EVENT_CHANNEL, { type: 'nonsense' }); // malformed: dropped in the preload
    expect(got).toEqual([{ type: 'progress', runId: 'r1', done: 1, total: 4 }]);
    expect(w.log).toHaveBeenCalledWith(expect.stringMatching(/refused run event/));
    off();
  });

  it('refuses malformed requests in the engine process', async () => {
    const w = wire();
    w.child.send({ id: 'x', method: 'listRecent' });
    expect(w.log).toHaveBeenCalledWith(expect.stringMatching(/engine: refused a malformed request/));
  });

  it('checks parameters in the engine process too, whoever sent them', async () => {
    const w = wire();
    const openProject = vi.spyOn(w.service, 'openProject');
    const replies: unknown[] = [];
    w.child.on('message', (m) => replies.push(m));
    // Straight to the engine's port, past main's own check.
    w.child.send({ id: 41, method: 'openProject', params: [{ path: '/etc/passwd' }] });
    w.child.send({ id: 42, method: 'constructor', params: [] });
    w.child.send({ id: 43, method: 'saveProject', params: ['/x.mgproj.json', { format: 'not a project' }] });
    await vi.waitFor(() => expect(replies).toHaveLength(3));
    expect(replies).toEqual([
      { id: 41, reply: { ok: false, error: expect.stringMatching(/^refused openProject call/) } },
      { id: 42, reply: { ok: false, error: expect.stringMatching(/^refused call: method: is not an engine method/) } },
      { id: 43, reply: { ok: false, error: expect.stringMatching(/^refused saveProject call/) } },
    ]);
    expect(openProject).not.toHaveBeenCalled();
  });

  it('delivers only known menu commands to the page', () => {
    const w = wire();
    const got: unknown[] = [];
    w.bridge.onMenuCommand!((c, arg) => got.push([c, arg]));
    w.sendToPage(MENU_CHANNEL, 'save');
    w.sendToPage(MENU_CHANNEL, 'openRecent', '/a.mgproj.json');
    w.sendToPage(MENU_CHANNEL, 'format-disk');
    expect(got).toEqual([
      ['save', undefined],
      ['openRecent', '/a.mgproj.json'],
    ]);
  });

  it('fails pending calls when the engine process exits', async () => {
    const listeners: Record<string, (...x: unknown[]) => void> = {};
    const link = superviseEngine(() => ({ on: ((e: string, l: (...x: unknown[]) => void) => (listeners[e] = l)) as EngineChild['on'], postMessage: () => undefined, kill: () => undefined }), { log: () => undefined });
    const reply = link.call('listRecent', []);
    listeners.exit!(3);
    expect(await reply).toEqual({ ok: false, error: expect.stringMatching(/^The engine process stopped while it was running a call to listRecent: exit code 3\./) });
  });
});

describe('native dialogs', () => {
  it('asks for project files and restores a dropped double extension', async () => {
    const d = createDialogs({
      showOpenDialog: async () => ({ canceled: false, filePaths: ['/p/a.mgproj.json'] }),
      showSaveDialog: async () => ({ canceled: false, filePath: '/p/b.json' }),
    });
    expect(await d.chooseProjectPath('open', null)).toBe('/p/a.mgproj.json');
    expect(await d.chooseProjectPath('save', 'b.mgproj.json')).toBe('/p/b.mgproj.json');
    const cancelled = createDialogs({ showOpenDialog: async () => ({ canceled: true, filePaths: [] }), showSaveDialog: async () => ({ canceled: true }) });
    expect(await cancelled.chooseProjectPath('open', null)).toBeNull();
    expect(await cancelled.chooseProjectPath('save', null)).toBeNull();
  });
});
