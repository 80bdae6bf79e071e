// The web host's address, from the command line, and what to say when it cannot be had: one
// line naming the port and what to do, never a stack trace.

/** A port as given to --port: a whole number from 0 (any free port) to 65535. */
export function parsePort(given: string | undefined, flag = '--port'): { ok: true; port: number } | { ok: false; message: string } {
  if (given === undefined) return { ok: true, port: 0 };
  const n = Number(given);
  if (!/^\d+$/.test(given.trim()) || !Number.isInteger(n) || n > 65535)
    return { ok: false, message: `${flag} must be a whole number from 0 to 65535 (0: any free port), got '${given}'` };
  return { ok: true, port: n };
}

/** Why listening on host:port failed, in one line; undefined for an error that is not about the address (a bug). */
export function listenFailure(e: unknown, host: string, port: number, flag = '--port'): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE') return `port ${port} on ${host} is already in use (another studio, or another program): choose another with ${flag} N, or ${flag} 0 for any free port`;
  if (code === 'EACCES' || code === 'EPERM') return `${where}: this user may not listen on port ${port} (ports below 1024 need privileges): choose another with ${flag} N`;
  if (code === 'EADDRNOTAVAIL') return `${where}: this machine has no such address to listen on`;
  if (code === 'ERR_SOCKET_BAD_PORT') return `${flag} must be a whole number from 0 to 65535, got ${port}`;
  return undefined;
}

/** The default address of `modulargan serve`: this machine only (reach it through a tunnel, or give --listen). */
export const DEFAULT_SERVE_PORT = 8470;

/** --listen HOST:PORT ([IPv6]:PORT, or PORT alone for 127.0.0.1). */
export function parseListen(given: string): { ok: true; host: string; port: number } | { ok: false; message: string } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):)?(\d+)$/.exec(given.trim());
  const port = m ? parsePort(m[2], '--listen') : undefined;
  if (!m || !port?.ok) return { ok: false, message: `--listen must be HOST:PORT (e.g. 0.0.0.0:${DEFAULT_SERVE_PORT}, [::]:${DEFAULT_SERVE_PORT}, or a port alone for 127.0.0.1), got '${given}'` };
  return { ok: true, host: (m[1] ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1'), port: port.port };
}

/**
 * Why serving on `host` as asked is refused, or undefined when it is not: plain HTTP off
 * this machine gives the token and every project and image to anyone on the way, so it
 * needs TLS, a tunnel, or the user's explicit --insecure.
 */
export function plainHttpRefusal(host: string, port: number, opts: { tls: boolean; insecure: boolean; loopback: boolean }): string | undefined {
  if (opts.tls || opts.insecure || opts.loopback) return undefined;
  const shown = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return [
    `refusing to serve on ${shown} without TLS: the access token, and every project, image and path the studio sends, would cross the network as plain text that anyone on the way can read and reuse.`,
    'Either give a certificate: --cert cert.pem --key key.pem (a self-signed one: openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=NAME -addext subjectAltName=DNS:NAME -keyout key.pem -out cert.pem);',
    `or listen on 127.0.0.1 only (the default) and reach it through an SSH tunnel from the other machine: ssh -N -L ${port || DEFAULT_SERVE_PORT}:127.0.0.1:${port || DEFAULT_SERVE_PORT} USER@THIS-MACHINE;`,
    'or, on a network you trust completely, add --insecure.',
  ].join('\n  ');
}
