import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { EngineApi, RunEvent } from '../../../core/api';
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

describe('web host', () => {
  it('binds to loopback and prints a URL with a long random token', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
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
});
