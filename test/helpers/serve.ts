// `modulargan serve` as the remote-studio tests meet it: a real process on a free port, a
// self-signed certificate made with openssl, and a TCP relay in front of it that plays the
// network (or an SSH tunnel's end) and can drop every connection on request.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { type Socket, connect, createServer } from 'node:net';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'modulargan.mjs');

/** A certificate for localhost and 127.0.0.1, valid two days; returns the two file paths. */
export function selfSignedCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

export interface ServeProcess {
  readonly proc: ChildProcess;
  /** As it printed it: https://127.0.0.1:PORT */
  readonly origin: string;
  readonly port: number;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Runs `modulargan serve …` until it says where it serves (or rejects with what it printed when it exits first). */
export async function startServe(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const proc = spawn(process.execPath, [BIN, 'serve', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  proc.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const origin = await new Promise<string>((ok, fail) => {
    const look = () => {
      const m = /is serving at (https?:\/\/[^/\s]+)\//.exec(text);
      if (m && /Press Ctrl\+C/.test(text)) ok(m[1]!);
    };
    proc.stdout!.on('data', look);
    proc.once('exit', (code) => fail(new Error(`modulargan serve exited (${code}) before serving:\n${text}`)));
  });
  return {
    proc,
    origin,
    port: Number(new URL(origin).port),
    output: () => text,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      const exit = once(proc, 'exit');
      proc.kill('SIGTERM');
      return ((await exit)[0] as number | null) ?? null;
    },
  };
}

/** Runs `modulargan serve …` expecting it to refuse to start: its exit code and output. */
export async function refusedServe(args: readonly string[]): Promise<{ code: number | null; out: string }> {
  const proc = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(proc, 'exit')) as [number | null];
  return { code, out };
}

export interface Relay {
  readonly port: number;
  /** Cuts every connection through it, and refuses new ones for `ms`. */
  drop(ms: number): void;
  close(): Promise<void>;
}

/** A TCP relay on a free loopback port to 127.0.0.1:target() (TLS passes through untouched). */
export async function tcpRelay(target: () => number): Promise<Relay> {
  const open = new Set<Socket>();
  let downUntil = 0;
  const server = createServer((client) => {
    if (Date.now() < downUntil) return void client.destroy();
    const upstream = connect(target(), '127.0.0.1');
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as { port: number }).port,
    drop(ms) {
      downUntil = Date.now() + ms;
      for (const s of open) s.destroy();
    },
    close: () => new Promise<void>((ok) => (open.forEach((s) => s.destroy()), server.close(() => ok()))),
  };
}
