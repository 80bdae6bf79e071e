// The web host's gate: a random token on every request and WebSocket upgrade, and only
// same-origin requests to the host's own loopback address (so a web page elsewhere, or a
// DNS-rebinding name, cannot drive the engine).

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'mg_token';
export const TOKEN_HEADER = 'x-modulargan-token';

export const newToken = (): string => randomBytes(24).toString('base64url');

function sameToken(a: string | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
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

/** Checks the target, Host, Origin and token; `port` is the port the host listens on. Never throws. */
export function checkRequest(req: IncomingMessage, token: string, port: number): Verdict {
  if (!requestTarget(req)) return { ok: false, status: 400, reason: 'malformed request target' };
  const own = [`127.0.0.1:${port}`, `localhost:${port}`];
  if (!own.includes(req.headers.host ?? '')) return { ok: false, status: 403, reason: 'wrong host' };
  const origin = req.headers.origin;
  if (origin !== undefined && !own.some((h) => origin === `http://${h}`)) return { ok: false, status: 403, reason: 'cross-origin request' };
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return { ok: false, status: 403, reason: 'cross-site request' };
  if (!sameToken(requestToken(req), token)) return { ok: false, status: 401, reason: 'missing or wrong access token' };
  return { ok: true };
}

/** The page's Content-Security-Policy: nothing but the host itself (React Flow needs inline styles). */
export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
