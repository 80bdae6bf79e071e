// An engine on another machine (`modulargan serve`), as the studio app's main process uses
// it: calls as HTTPS POSTs with the token, run events over a WebSocket that is opened again
// when it drops, with the running jobs caught up on (core/api/reconnect.ts), so the page
// behind it works as with its own engine. A self-signed certificate is trusted by its
// SHA-256 fingerprint (serve prints it at start): the certificate is fetched and checked
// before the token is ever sent, then pinned for every connection.

import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import WebSocket from 'ws';
import { errorText } from '../api/dispatch';
import { type ReconnectingEvents, reconnectingEvents } from '../api/reconnect';
import { type Reply, checkResult, replySchema } from '../api/schemas';
import type { JobInfo, RunEvent } from '../api/types';
import { type EngineTarget, engineTargetSchema } from '../api/engine-target';

export type { EngineTarget };
import type { EngineLink } from './engine-process';

export interface RemoteEngine extends EngineLink {
  /** The engine's address, as given. */
  readonly url: string;
  /** Asks the host over there to restart its engine process. */
  restart(): Promise<void>;
  /** Stops following its events. */
  close(): void;
}

const normalFingerprint = (f: string) =>
  f
    .replace(/:/g, '')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');

/** The server's certificate (PEM), fetched without sending anything, if its fingerprint is the one given. */
async function pinnedCertificate(url: URL, fingerprint: string): Promise<string> {
  const cert = await new Promise<{ fingerprint256: string; raw: Buffer }>((ok, fail) => {
    const socket = tlsConnect({ host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 443), servername: /^[\d.[\]:]+$/.test(url.hostname) ? undefined : url.hostname, rejectUnauthorized: false }, () => {
      const c = socket.getPeerCertificate();
      socket.destroy();
      ok(c);
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer in 10 s')));
    socket.once('error', fail);
  });
  if (normalFingerprint(cert.fingerprint256) !== normalFingerprint(fingerprint))
    throw new Error(`the certificate of ${url.origin} has the fingerprint ${cert.fingerprint256}, not the one given (${normalFingerprint(fingerprint)}): it is not the engine you meant, or its certificate was renewed`);
  return `-----BEGIN CERTIFICATE-----\n${cert.raw.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
}

/** Why a TLS failure happened, in words, with what to do. */
function tlsAdvice(url: string, e: Error): string {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  if (/SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|CERT_/.test(code))
    return `the certificate of ${url} is not trusted here (${code}): give its SHA-256 fingerprint (modulargan serve prints it at start) to trust that certificate`;
  return `the engine at ${url} cannot be reached: ${e.message}`;
}

/**
 * Connects to the engine at `target.url`: checks the certificate (by its fingerprint when
 * given), then that the token is accepted (info), before anything else; throws with the
 * reason and what to do.
 */
export async function connectRemoteEngine(target: EngineTarget, opts: { log?: (line: string) => void; delays?: readonly number[] } = {}): Promise<RemoteEngine> {
  const checked = engineTargetSchema.safeParse(target);
  if (!checked.success) throw new Error(`engine address: ${checked.error.issues[0]!.message}`);
  const base = new URL(target.url);
  const secure = base.protocol === 'https:';
  if (!secure && !/^(127\.|localhost$|\[::1\]$)/.test(base.hostname))
    throw new Error(`${base.origin}: an engine on another machine is reached over https (modulargan serve --cert/--key) or through an SSH tunnel to http://127.0.0.1; plain http would give the token to the network`);
  const ca = secure && target.fingerprint ? await pinnedCertificate(base, target.fingerprint) : undefined;
  // The pin authenticates the server: its certificate's names need not match how it is reached.
  const tls = ca ? { ca, checkServerIdentity: () => undefined } : {};
  const log = opts.log ?? console.error;
  const where = base.origin;

  const post = (method: string, params: unknown[]) =>
    new Promise<{ status: number; type: string; body: string }>((ok, fail) => {
      const body = JSON.stringify({ params });
      const req = (secure ? httpsRequest : httpRequest)(
        new URL(`/api/call/${method}`, base),
        { method: 'POST', headers: { 'content-type': 'application/json', 'x-modulargan-token': target.token, 'content-length': Buffer.byteLength(body) }, ...tls },
        (res: IncomingMessage) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => ok({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: text }));
          res.on('error', fail);
        },
      );
      req.on('error', fail);
      req.end(body);
    });

  async function call(method: string, params: unknown[]): Promise<Reply> {
    let res;
    try {
      res = await post(method, params);
    } catch (e) {
      return { ok: false, error: tlsAdvice(where, e as Error) };
    }
    if (res.type.startsWith('application/json')) {
      try {
        const reply = replySchema.safeParse(JSON.parse(res.body));
        if (reply.success) return reply.data;
      } catch {
        // answered below
      }
      return { ok: false, error: `the engine at ${where} sent a malformed reply to ${method}` };
    }
    if (res.status === 401) return { ok: false, error: `the engine at ${where} refused the access token: give the one in its token file (modulargan serve says where it is)` };
    if (res.status === 403 && /wrong host/.test(res.body)) return { ok: false, error: `the engine at ${where} does not answer to the name ${base.host}: start it with --host-name ${base.host}` };
    return { ok: false, error: `the engine at ${where} refused ${method} (${res.status}): ${res.body.trim().slice(0, 500)}` };
  }

  const first = await call('info', []);
  if (!first.ok) throw new Error(first.error);

  const listeners = new Set<(e: RunEvent) => void>();
  const events: ReconnectingEvents = reconnectingEvents({
    where,
    ...(opts.delays ? { delays: opts.delays } : {}),
    connect(h) {
      const url = new URL('/api/events', base);
      url.protocol = secure ? 'wss:' : 'ws:';
      const ws = new WebSocket(url, { headers: { 'x-modulargan-token': target.token }, ...tls });
      ws.on('open', () => h.open());
      ws.on('message', (m) => h.message(String(m)));
      ws.on('close', () => h.closed());
      // An error is followed by close; heard here so that it does not end the process.
      ws.on('error', (e) => log(`remote engine ${where}: ${errorText(e)}`));
      return { close: () => ws.terminate() };
    },
    async listJobs() {
      const r = await call('listJobs', []);
      if (!r.ok) throw new Error(r.error);
      return checkResult('listJobs', r.result) as JobInfo[];
    },
    deliver: (e) => {
      for (const l of listeners) l(e);
    },
    warn: log,
  });
  await events.ready;
  return {
    url: where,
    call,
    onRunEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async restart() {
      const r = await call('restartEngine', []);
      if (!r.ok) throw new Error(r.error);
    },
    close: () => events.close(),
  };
}
