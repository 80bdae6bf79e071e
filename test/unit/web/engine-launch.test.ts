import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// The web host's engine process cannot be started (out of processes or memory: fork fails
// with EAGAIN or ENOMEM). Node then emits only 'error', never 'exit': unheard, the error
// would end the host, and calls would wait for an exit that never comes. Here fork fails the
// way Node's does (no pid, 'error' on the next tick); the real fork is used for the second
// start, so a restart still gives an engine that answers.

const failures = vi.hoisted(() => ({ left: 0 }));
vi.mock('node:child_process', async (real) => {
  const actual = await real<typeof import('node:child_process')>();
  const fork = ((...a: Parameters<typeof actual.fork>) => {
    if (failures.left <= 0) return actual.fork(...a);
    failures.left--;
    const child = Object.assign(new EventEmitter(), { pid: undefined, connected: false, send: () => false, kill: () => false });
    process.nextTick(() => {
      child.emit('error', Object.assign(new Error('spawn /usr/bin/node EAGAIN'), { code: 'EAGAIN' }));
      child.emit('close', -11, null);
    });
    return child;
  }) as typeof actual.fork;
  return { ...actual, fork, default: { ...actual, fork } };
});

const { startEngineProcess } = await import('../../../web/engine');

describe('the web host engine process cannot start', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(() => close?.());

  it('is reported as an exit with the reason, calls fail instead of hanging, and a restart starts one', async () => {
    failures.left = 1;
    const stateDir = mkdtempSync(join(tmpdir(), 'mg-engine-launch-'));
    const engine = startEngineProcess({ stateDir, demoPath: join(import.meta.dirname, '../../fixtures/demo/demo.mgproj.json'), log: () => undefined });
    close = () => engine.close();
    const reply = await engine.call('listRecent', []);
    expect(reply).toEqual({ ok: false, error: expect.stringMatching(/^The engine process stopped while it was running a call to listRecent: it could not start: spawn \/usr\/bin\/node EAGAIN/) });
    expect(engine.exited).toMatchObject({ code: null, signal: null, reason: 'it could not start: spawn /usr/bin/node EAGAIN' });
    await engine.restart();
    expect(engine.exited).toBeNull();
    expect(await engine.call('listRecent', [])).toEqual({ ok: true, result: [] });
  }, 15_000);
});
