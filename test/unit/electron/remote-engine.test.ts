import { mkdirSync, mkdtempSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EngineTarget, RunEvent } from '../../../core/api';
import { type EngineChild, type EngineRequest, superviseEngine } from '../../../core/engine/engine-process';
import { connectRemoteEngine } from '../../../core/engine/remote-engine';
import { type EngineService, createEngineService } from '../../../core/engine/service';
import { createStateFiles } from '../../../core/engine/state-files';
import { readTlsFiles } from '../../../core/engine/serve-files';
import { createEngineSwitch } from '../../../electron/engine-switch';
import { type IpcEventLike, type IpcMainLike, registerMainIpc } from '../../../electron/main-ipc';
import { type IpcRendererLike, createPreloadBridge } from '../../../electron/preload-bridge';
import { type WebHost, startWebHost } from '../../../web/host';
import { type Relay, selfSignedCertificate, tcpRelay } from '../../helpers/serve';

// The studio app connected to an engine on another machine: page (preload bridge) -> main
// (its IPC handler over the engine switch) -> HTTPS and a WebSocket through a relay that
// plays the network -> a web host with TLS and roots -> a real engine service. The
// certificate is self-signed: trusted by its fingerprint, refused without it; a wrong
// token or fingerprint is said plainly; this machine's dialogs and recent-files menu stay
// out of the other machine's paths; a dropped connection is reconnected and announced; the
// recent list of engines is kept in a file only its user can read.

const PAGE = 'file:///app/dist/renderer/index.html';
const TOKEN = 'electron-remote-token-0123456789';
const T = realpathSync(mkdtempSync(join(tmpdir(), 'mg-electron-remote-')));
const root = join(T, 'root');
let service: EngineService;
let host: WebHost;
let relay: Relay;
let fingerprint: string;

beforeAll(async () => {
  mkdirSync(root);
  const { cert, key } = selfSignedCertificate(T);
  const tls = await readTlsFiles(cert, key);
  fingerprint = tls.fingerprint;
  service = createEngineService({ stateDir: join(T, 'remote-state'), demoPath: join(import.meta.dirname, '../../fixtures/demo/demo.mgproj.json'), host: 'web', roots: [root] });
  relay = await tcpRelay(() => host.port);
  host = await startWebHost({ service, staticDir: T, token: TOKEN, tls: { cert: tls.cert, key: tls.key }, hostNames: [`127.0.0.1:${relay.port}`], log: () => undefined });
}, 30_000);
afterAll(async () => {
  await relay?.close();
  await host?.close();
  await service?.close();
});

/** The app's own engine: a fake utility process that answers listRecent and info. */
function ownEngine() {
  const on: Record<string, (...a: unknown[]) => void> = {};
  const child: EngineChild = {
    pid: 7,
    on: ((e: string, l: (...a: unknown[]) => void) => (on[e] = l)) as EngineChild['on'],
    postMessage: (m: EngineRequest) => queueMicrotask(() => on.message?.({ id: m.id, reply: { ok: true, result: m.method === 'listRecent' ? ['/own.mgproj.json'] : null } })),
    kill: () => on.exit?.(null, 'SIGTERM'),
  };
  return superviseEngine(() => child, { log: () => undefined });
}

function app() {
  const link = createEngineSwitch(ownEngine());
  const state = createStateFiles(join(T, `app-state-${Math.random()}`));
  const handlers = new Map<string, (e: IpcEventLike, ...a: unknown[]) => Promise<unknown>>();
  const ipcMain: IpcMainLike = { handle: (ch, l) => void handlers.set(ch, l) };
  const toPage = new Set<(e: unknown, ...a: unknown[]) => void>();
  const reload = vi.fn();
  const chooseProjectPath = vi.fn(async () => '/this-machine.mgproj.json');
  const onDocument = vi.fn();
  registerMainIpc(ipcMain, {
    engine: link,
    connect: async (target) => {
      link.use(target ? await connectRemoteEngine(target, { log: () => undefined, delays: [100] }) : null);
      if (target) await state.touchEngine(target);
      reload();
    },
    engines: () => state.engines(),
    dialogs: { chooseProjectPath, choosePresetPath: async () => '/this-machine.mgpreset' },
    trusted: (url) => url === PAGE,
    toPage: (_ch, e) => toPage.forEach((l) => l({}, e)),
    version: '9.9.9',
    onDocument,
  });
  const ipcRenderer: IpcRendererLike = {
    invoke: (ch, ...args) => handlers.get(ch)!({ senderFrame: { url: PAGE } }, ...args),
    on: (_ch, l) => void toPage.add(l),
    removeListener: (_ch, l) => void toPage.delete(l),
  };
  return { bridge: createPreloadBridge(ipcRenderer), link, reload, chooseProjectPath, onDocument, handlers };
}

const target = (over: Partial<EngineTarget> = {}): EngineTarget => ({ url: `https://127.0.0.1:${relay.port}`, token: TOKEN, fingerprint, ...over });

describe('the studio app on an engine on another machine', () => {
  it('refuses an untrusted certificate, a wrong fingerprint and a wrong token, saying what to do', async () => {
    const { bridge, link } = app();
    await expect(bridge.connectEngine!(target({ fingerprint: undefined }))).rejects.toThrow(/certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted here \(DEPTH_ZERO_SELF_SIGNED_CERT\): give its SHA-256 fingerprint/);
    await expect(bridge.connectEngine!(target({ fingerprint: 'AB:'.repeat(31) + 'AB' }))).rejects.toThrow(/has the fingerprint [0-9A-F:]+, not the one given \(AB:AB/);
    await expect(bridge.connectEngine!(target({ token: 'not-the-token-0123456789' }))).rejects.toThrow(/refused the access token: give the one in its token file/);
    await expect(bridge.connectEngine!({ url: 'http://192.0.2.1:8470', token: TOKEN })).rejects.toThrow(/reached over https .* or through an SSH tunnel/);
    await expect(bridge.connectEngine!({ url: 'gpu-box', token: TOKEN })).rejects.toThrow(/refused: url: must be the address modulargan serve printed/);
    expect(link.remote).toBeNull();
    expect(await bridge.listEngines!()).toEqual([]);
  }, 20_000);

  it('uses it like its own: its info and roots, its files, no dialogs of this machine, and back', async () => {
    const { bridge, link, reload, chooseProjectPath, onDocument } = app();
    await bridge.connectEngine!(target());
    expect(reload).toHaveBeenCalledTimes(1);
    expect(link.remote?.url).toBe(`https://127.0.0.1:${relay.port}`);
    expect(await bridge.info()).toMatchObject({ host: 'electron', nativeDialogs: false, remote: `https://127.0.0.1:${relay.port}`, roots: [root] });
    expect(await bridge.chooseProjectPath('open', null)).toBeNull();
    expect(chooseProjectPath).not.toHaveBeenCalled();
    expect(await bridge.listFolder(null)).toMatchObject({ rooted: true, entries: [{ path: root, kind: 'folder' }] });
    await expect(bridge.openProject('/etc/x.mgproj.json')).rejects.toThrow(`refused: the project file /etc/x.mgproj.json is outside the folders this engine serves (modulargan serve --root): ${root}`);
    const demo = await bridge.openDemo();
    const saved = await bridge.saveProject(join(root, 'a.mgproj.json'), demo.project);
    expect(saved.path).toBe(join(root, 'a.mgproj.json'));
    // The other machine's path is not put in this machine's recent-files menu.
    expect(onDocument).not.toHaveBeenCalled();
    // Kept for next time, readable by this user only.
    expect(await bridge.listEngines!()).toEqual([target()]);
    await bridge.connectEngine!(null);
    expect(link.remote).toBeNull();
    expect(await bridge.info()).toEqual({ version: '9.9.9', host: 'electron', nativeDialogs: true });
    expect(await bridge.listRecent()).toEqual(['/own.mgproj.json']);
  }, 20_000);

  it('follows runs over the link, reconnects after it drops, and catches up', async () => {
    const { bridge } = app();
    await bridge.connectEngine!(target());
    const got: RunEvent[] = [];
    bridge.onRunEvent((e) => got.push(e));
    const demo = await bridge.openDemo();
    const { runId } = await bridge.startRun({ graph: demo.project.graph, baseDir: demo.baseDir, count: 1, previews: 0 });
    await expect.poll(() => got.some((e) => e.type === 'finished' && e.runId === runId), { timeout: 15_000 }).toBe(true);
    relay.drop(300);
    await expect.poll(() => got.filter((e) => e.type === 'engine-connection').map((e) => (e as { state: string }).state), { timeout: 10_000 }).toEqual(['reconnecting', 'connected']);
    // The replay brought the run's end again; the page takes it as it took the first.
    expect(got.filter((e) => e.type === 'finished' && e.runId === runId)).toHaveLength(2);
    await bridge.connectEngine!(null);
  }, 30_000);

  it('keeps the recent engines newest first, one per address, in a file of mode 600', async () => {
    const dir = join(T, 'engines-state');
    const state = createStateFiles(dir);
    await state.touchEngine({ url: 'https://a:1', token: 'ta' });
    await state.touchEngine({ url: 'https://b:1', token: 'tb' });
    await state.touchEngine({ url: 'https://a:1', token: 'ta2' });
    expect(await state.engines()).toEqual([
      { url: 'https://a:1', token: 'ta2' },
      { url: 'https://b:1', token: 'tb' },
    ]);
    expect(statSync(join(dir, 'engines.json')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, 'engines.json'), 'utf8'))).toHaveLength(2);
  });
});
