// The web host's gate: a token on every request and WebSocket upgrade, and only same-origin
// requests naming the host by one of its own names (so a web page elsewhere, or a
// DNS-rebinding name, cannot drive the engine). Its own names: the loopback ones when it
// listens there, the address it listens on, every address of the machine when it listens
// on all of them, and the names it is told (a DNS name, a tunnel's end).

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';

export const TOKEN_COOKIE = 'mg_token';
export const TOKEN_HEADER = 'x-modulargan-token';

export { newToken } from '../core/engine/serve-files';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Compares a token given by a client with the host's in constant time: both are hashed
 * first, so the comparison takes as long whatever the given token's length (comparing the
 * raw strings would have to stop, and so tell, when the lengths differ).
 */
export function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined || given === '') return false;
  return timingSafeEqual(digest(given), digest(token));
}

/** The Host values (name:port) and origins a host answers to. */
export interface HostNames {
  readonly hosts: ReadonlySet<string>;
  readonly origins: ReadonlySet<string>;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
/** A listen address as it appears in a Host header: IPv6 in brackets, names lower-case. */
const asHostName = (address: string) => (address.includes(':') && !address.startsWith('[') ? `[${address}]` : address).toLowerCase();
export const isLoopback = (address: string): boolean => /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost|::ffff:127\.\d+\.\d+\.\d+)$/i.test(address);
export const isWildcard = (address: string): boolean => address === '0.0.0.0' || address === '::' || address === '[::]';

/**
 * The names a host listening on `listen`:`port` answers to. `extra` are names it is known
 * by besides (--host-name), each NAME or NAME:PORT (a tunnel's end may have another port).
 */
export function hostNames(listen: string, port: number, opts: { tls: boolean; extra?: readonly string[] }): HostNames {
  const names = new Set<string>();
  if (isLoopback(listen) || isWildcard(listen)) LOOPBACK_NAMES.forEach((n) => names.add(n));
  if (isWildcard(listen)) {
    names.add(hostname().toLowerCase());
    for (const i of Object.values(networkInterfaces()).flat()) if (i) names.add(asHostName(i.address));
  } else names.add(asHostName(listen));
  const hosts = new Set<string>();
  const scheme = opts.tls ? 'https' : 'http';
  // A browser leaves the scheme's own port out of Host and Origin.
  const bare = port === (opts.tls ? 443 : 80);
  for (const n of names) {
    hosts.add(`${n}:${port}`);
    if (bare) hosts.add(n);
  }
  for (const e of opts.extra ?? []) {
    const m = /^(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?::(\d{1,5}))?$/.exec(e.trim().toLowerCase());
    if (!m) throw new Error(`--host-name '${e}': give a host name or address, or NAME:PORT (a tunnel's end)`);
    hosts.add(m[2] ? `${m[1]}:${m[2]}` : `${m[1]}:${port}`);
    if (!m[2] && bare) hosts.add(m[1]!);
  }
  return { hosts, origins: new Set([...hosts].map((h) => `${scheme}://${h}`)) };
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/**
 * The request's target as a URL, or null when it is not one: Node's parser lets through
 * targets such as `//[` that URL refuses with an exception, and nothing about such a
 * request (not even its token) can be read.
 */
export function requestTarget(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://x');
  } catch {
    return null;
  }
}

/** The token the request carries: query parameter, header or cookie. */
export function requestToken(req: IncomingMessage): string | undefined {
  const q = requestTarget(req)?.searchParams.get('token');
  const h = req.headers[TOKEN_HEADER];
  return q ?? (typeof h === 'string' ? h : undefined) ?? cookie(req, TOKEN_COOKIE);
}

export type Verdict = { ok: true } | { ok: false; status: number; reason: string };

/** Checks the target, Host, Origin and token against the host's own names. Never throws. */
export function checkRequest(req: IncomingMessage, token: string, own: HostNames): Verdict {
  if (!requestTarget(req)) return { ok: false, status: 400, reason: 'malformed request target' };
  const host = (req.headers.host ?? '').toLowerCase();
  if (!own.hosts.has(host)) return { ok: false, status: 403, reason: `wrong host '${host.slice(0, 200)}': use the studio's own address, or give it this name with --host-name` };
  const origin = req.headers.origin;
  if (origin !== undefined && !own.origins.has(origin.toLowerCase())) return { ok: false, status: 403, reason: 'cross-origin request' };
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return { ok: false, status: 403, reason: 'cross-site request' };
  if (!sameToken(requestToken(req), token)) return { ok: false, status: 401, reason: 'missing or wrong access token' };
  return { ok: true };
}

/**
 * The page's Content-Security-Policy: nothing but the host itself (React Flow needs inline
 * styles); `host` is the Host the page was asked by (checked), whose WebSocket it may open.
 */
export function contentSecurityPolicy(host: string, tls: boolean): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ${tls ? 'wss' : 'ws'}://${host}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
