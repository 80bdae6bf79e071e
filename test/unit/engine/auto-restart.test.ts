import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunEvent } from '../../../core/api';
import { type EngineChild, type EngineRequest, superviseEngine } from '../../../core/engine/engine-process';

// The supervisor restarts a dead engine by itself: a moment after the death (the page is told
// first), at most `perMinute` times in any minute, so an engine that dies at once does not
// spin; past that it says so and waits to be asked. A restart or close that comes first
// cancels the pending one. (The real child process, SIGKILLed: test/integration/engine-auto-restart.test.ts.)

class Child implements EngineChild {
  static next = 500;
  readonly pid = Child.next++;
  private readonly listeners: Record<string, ((...a: unknown[]) => void)[]> = {};
  readonly requests: EngineRequest[] = [];
  on(event: string, l: (...a: never[]) => void): void {
    (this.listeners[event] ??= []).push(l as (...a: unknown[]) => void);
  }
  postMessage(m: EngineRequest): void {
    this.requests.push(m); // never answered: in flight when the engine dies
  }
  kill(): void {
    this.die();
  }
  die(): void {
    for (const l of this.listeners.exit ?? []) l(null, 'SIGKILL');
  }
}

function wire(perMinute = 2) {
  const children: Child[] = [];
  const engine = superviseEngine(() => children[children.push(new Child()) - 1]!, { log: () => undefined, autoRestart: { delayMs: 1000, perMinute } });
  const events: RunEvent[] = [];
  engine.onRunEvent((e) => events.push(e));
  return { engine, children, events, last: () => children.at(-1)! };
}

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('automatic restart of a dead engine', () => {
  it('tells the page, fails the calls in flight naming the process, then starts a fresh engine after the delay', async () => {
    const w = wire();
    const pending = w.engine.call('openProject', ['/p.mgproj.json']);
    const first = w.last();
    first.die();
    const reply = await pending;
    expect(reply).toEqual({ ok: false, error: expect.stringMatching(new RegExp(`^The engine process \\(pid ${first.pid}\\) stopped while it was running a call to openProject: killed by SIGKILL.*a fresh engine is being started\\.$`)) });
    expect(w.events).toEqual([expect.objectContaining({ type: 'engine-exited', process: `engine process (pid ${first.pid})` })]);
    // Until the fresh one is up, calls say what happened.
    expect(await w.engine.call('listRecent', [])).toEqual(reply);
    await vi.advanceTimersByTimeAsync(999);
    expect(w.children).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(w.children).toHaveLength(2);
    expect(w.events.at(-1)).toEqual({ type: 'engine-restarted' });
    expect(w.engine.exited).toBeNull();
    void w.engine.call('listRecent', []);
    expect(w.last().requests.map((r) => r.method)).toEqual(['listRecent']);
  });

  it('stops restarting by itself after perMinute restarts in a minute, says so, and still restarts when asked', async () => {
    const w = wire(2);
    for (let i = 0; i < 2; i++) {
      w.last().die();
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(w.children).toHaveLength(3);
    w.last().die();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(w.children).toHaveLength(3);
    expect(w.engine.exited?.message).toMatch(/it was restarted 2 times within 60 s and is not restarted again by itself; restart the engine once the cause is mended\.$/);
    await w.engine.restart();
    expect(w.children).toHaveLength(4);
    // A minute after the earlier restarts, a death is restarted by itself again.
    w.last().die();
    expect(w.engine.exited?.message).toMatch(/a fresh engine is being started\.$/);
    await vi.advanceTimersByTimeAsync(1000);
    expect(w.children).toHaveLength(5);
  });

  it('starts one engine when the page restarts it first, and none once it is closed', async () => {
    const w = wire();
    w.last().die();
    await w.engine.restart();
    await vi.advanceTimersByTimeAsync(5000);
    expect(w.children).toHaveLength(2);
    expect(w.events.filter((e) => e.type === 'engine-restarted')).toHaveLength(1);
    w.last().die();
    await w.engine.close();
    await vi.advanceTimersByTimeAsync(5000);
    expect(w.children).toHaveLength(2);
  });

  it('is off unless asked for: the death is reported and the engine waits to be restarted', async () => {
    const children: Child[] = [];
    const engine = superviseEngine(() => children[children.push(new Child()) - 1]!, { log: () => undefined });
    children[0]!.die();
    expect(engine.exited?.message).toMatch(/restart the engine to go on\.$/);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(children).toHaveLength(1);
  });
});
