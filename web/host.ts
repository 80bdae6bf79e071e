// The web host: the studio's page and the engine API on 127.0.0.1, behind a random token.
// HTTP POST /api/call/<method> carries calls; a WebSocket at /api/events carries run events.
// The engine runs in a child process (web/engine.ts) that may die and be restarted while
// this server and the page stay up; tests may hand in an engine in this process instead.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { dispatchCall } from '../core/api/dispatch';
import type { EngineLink, SupervisedEngine } from '../core/api/engine-process';
import { type Reply, checkParams, checkResult } from '../core/api/schemas';
import { createStateFiles } from '../core/api/state-files';
import type { EngineApi, RecoveryRecord, RunEvent } from '../core/api/types';
import { TOKEN_COOKIE, checkRequest, contentSecurityPolicy, newToken } from './security';

export interface WebHostOptions {
  /** The engine in a child process (what `npm run web` uses)... */
  readonly engine?: SupervisedEngine;
  /** ...or in this process (tests). One of the two. */
  readonly service?: EngineApi;
  /**
   * The state folder: the host writes the autosave's recovery file itself, so unsaved work
   * is kept even while the engine is down. Without it the engine does.
   */
  readonly stateDir?: string;
  /** The built renderer (index.html and assets/). */
  readonly staticDir: string;
  readonly port?: number;
  readonly token?: string;
}

export interface WebHost {
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};
const MAX_BODY = 64 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new Error('request too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

type HostedEngine = EngineLink & Pick<SupervisedEngine, 'restart'> & { readonly exited?: SupervisedEngine['exited'] };

function inProcess(service: EngineApi): HostedEngine {
  return {
    call: (method, params) => dispatchCall(service, method, params),
    onRunEvent: (l) => service.onRunEvent(l),
    restart: () => service.restartEngine(),
  };
}

export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const given = opts.engine ?? (opts.service && inProcess(opts.service));
  if (!given) throw new Error('startWebHost needs an engine or a service');
  const engine: HostedEngine = given;
  const state = opts.stateDir ? createStateFiles(opts.stateDir) : null;
  const token = opts.token ?? newToken();
  const root = normalize(opts.staticDir + sep);
  const sockets = new Set<WebSocket>();
  let port = 0;

  const send = (res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', ...headers });
    res.end(body);
  };

  /** One call, checked here before it goes on and on its way back (the engine is another process). */
  async function answer(method: unknown, raw: unknown): Promise<Reply> {
    try {
      const { method: m, params } = checkParams(method, raw);
      let result: unknown;
      if (m === 'restartEngine') result = await engine.restart();
      else if (m === 'saveRecovery' && state) result = await state.setRecovery(params[0] as RecoveryRecord | null);
      else if (m === 'loadRecovery' && state) result = await state.recovery();
      else {
        const reply = await engine.call(m, params);
        if (!reply.ok) return reply;
        result = reply.result;
      }
      return { ok: true, result: checkResult(m, result) };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const verdict = checkRequest(req, token, port);
    if (!verdict.ok) return send(res, verdict.status, `refused: ${verdict.reason}\n`, { 'content-type': 'text/plain' });
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);

    const call = /^\/api\/call\/([A-Za-z]+)$/.exec(url.pathname);
    if (call) {
      if (req.method !== 'POST') return send(res, 405, 'POST only\n');
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return send(res, 415, 'JSON only\n');
      let params: unknown;
      try {
        params = (JSON.parse(await readBody(req)) as { params?: unknown }).params;
      } catch (e) {
        return send(res, 400, JSON.stringify({ ok: false, error: `malformed request: ${(e as Error).message}` }), { 'content-type': 'application/json' });
      }
      const reply = await answer(call[1], params);
      return send(res, 200, JSON.stringify(reply), { 'content-type': 'application/json' });
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'GET only\n');
    // Only the built renderer's own files are served: never anything else on disk.
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = normalize(join(root, rel));
    if (!file.startsWith(root)) return send(res, 404, 'not found\n');
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return send(res, 404, 'not found\n');
    }
    const headers: Record<string, string> = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' };
    if (rel === 'index.html') {
      headers['content-security-policy'] = contentSecurityPolicy(port);
      // The token travels once in the URL; later requests (scripts, API) carry this cookie.
      headers['set-cookie'] = `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    }
    return send(res, 200, body, headers);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => send(res, 500, `error: ${e.message}\n`));
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  server.on('upgrade', (req, socket, head) => {
    const verdict = checkRequest(req, token, port);
    if (!verdict.ok || new URL(req.url ?? '/', 'http://x').pathname !== '/api/events') {
      socket.end(`HTTP/1.1 ${verdict.ok ? 404 : verdict.status} Refused\r\nConnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      // A frame over maxPayload (or any protocol error) is emitted as 'error': unheard, it
      // would be thrown and end the host. That one socket is closed; the host goes on.
      ws.on('error', () => ws.terminate());
      // A page opened (or reloaded) while the engine is down learns it at once.
      if (engine.exited) ws.send(JSON.stringify({ type: 'engine-exited', ...engine.exited } satisfies RunEvent));
    });
  });
  const unsubscribe = engine.onRunEvent((e) => {
    const text = JSON.stringify(e);
    for (const ws of sockets) ws.send(text);
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok());
  });
  port = (server.address() as { port: number }).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
