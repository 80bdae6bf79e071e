// The web host: the studio's page and the engine API behind a token, on 127.0.0.1 (npm run
// web) or on the address `modulargan serve` is given, over TLS when it has a certificate.
// HTTP POST /api/call/<method> carries calls; a WebSocket at /api/events carries run events.
// The engine runs in a child process (web/engine.ts) that may die and be restarted while
// this server and the page stay up; tests may hand in an engine in this process instead.

import { STATUS_CODES, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { hostname } from 'node:os';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { dispatchCall } from '../core/api/dispatch';
import type { EngineLink, SupervisedEngine } from '../core/engine/engine-process';
import { type Reply, checkParams, checkResult } from '../core/api/schemas';
import { createStateFiles } from '../core/engine/state-files';
import type { EngineApi, RecoveryRecord, RunEvent } from '../core/api/types';
import { type HostNames, TOKEN_COOKIE, checkRequest, contentSecurityPolicy, hostNames, isWildcard, newToken, requestTarget } from './security';

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
  /** The address to listen on; 127.0.0.1 by default (modulargan serve checks any other first). */
  readonly listen?: string;
  /** Serve over TLS with this certificate and key (PEM). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Names the host is known by besides its addresses (a DNS name; NAME:PORT for a tunnel's end). */
  readonly hostNames?: readonly string[];
  readonly token?: string;
  /** Where the host's own troubles go (a failed accept, a handler that threw); console.error by default. */
  readonly log?: (line: string) => void;
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
/**
 * How much of an oversized body is still read (and dropped) before the 413: a client that
 * is still sending when the connection closes sees a reset instead of the answer.
 */
const DRAIN_MAX = 64 * 1024 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Events written to a WebSocket and not yet read by its client, at most. */
const MAX_EVENT_BACKLOG = 32 * 1024 * 1024;
/** How often event sockets are pinged; one that has not answered the last ping by the next is closed. */
const PING_MS = 20_000;

/**
 * A call's body, or null when it is over MAX_BODY (declared or sent). Rejects when the client
 * breaks off. Read by hand, not with `for await`: leaving that loop early destroys the request
 * and its socket, so the refusal would never reach the client.
 */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const declared = Number(req.headers['content-length'] ?? 0);
    let over = declared > MAX_BODY;
    if (declared > MAX_BODY + DRAIN_MAX) return ok(null);
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (!over && size > MAX_BODY) {
        over = true;
        chunks.length = 0;
      }
      if (!over) chunks.push(c);
      else if (size > MAX_BODY + DRAIN_MAX) {
        req.pause();
        ok(null);
      }
    });
    req.once('end', () => ok(over ? null : Buffer.concat(chunks)));
    req.once('error', fail);
    req.once('close', () => fail(new Error('the client broke off the request')));
  });
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
  const log = opts.log ?? console.error;
  const sockets = new Set<WebSocket>();
  const listen = opts.listen ?? '127.0.0.1';
  const tls = !!opts.tls;
  let port = 0;
  let own: HostNames = { hosts: new Set(), origins: new Set() };

  const send = (res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', ...headers });
    res.end(body);
  };
  const sendJson = (res: ServerResponse, status: number, reply: Reply, headers: Record<string, string> = {}) =>
    send(res, status, JSON.stringify(reply), { 'content-type': 'application/json', ...headers });

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
    const verdict = checkRequest(req, token, own);
    if (!verdict.ok) return send(res, verdict.status, `refused: ${verdict.reason}\n`, { 'content-type': 'text/plain' });
    const url = requestTarget(req)!; // checkRequest refused any other

    const call = /^\/api\/call\/([A-Za-z]+)$/.exec(url.pathname);
    if (call) {
      if (req.method !== 'POST') return send(res, 405, 'POST only\n');
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return send(res, 415, 'JSON only\n');
      let body: Buffer | null;
      try {
        body = await readBody(req);
      } catch {
        return void res.destroy(); // the client has gone: no one to answer
      }
      // The connection closes after this answer: the rest of the body may still be on its way
      // and would be read as the next request.
      if (!body) return sendJson(res, 413, { ok: false, error: `request too large: a call's body may be at most ${MAX_BODY / 1024 / 1024} MiB` }, { connection: 'close' });
      let params: unknown;
      try {
        const parsed: unknown = JSON.parse(utf8.decode(body));
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the body must be a JSON object with "params"');
        params = (parsed as { params?: unknown }).params;
      } catch (e) {
        const why = e instanceof TypeError ? 'the body is not valid UTF-8' : (e as Error).message;
        return sendJson(res, 400, { ok: false, error: `malformed request: ${why}` });
      }
      const reply = await answer(call[1], params);
      return sendJson(res, !reply.ok && reply.refused ? 403 : 200, reply);
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'GET only\n');
    // Only the built renderer's own files are served: never anything else on disk.
    let rel: string;
    try {
      rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    } catch {
      return send(res, 400, 'malformed path: a %-escape is not UTF-8\n', { 'content-type': 'text/plain' });
    }
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
      headers['content-security-policy'] = contentSecurityPolicy(req.headers.host!.toLowerCase(), tls);
      // The token travels once in the URL; later requests (scripts, API) carry this cookie
      // (never over plain HTTP once the page came over TLS).
      headers['set-cookie'] = `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/${tls ? '; Secure' : ''}`;
    }
    return send(res, 200, body, headers);
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e: Error) => {
      log(`web host: ${req.method} ${req.url}: ${e.message}`);
      // Headers already out: the answer cannot be changed, only cut short.
      if (res.headersSent) res.destroy();
      else send(res, 500, `error: ${e.message}\n`, { connection: 'close' });
    });
  };
  const server = opts.tls ? createTlsServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) : createServer(onRequest);
  // A client that fails the TLS handshake (a plain-HTTP request, a refused certificate) is
  // its own trouble, not the host's.
  server.on('tlsClientError', () => undefined);
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  server.on('upgrade', (req, socket, head) => {
    // Node takes its own 'error' listener off an upgraded socket: a client resetting it
    // (before or after the refusal is written) would otherwise end the host.
    socket.on('error', () => socket.destroy());
    try {
      const verdict = checkRequest(req, token, own);
      const status = !verdict.ok ? verdict.status : requestTarget(req)!.pathname !== '/api/events' ? 404 : 0;
      if (status) {
        socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      upgrade(req, socket, head);
    } catch (e) {
      log(`web host: upgrade ${req.url}: ${(e as Error).message}`);
      socket.destroy();
    }
  });
  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      alive.set(ws, true);
      ws.on('pong', () => alive.set(ws, true));
      ws.on('close', () => sockets.delete(ws));
      // A frame over maxPayload (or any protocol error) is emitted as 'error': unheard, it
      // would be thrown and end the host. That one socket is closed; the host goes on.
      ws.on('error', () => ws.terminate());
      // A page opened (or reloaded) while the engine is down learns it at once.
      if (engine.exited) ws.send(JSON.stringify({ type: 'engine-exited', ...engine.exited } satisfies RunEvent));
    });
  }
  // A client whose network went away without a word (a laptop closed, a route lost) leaves a
  // socket that looks open: pinged, and closed once it stops answering.
  const alive = new WeakMap<WebSocket, boolean>();
  const pinger = setInterval(() => {
    for (const ws of sockets) {
      if (!alive.get(ws)) ws.terminate();
      else {
        alive.set(ws, false);
        ws.ping();
      }
    }
  }, PING_MS);
  pinger.unref();
  const unsubscribe = engine.onRunEvent((e) => {
    const text = JSON.stringify(e);
    for (const ws of sockets) {
      // A client that stops reading (not a page, or a frozen one) would have the host keep
      // every later event in memory: past the limit its socket is closed instead.
      if (ws.bufferedAmount > MAX_EVENT_BACKLOG) {
        log(`web host: closed an event socket whose client left ${Math.round(ws.bufferedAmount / 1024 / 1024)} MiB of events unread`);
        ws.terminate();
      } else ws.send(text);
    }
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, listen.replace(/^\[(.*)\]$/, '$1'), () => (server.off('error', fail), ok()));
  });
  // From now on the server's own errors (a failed accept) arrive here; unheard, one would end the host.
  server.on('error', (e) => log(`web host: ${e.message}`));
  port = (server.address() as { port: number }).port;
  try {
    own = hostNames(listen, port, { tls, extra: opts.hostNames });
  } catch (e) {
    server.close();
    throw e;
  }
  // The address to give out: the one listened on, or the machine's name when it is all of them.
  const shown = isWildcard(listen) ? hostname() : listen.includes(':') && !listen.startsWith('[') ? `[${listen}]` : listen;
  const origin = `${tls ? 'https' : 'http'}://${shown}:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    async close() {
      unsubscribe();
      clearInterval(pinger);
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
