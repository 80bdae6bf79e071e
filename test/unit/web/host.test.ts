import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { EngineApi, RunEvent } from '../../../core/api';
import { type EngineChild, type EngineRequest, superviseEngine } from '../../../core/engine/engine-process';
import { emptyProject } from '../../../core/graph';
import { type WebHost, startWebHost } from '../../../web/host';
import { noPresetOrBatchCalls } from '../../helpers/fake-engine';

// Real HTTP requests to a host on 127.0.0.1: without the token, from another origin, with
// another Host name (DNS rebinding), and a path outside the page's folder are all refused.

const listeners = new Set<(e: RunEvent) => void>();
const fake: EngineApi = {
  info: async () => ({ version: '0', host: 'test', nativeDialogs: false }),
  openDemo: async () => ({ path: null, project: emptyProject('demo'), baseDir: '/', notes: [] }),
  openProject: async () => {
    throw new Error('no such file');
  },
  saveProject: async (path) => ({ path }),
  listRecent: async () => [],
  saveRecovery: async () => undefined,
  loadRecovery: async () => null,
  chooseProjectPath: async () => null,
  startRun: async () => {
    setTimeout(() => listeners.forEach((l) => l({ type: 'progress', runId: 'r1', done: 1, total: 2 })), 20);
    return { runId: 'r1' };
  },
  cancelRun: async () => undefined,
  ...noPresetOrBatchCalls,
  onRunEvent: (l) => {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};

let host: WebHost;
const dir = mkdtempSync(join(tmpdir(), 'modulargan-host-'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>studio</title>');
writeFileSync(join(tmpdir(), 'secret.txt'), 'secret');

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
function http(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Res> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end(opts.body);
  });
}
const call = (method: string, params: unknown[], headers: Record<string, string> = {}) =>
  http(`/api/call/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-modulargan-token': host.token, ...headers }, body: JSON.stringify({ params }) });

function ws(query: string, headers: Record<string, string> = {}): Promise<{ opened: boolean; status?: number; socket?: WebSocket }> {
  return new Promise((ok) => {
    const s = new WebSocket(`ws://127.0.0.1:${host.port}/api/events${query}`, { headers });
    s.on('open', () => ok({ opened: true, socket: s }));
    s.on('unexpected-response', (_req, res) => ok({ opened: false, status: res.statusCode }));
    s.on('error', () => ok({ opened: false }));
  });
}

beforeAll(async () => {
  host = await startWebHost({ service: fake, staticDir: dir });
});
afterAll(() => host.close());

/** Can a TCP connection to `address` on the host's port be made? */
const reachable = (address: string) =>
  new Promise<boolean>((ok) => {
    const s = connect({ host: address, port: host.port });
    s.once('connect', () => (s.destroy(), ok(true)));
    s.once('error', () => ok(false));
  });

describe('web host', () => {
  it('binds to loopback only and prints a URL with a long random token', async () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
    expect(await reachable('127.0.0.1')).toBe(true);
    // Every other address of this machine is refused: nothing outside it can connect.
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i && !i.internal)
      .map((i) => i!.address);
    for (const a of others) expect(await reachable(a)).toBe(false);
  });

  it('refuses the page and the API without the token', async () => {
    expect((await http('/')).status).toBe(401);
    expect((await http('/?token=wrong')).status).toBe(401);
    const r = await http('/api/call/info', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"params":[]}' });
    expect(r.status).toBe(401);
  });

  it('serves the page with the token, a CSP and an HttpOnly cookie that later requests may use', async () => {
    const r = await http(`/?token=${host.token}`);
    expect(r.status).toBe(200);
    expect(r.body).toContain('studio');
    expect(r.headers['content-security-policy']).toContain("default-src 'self'");
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect((await http('/', { headers: { cookie: cookie.split(';')[0]! } })).status).toBe(200);
  });

  it('answers calls with the token and checks their payloads', async () => {
    expect(JSON.parse((await call('info', [])).body)).toEqual({ ok: true, result: { version: '0', host: 'test', nativeDialogs: false } });
    const bad = JSON.parse((await call('openProject', [42])).body);
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/refused openProject call/);
    expect(JSON.parse((await call('deleteEverything', [])).body).ok).toBe(false);
    expect(JSON.parse((await call('openProject', ['/x.mgproj.json'])).body)).toEqual({ ok: false, error: 'no such file' });
  });

  it('refuses a cross-origin request even with the token', async () => {
    expect((await call('info', [], { origin: 'http://evil.example' })).status).toBe(403);
    expect((await call('info', [], { origin: `http://127.0.0.1:${host.port + 1}` })).status).toBe(403);
    expect((await call('info', [], { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await call('info', [], { origin: host.origin })).status).toBe(200);
  });

  it('refuses another Host name (DNS rebinding)', async () => {
    expect((await call('info', [], { host: `evil.example:${host.port}` })).status).toBe(403);
  });

  it('serves only the page folder', async () => {
    expect((await http(`/%2e%2e/secret.txt?token=${host.token}`)).status).toBe(404);
    expect((await http(`/..%2fsecret.txt?token=${host.token}`)).status).toBe(404);
  });

  it('streams run events over a WebSocket, only with the token and the own origin', async () => {
    expect((await ws('')).opened).toBe(false);
    expect((await ws(`?token=${host.token}`, { origin: 'http://evil.example' })).opened).toBe(false);
    const ok = await ws(`?token=${host.token}`, { origin: host.origin });
    expect(ok.opened).toBe(true);
    const got = new Promise<unknown>((r) => ok.socket!.once('message', (m) => r(JSON.parse(String(m)))));
    await call('startRun', [{ graph: { nodes: [], edges: [] }, baseDir: '/' }]);
    expect(await got).toEqual({ type: 'progress', runId: 'r1', done: 1, total: 2 });
    ok.socket!.close();
  });

  it('closes an event socket whose client stops reading, rather than keeping every event for it', async () => {
    // The handshake by hand, then nothing more is read from the socket.
    const s = connect(host.port, '127.0.0.1');
    s.write(
      `GET /api/events?token=${host.token} HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
    await new Promise((ok) => s.once('data', ok));
    s.pause();
    const closed = new Promise((ok) => s.once('close', ok));
    let received = 0;
    const png = `data:image/png;base64,${'A'.repeat(1024 * 1024)}`;
    for (let i = 0; i < 200; i++) {
      listeners.forEach((l) => l({ type: 'training-sample', runId: 't', iteration: i, png }));
      await new Promise((ok) => setImmediate(ok));
    }
    s.on('data', (d) => (received += d.length));
    s.resume();
    await closed;
    // What reached it is what was queued before the limit, not the 200 MiB sent.
    expect(received).toBeLessThan(100 * 1024 * 1024);
    expect((await call('info', [])).status).toBe(200);
  }, 15_000);
});

/** A fake engine child process: answers listRecent, and can die. */
function fakeChild(): EngineChild & { die(): void } {
  const on: Record<string, (...a: unknown[]) => void> = {};
  return {
    pid: 4242,
    on: ((e: string, l: (...a: unknown[]) => void) => (on[e] = l)) as EngineChild['on'],
    postMessage: (m: EngineRequest) => queueMicrotask(() => on.message?.({ id: m.id, reply: { ok: true, result: m.method === 'listRecent' ? ['/engine.mgproj.json'] : null } })),
    kill: () => on.exit?.(null, 'SIGTERM'),
    die: () => on.exit?.(null, 'SIGKILL'),
  };
}

describe('web host with the engine in a child process', () => {
  const children: ReturnType<typeof fakeChild>[] = [];
  const engine = superviseEngine(() => children[children.push(fakeChild()) - 1]!, { log: () => undefined });
  const stateDir = mkdtempSync(join(tmpdir(), 'modulargan-host-state-'));
  let h: WebHost;
  beforeAll(async () => {
    h = await startWebHost({ engine, stateDir, staticDir: dir });
  });
  afterAll(() => h.close());
  const callH = async (method: string, params: unknown[], headers: Record<string, string> = {}) => {
    const r = await fetch(`${h.origin}/api/call/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-modulargan-token': h.token, ...headers }, body: JSON.stringify({ params }) });
    return { status: r.status, body: r.status === 200 ? ((await r.json()) as { ok: boolean; result?: unknown; error?: string }) : null };
  };
  const events = (socket: WebSocket) => {
    const got: unknown[] = [];
    socket.on('message', (m) => got.push(JSON.parse(String(m))));
    return got;
  };

  it('reports the death to open pages and new ones, keeps autosave working, and restarts on request', async () => {
    expect((await callH('listRecent', [])).body).toEqual({ ok: true, result: ['/engine.mgproj.json'] });
    const open = new WebSocket(`ws://127.0.0.1:${h.port}/api/events?token=${h.token}`);
    await new Promise((ok) => open.once('open', ok));
    const seen = events(open);

    children[0]!.die();
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]).toMatchObject({ type: 'engine-exited', process: 'engine process (pid 4242)', signal: 'SIGKILL' });
    const failed = (await callH('listRecent', [])).body!;
    expect(failed.ok).toBe(false);
    expect(failed.error).toMatch(/The engine process \(pid 4242\) stopped: killed by SIGKILL/);

    // A page opened now hears it at once.
    const late = new WebSocket(`ws://127.0.0.1:${h.port}/api/events?token=${h.token}`);
    const lateSeen = events(late);
    await expect.poll(() => lateSeen.length).toBe(1);
    expect(lateSeen[0]).toMatchObject({ type: 'engine-exited' });

    // The host writes the recovery file itself, atomically, while the engine is down.
    const record = { path: null, baseDir: '/', project: emptyProject('unsaved'), savedAt: '2026-01-01T00:00:00Z' };
    expect((await callH('saveRecovery', [record])).body).toEqual({ ok: true });
    expect(JSON.parse(readFileSync(join(stateDir, 'recovery.json'), 'utf8')).project.name).toBe('unsaved');
    expect((await callH('loadRecovery', [])).body!.result).toMatchObject({ project: { name: 'unsaved' } });

    // Restart is token-protected and same-origin like every call.
    expect((await callH('restartEngine', [], { 'x-modulargan-token': 'wrong' })).status).toBe(401);
    expect((await callH('restartEngine', [], { origin: 'http://evil.example' })).status).toBe(403);
    expect(children).toHaveLength(1);
    expect((await callH('restartEngine', [])).body).toEqual({ ok: true });
    expect(children).toHaveLength(2);
    await expect.poll(() => seen.at(-1)).toEqual({ type: 'engine-restarted' });
    expect((await callH('listRecent', [])).body).toEqual({ ok: true, result: ['/engine.mgproj.json'] });
    expect((await callH('saveRecovery', [null])).body).toEqual({ ok: true });
    expect(existsSync(join(stateDir, 'recovery.json'))).toBe(false);
    open.close();
    late.close();
  });

  it('checks payloads before they reach the engine process', async () => {
    const before = children.length;
    expect((await callH('openProject', [7])).body).toMatchObject({ ok: false, error: expect.stringMatching(/refused openProject call/) });
    expect((await callH('restartEngine', ['now'])).body!.ok).toBe(false);
    expect(children.length).toBe(before);
  });
});

