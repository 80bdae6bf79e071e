// A real redis-server for tests: started on a free loopback port with no persistence, in a
// temporary folder, stopped by its pid. Tests can kill and restart it on the same port (an
// empty Redis, as after a crash without persistence) or pause it (SIGSTOP) for a while.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  pid(): number;
  /** Kills it (SIGKILL): everything it held is gone. */
  kill(): Promise<void>;
  /** Starts it again, empty, on the same port. */
  start(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing answers. */
  pause(): void;
  resume(): void;
  /** Stops it for good and removes its folder. */
  stop(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** Whether a server on `port` answers PING. */
export const pings = (port: number) =>
  new Promise<boolean>((resolve) => {
    const sock = createConnection({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });

const exited = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));

export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mg-redis-'));
  let port = 0;
  let proc: ChildProcess | undefined;
  const launch = async () => {
    if (!existsSync('/usr/bin/redis-server') && !existsSync('/usr/local/bin/redis-server'))
      throw new Error('redis-server is not installed: apt-get install redis-server (Debian) gives the one these tests use');
    const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    proc = p;
    const t0 = Date.now();
    while (Date.now() - t0 < 10_000) {
      if (p.exitCode !== null) throw new Error(`redis-server exited with ${p.exitCode} on port ${port}`);
      if (await pings(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    p.kill('SIGKILL');
    throw new Error(`redis-server did not answer on port ${port} within 10 s`);
  };
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
  const kill = async () => {
    if (!proc) return;
    const p = proc;
    proc = undefined;
    p.kill('SIGCONT');
    p.kill('SIGKILL');
    await exited(p);
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    pid: () => proc?.pid ?? 0,
    kill,
    start: launch,
    pause: () => proc?.kill('SIGSTOP'),
    resume: () => proc?.kill('SIGCONT'),
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
