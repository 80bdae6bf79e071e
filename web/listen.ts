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
