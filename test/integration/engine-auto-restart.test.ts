import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunEvent } from '../../core/api';
import { startEngineProcess } from '../../web/engine';
import { type WebHost, startWebHost } from '../../web/host';

// The web host's real engine child, killed with SIGKILL: the call it was answering fails with
// a message naming the process, the page hears 'engine-exited' and then, without asking,
// 'engine-restarted' from a fresh process that answers. An engine that keeps dying is
// restarted a limited number of times a minute, then left down (saying so) until the page
// restarts it.

const dir = mkdtempSync(join(tmpdir(), 'mg-auto-restart-'));
const staticDir = join(dir, 'static');
mkdirSync(staticDir);
writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>studio</title>');
const logged: string[] = [];
const engine = startEngineProcess({
  stateDir: join(dir, 'state'),
  demoPath: join(import.meta.dirname, '../fixtures/demo/demo.mgproj.json'),
  log: (l) => logged.push(l),
  autoRestart: { delayMs: 300, perMinute: 2 },
});
let host: WebHost;
let socket: WebSocket;
const events: RunEvent[] = [];
beforeAll(async () => {
  host = await startWebHost({ engine, staticDir, log: (l) => logged.push(l) });
  socket = new WebSocket(`ws://127.0.0.1:${host.port}/api/events?token=${host.token}`);
  socket.on('message', (m) => events.push(JSON.parse(String(m)) as RunEvent));
  await new Promise((ok) => socket.once('open', ok));
});
afterAll(async () => {
  socket?.close();
  await engine.close();
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, params: unknown[] = []): Promise<{ ok: boolean; result?: unknown; error?: string }> {
  const r = await fetch(`${host.origin}/api/call/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-modulargan-token': host.token }, body: JSON.stringify({ params }) });
  return (await r.json()) as never;
}
const restarted = (n: number) => expect.poll(() => events.filter((e) => e.type === 'engine-restarted').length, { timeout: 20_000 }).toBe(n);

describe('the web host restarts its engine by itself', () => {
  it('after a SIGKILL mid-call: the call fails naming the process, then a fresh engine answers', async () => {
    expect(await call('listRecent')).toEqual({ ok: true, result: [] });
    const pid = engine.pid!;
    // A stopped engine reads nothing: the call is in flight when it is killed.
    process.kill(pid, 'SIGSTOP');
    const inFlight = call('listRecent');
    await new Promise((ok) => setTimeout(ok, 200));
    process.kill(pid, 'SIGKILL');
    const reply = await inFlight;
    expect(reply).toEqual({
      ok: false,
      error: expect.stringMatching(new RegExp(`^The engine process \\(pid ${pid}\\) stopped while it was running a call to listRecent: killed by SIGKILL.*a fresh engine is being started\\.$`)),
    });
    await restarted(1);
    expect(events.map((e) => e.type)).toEqual(['engine-exited', 'engine-restarted']);
    expect(events[0]).toMatchObject({ process: `engine process (pid ${pid})`, signal: 'SIGKILL', running: ['a call to listRecent'] });
    expect(engine.pid).not.toBe(pid);
    expect(await call('listRecent')).toEqual({ ok: true, result: [] });
  }, 30_000);

  it('at most twice a minute here: a third death is left for the page to restart', async () => {
    process.kill(engine.pid!, 'SIGKILL');
    await restarted(2);
    const last = engine.pid!;
    process.kill(last, 'SIGKILL');
    await expect.poll(() => engine.exited?.process, { timeout: 10_000 }).toBe(`engine process (pid ${last})`);
    expect(engine.exited!.message).toMatch(/it was restarted 2 times within 60 s and is not restarted again by itself; restart the engine once the cause is mended\.$/);
    await new Promise((ok) => setTimeout(ok, 1000));
    expect(events.filter((e) => e.type === 'engine-restarted')).toHaveLength(2);
    expect(await call('listRecent')).toEqual({ ok: false, error: engine.exited!.message });
    expect(await call('restartEngine')).toEqual({ ok: true });
    expect(await call('listRecent')).toEqual({ ok: true, result: [] });
    expect(logged.filter((l) => l.startsWith('web host:'))).toEqual([]);
  }, 30_000);
});
