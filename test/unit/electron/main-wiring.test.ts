import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { API_METHODS, type EngineExitInfo } from '../../../core/api';
import { emptyProject } from '../../../core/graph';
import { CALL_CHANNEL, RUN_EVENT_CHANNEL } from '../../../electron/messages';

// electron/main.ts and preload.ts themselves, against a fake 'electron' module (its binary
// cannot run here): the window's security settings as main really applies them, the
// preload's one exposed object, and the engine's utility process dying (out of memory)
// and being restarted while the window stays.

const fake = await vi.hoisted(async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  type Contents = InstanceType<typeof Emitter> & { sent: unknown[][]; openHandler: unknown };
  const state = {
    userData: '',
    windows: [] as { options: Record<string, unknown>; contents: Contents }[],
    forks: [] as (InstanceType<typeof Emitter> & { pid: number; args: unknown[]; posted: unknown[]; postMessage(m: unknown): void; kill(): boolean })[],
    handlers: new Map<string, (e: unknown, ...a: unknown[]) => Promise<unknown>>(),
    headers: null as null | ((d: { responseHeaders?: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[] | string> }) => void) => void),
    permission: null as null | ((wc: unknown, p: string, cb: (ok: boolean) => void) => void),
    exposed: [] as [string, unknown][],
    invoked: [] as unknown[][],
  };
  const app = Object.assign(new Emitter(), {
    requestSingleInstanceLock: () => true,
    quit: () => undefined,
    whenReady: () => Promise.resolve(),
    getAppPath: () => '/app',
    isPackaged: false,
    getPath: () => state.userData,
    getVersion: () => '1.2.3',
    addRecentDocument: () => undefined,
  });
  class BrowserWindow extends Emitter {
    readonly webContents: Contents;
    constructor(readonly options: Record<string, unknown>) {
      super();
      const contents: Contents = Object.assign(new Emitter(), { sent: [] as unknown[][], openHandler: null as unknown });
      Object.assign(contents, {
        send: (...a: unknown[]) => contents.sent.push(a),
        setWindowOpenHandler: (h: unknown) => (contents.openHandler = h),
      });
      this.webContents = contents;
      state.windows.push({ options, contents });
    }
    loadURL = async () => undefined;
    show = () => undefined;
    isMinimized = () => false;
  }
  let pid = 500;
  const utilityProcess = {
    fork: (...args: unknown[]) => {
      const p = Object.assign(new Emitter(), {
        pid: pid++,
        args,
        posted: [] as unknown[],
        postMessage(m: { id: number; method: string }) {
          p.posted.push(m);
          if (m.method === 'listRecent') queueMicrotask(() => p.emit('message', { id: m.id, reply: { ok: true, result: [`/recent-${p.pid}.mgproj.json`] } }));
        },
        kill: () => true,
      });
      state.forks.push(p as never);
      return p;
    },
  };
  const module = {
    app,
    BrowserWindow,
    utilityProcess,
    Menu: { setApplicationMenu: () => undefined, buildFromTemplate: (t: unknown) => t },
    dialog: {},
    shell: { openExternal: () => undefined },
    ipcMain: { handle: (ch: string, l: (e: unknown, ...a: unknown[]) => Promise<unknown>) => state.handlers.set(ch, l) },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: (h: typeof state.headers) => (state.headers = h) },
        setPermissionRequestHandler: (h: typeof state.permission) => (state.permission = h),
      },
    },
    contextBridge: { exposeInMainWorld: (name: string, api: unknown) => state.exposed.push([name, api]) },
    ipcRenderer: {
      invoke: async (...a: unknown[]) => (state.invoked.push(a), { ok: true, result: [] }),
      on: () => undefined,
      removeListener: () => undefined,
      send: () => undefined,
    },
  };
  return { state, module };
});
vi.mock('electron', () => ({ ...fake.module, default: fake.module }));

const { state } = fake;
const win = () => state.windows[0]!;
const PAGE = 'file:///app/dist/renderer/index.html';
const call = (method: string, params: unknown[], url = PAGE) => state.handlers.get(CALL_CHANNEL)!({ senderFrame: { url } }, { method, params }) as Promise<{ ok: boolean; result?: unknown; error?: string }>;

beforeAll(async () => {
  state.userData = mkdtempSync(join(tmpdir(), 'modulargan-electron-'));
  await import('../../../electron/main');
  await import('../../../electron/preload');
  await vi.waitFor(() => expect(state.windows).toHaveLength(1));
});

describe('Electron main as wired (fake electron module)', () => {
  it('opens the window sandboxed and isolated, without Node, with the preload', () => {
    expect(win().options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, webviewTag: false, webSecurity: true });
    expect(String((win().options.webPreferences as { preload: string }).preload)).toMatch(/preload\.cjs$/);
  });

  it('puts a strict CSP on every response and grants no permission', () => {
    let headers: Record<string, string[] | string> = {};
    state.headers!({ responseHeaders: { 'x-a': ['b'] } }, (r) => (headers = r.responseHeaders));
    const csp = String(headers['Content-Security-Policy']);
    for (const d of ["default-src 'self'", "script-src 'self'", "connect-src 'none'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"]) expect(csp).toContain(d);
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    let granted: boolean | undefined;
    state.permission!(null, 'media', (ok) => (granted = ok));
    expect(granted).toBe(false);
  });

  it('refuses navigation away from the page and every new window', () => {
    let prevented = false;
    win().contents.emit('will-navigate', { preventDefault: () => (prevented = true) }, 'https://evil.example/');
    expect(prevented).toBe(true);
    const open = win().contents.openHandler as (d: { url: string }) => { action: string };
    expect(open({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
  });

  it('answers only the studio page', async () => {
    expect(await call('listRecent', [], 'https://evil.example/')).toMatchObject({ ok: false, error: expect.stringMatching(/did not come from the studio page/) });
    expect((await call('listRecent', [])).ok).toBe(true);
  });

  it('keeps the window when the engine runs out of memory, says so, and restarts it', async () => {
    const first = state.forks[0]!;
    expect(first.args.slice(0, 2)).toEqual([expect.stringMatching(/engine-process\.cjs$/), [join(state.userData, 'state'), expect.stringMatching(/demo\.mgproj\.json$/)]]);
    // Electron reports a utility process's death twice: 'exit' with a code, and app's
    // 'child-process-gone' with the reason.
    first.emit('exit', 9);
    fake.module.app.emit('child-process-gone', {}, { type: 'Utility', serviceName: 'ModularGAN engine', reason: 'oom', exitCode: 9 });
    await vi.waitFor(() => expect(win().contents.sent.some((a) => a[0] === RUN_EVENT_CHANNEL)).toBe(true), { timeout: 2000 });
    const [, exited] = (win().contents.sent as unknown[][]).find((a) => a[0] === RUN_EVENT_CHANNEL)! as [string, EngineExitInfo & { type: string }];
    expect(exited).toMatchObject({ type: 'engine-exited', process: `engine process (pid ${first.pid})`, code: 9, reason: 'oom' });
    expect(exited.message).toMatch(/it ran out of memory \(exit code 9\)/);
    expect(state.windows).toHaveLength(1); // the same window: nothing closed or reopened

    // While it is down: calls fail at once, unsaved work still reaches the recovery file (main writes it).
    expect(await call('listRecent', [])).toEqual({ ok: false, error: exited.message });
    expect(await call('saveRecovery', [{ path: null, baseDir: '/', project: emptyProject('unsaved'), savedAt: 'now' }])).toMatchObject({ ok: true });
    expect(JSON.parse(readFileSync(join(state.userData, 'state', 'recovery.json'), 'utf8')).project.name).toBe('unsaved');
    expect((await call('loadRecovery', [])).result).toMatchObject({ project: { name: 'unsaved' } });

    // A reloaded page is told again.
    const before = win().contents.sent.length;
    win().contents.emit('did-finish-load');
    expect(win().contents.sent.length).toBe(before + 1);

    expect(await call('restartEngine', [])).toMatchObject({ ok: true });
    expect(state.forks).toHaveLength(2);
    expect(win().contents.sent.at(-1)).toEqual([RUN_EVENT_CHANNEL, { type: 'engine-restarted' }]);
    expect(await call('listRecent', [])).toEqual({ ok: true, result: [`/recent-${state.forks[1]!.pid}.mgproj.json`] });
    expect(await call('saveRecovery', [null])).toMatchObject({ ok: true });
    expect(existsSync(join(state.userData, 'state', 'recovery.json'))).toBe(false);
  });
});

describe('the preload', () => {
  it('exposes one object, the typed API and menu commands, and nothing of Electron', async () => {
    expect(state.exposed.map(([name]) => name)).toEqual(['modulargan']);
    const api = state.exposed[0]![1] as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual([...API_METHODS, 'onRunEvent', 'onMenuCommand', 'connectEngine', 'listEngines'].sort());
    for (const v of Object.values(api)) expect(typeof v).toBe('function');
    // No way to reach ipcRenderer: calls go over the one invoke channel, as { method, params }.
    await (api.listRecent as () => Promise<unknown>)();
    expect(state.invoked).toEqual([[CALL_CHANNEL, { method: 'listRecent', params: [] }]]);
    expect(api).not.toHaveProperty('invoke');
    expect(api).not.toHaveProperty('send');
    expect(EventEmitter.prototype.isPrototypeOf(api)).toBe(false);
  });
});
