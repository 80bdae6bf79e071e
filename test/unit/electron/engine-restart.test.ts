import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type EngineChild, type EngineRequest, superviseEngine } from '../../../core/engine/engine-process';
import type { EngineExitInfo, RunEvent } from '../../../core/api';
import { emptyProject } from '../../../core/graph';
import { type GoneDetails, type UtilityProcessLike, utilityEngineChild } from '../../../electron/engine-child';
import { type IpcEventLike, registerMainIpc } from '../../../electron/main-ipc';
import { CALL_CHANNEL } from '../../../electron/messages';
import { createPreloadBridge } from '../../../electron/preload-bridge';

// Engine isolation on Electron's side, with a fake utility process (Electron cannot run
// here): the engine dies mid-run, the page hears which process, how and what it was doing,
// calls fail with that message instead of hanging, the recovery file is still written by
// main, and restartEngine starts a fresh process that answers again.

const PAGE = 'file:///app/dist/renderer/index.html';

/** A fake engine process: answers a few calls like the real one, and can be killed. */
class FakeEngine implements EngineChild {
  static count = 0;
  readonly pid = 1000 + FakeEngine.count++;
  private readonly listeners: Record<string, ((...a: unknown[]) => void)[]> = {};
  readonly requests: EngineRequest[] = [];
  killed = false;
  on(event: string, l: (...a: never[]) => void): void {
    (this.listeners[event] ??= []).push(l as (...a: unknown[]) => void);
  }
  private fire(event: string, ...a: unknown[]) {
    for (const l of this.listeners[event] ?? []) l(...a);
  }
  postMessage(m: EngineRequest): void {
    this.requests.push(m);
    const reply = (result: unknown) => queueMicrotask(() => this.fire('message', { id: m.id, reply: { ok: true, result } }));
    if (m.method === 'startRun') reply({ runId: 'run-1' });
    else if (m.method === 'listRecent') reply([`/from-${this.pid}.mgproj.json`]);
    // other calls (openProject) never answer: they are in flight when the engine dies
  }
  kill(): void {
    this.killed = true;
    this.die(null, 'SIGTERM');
  }
  die(code: number | null, signal: string | null, reason?: string): void {
    this.fire('exit', code, signal, reason);
  }
  event(e: RunEvent): void {
    this.fire('message', { event: e });
  }
}

function wire() {
  const children: FakeEngine[] = [];
  const engine = superviseEngine(() => children[children.push(new FakeEngine()) - 1]!, { log: () => undefined });
  const toPage = new Set<(e: unknown, ...a: unknown[]) => void>();
  let handler!: (e: IpcEventLike, ...a: unknown[]) => Promise<unknown>;
  const recovery = { saved: null as unknown, recovery: async () => null, setRecovery: vi.fn(async (r: unknown) => void (recovery.saved = r)) };
  registerMainIpc(
    { handle: (ch, l) => ch === CALL_CHANNEL && (handler = l) },
    {
      engine,
      recovery,
      dialogs: { chooseProjectPath: async () => null, choosePresetPath: async () => null },
      trusted: (url) => url === PAGE,
      toPage: (_ch, p) => toPage.forEach((l) => l({}, p)),
      version: '1',
    },
  );
  const bridge = createPreloadBridge({
    invoke: (_ch, payload) => handler({ senderFrame: { url: PAGE } }, payload),
    on: (_ch, l) => toPage.add(l),
    removeListener: (_ch, l) => toPage.delete(l),
  });
  const events: RunEvent[] = [];
  bridge.onRunEvent((e) => events.push(e));
  return { engine, children, bridge, events, recovery };
}

describe('the engine process dies (Electron main, fake utility process)', () => {
  it('tells the page which process, how and what was running; fails calls; restarts', async () => {
    const w = wire();
    const first = w.children[0]!;
    expect(await w.bridge.listRecent()).toEqual([`/from-${first.pid}.mgproj.json`]);
    expect(await w.bridge.startRun({ graph: { nodes: [], edges: [] }, baseDir: '/' })).toEqual({ runId: 'run-1' });
    const inFlight = w.bridge.openProject('/a.mgproj.json');
    await new Promise((r) => setTimeout(r, 0));

    first.die(null, 'SIGKILL');
    await expect(inFlight).rejects.toThrow(/engine process .* stopped/);
    const exited = w.events.find((e) => e.type === 'engine-exited') as EngineExitInfo & { type: string };
    expect(exited).toMatchObject({ process: `engine process (pid ${first.pid})`, code: null, signal: 'SIGKILL', running: ['a run of the graph', 'a call to openProject'] });
    expect(exited.message).toMatch(/killed by SIGKILL; the system may have run out of memory/);
    expect(exited.message).toMatch(/graph you are editing is unchanged/);

    // While it is down: calls fail at once with the same message, and autosave still works.
    await expect(w.bridge.listRecent()).rejects.toThrow(exited.message);
    await w.bridge.saveRecovery({ path: null, baseDir: '/', project: emptyProject('unsaved'), savedAt: 'now' });
    expect(w.recovery.setRecovery).toHaveBeenCalledTimes(1);

    await w.bridge.restartEngine();
    expect(w.children).toHaveLength(2);
    expect(w.events.at(-1)).toEqual({ type: 'engine-restarted' });
    expect(w.engine.exited).toBeNull();
    const second = w.children[1]!;
    expect(await w.bridge.listRecent()).toEqual([`/from-${second.pid}.mgproj.json`]);
  });

  it('forgets runs that ended, and says nothing when it is closed on purpose', async () => {
    const w = wire();
    const first = w.children[0]!;
    await w.bridge.startRun({ graph: { nodes: [], edges: [] }, baseDir: '/' });
    first.event({ type: 'finished', runId: 'run-1', processed: 1, seconds: 1, cancelled: false, engine: 'x', skipped: [] });
    first.die(137, null);
    expect(w.engine.exited).toMatchObject({ code: 137, running: [] });
    expect(w.engine.exited!.message).toMatch(/^The engine process \(pid \d+\) stopped: exit code 137\./);

    await w.bridge.restartEngine();
    const before = w.events.length;
    await w.engine.close();
    expect(w.children[1]!.killed).toBe(true);
    expect(w.events.length).toBe(before);
    // Closed is closed: calls say so; a restart starts a fresh one.
    expect(await w.engine.call('listRecent', [])).toEqual({ ok: false, error: 'the engine process has been closed' });
    await w.engine.restart();
    expect(await w.engine.call('listRecent', [])).toMatchObject({ ok: true });
  });

  it('restarting a live engine ends the old process first and ignores what it says after', async () => {
    const w = wire();
    await w.bridge.restartEngine();
    expect(w.children[0]!.killed).toBe(true);
    w.children[0]!.event({ type: 'progress', runId: 'old', done: 1, total: 2 });
    expect(w.events.filter((e) => e.type === 'progress')).toEqual([]);
    expect(w.events.filter((e) => e.type === 'engine-exited')).toEqual([]);
  });

  it('two restarts at once (a double click, two pages) start one fresh process, not two', async () => {
    const w = wire();
    const first = w.children[0]!;
    const both = Promise.all([w.engine.restart(), w.engine.restart()]);
    expect(await w.engine.call('listRecent', [])).toEqual({ ok: false, error: 'the engine process is restarting; try again in a moment' });
    await both;
    expect(first.killed).toBe(true);
    expect(w.children).toHaveLength(2);
    expect(w.engine.pid).toBe(w.children[1]!.pid);
    expect(w.events.filter((e) => e.type === 'engine-restarted')).toHaveLength(1);
    expect(await w.bridge.listRecent()).toEqual([`/from-${w.children[1]!.pid}.mgproj.json`]);
  });

  it('a call that cannot be sent fails alone, and is not reported as running when the engine dies', async () => {
    const w = wire();
    const first = w.children[0]!;
    const post = first.postMessage.bind(first);
    first.postMessage = (m) => {
      if (m.method === 'openProject') throw new RangeError('Maximum call stack size exceeded');
      post(m);
    };
    expect(await w.engine.call('openProject', ['/deep.mgproj.json'])).toEqual({
      ok: false,
      error: 'the call to openProject could not be sent to the engine process: its data are nested too deeply',
    });
    expect(await w.engine.call('listRecent', [])).toMatchObject({ ok: true });
    first.die(null, 'SIGKILL');
    expect(w.engine.exited!.running).toEqual([]);
  });
});

describe("Electron's utility process as the engine child", () => {
  afterEach(() => vi.useRealTimers());

  it("joins app's child-process-gone reason (out of memory) to the exit code", () => {
    vi.useFakeTimers();
    const on: Record<string, (...a: never[]) => void> = {};
    const proc: UtilityProcessLike = { pid: 7, on: (e: string, l: (...a: never[]) => void) => (on[e] = l), postMessage: vi.fn(), kill: () => true } as UtilityProcessLike;
    let gone!: (d: GoneDetails) => void;
    const child = utilityEngineChild(proc, 'ModularGAN engine', (l) => ((gone = l), () => undefined));
    const exits: unknown[][] = [];
    child.on('exit', (...a) => exits.push(a));
    (on.exit as (code: number) => void)(9);
    gone({ type: 'Utility', serviceName: 'ModularGAN engine', reason: 'oom', exitCode: 9 });
    vi.runAllTimers();
    expect(exits).toEqual([[9, null, 'oom']]);
    expect(child.pid).toBe(7);
    // And the page is told so in words.
    const engine = superviseEngine(() => child, { log: () => undefined });
    expect(engine.pid).toBe(7);
  });

  it('reports the exit without a reason when none came, or one for another process', () => {
    vi.useFakeTimers();
    const on: Record<string, (...a: never[]) => void> = {};
    const proc = { on: (e: string, l: (...a: never[]) => void) => (on[e] = l), postMessage: () => undefined, kill: () => true } as UtilityProcessLike;
    let gone!: (d: GoneDetails) => void;
    const child = utilityEngineChild(proc, 'ModularGAN engine', (l) => ((gone = l), () => undefined));
    const exits: unknown[][] = [];
    child.on('exit', (...a) => exits.push(a));
    gone({ type: 'GPU', reason: 'crashed', exitCode: 5 });
    gone({ type: 'Utility', serviceName: 'ModularGAN engine', reason: 'killed', exitCode: 15 });
    (on.exit as (code: number) => void)(5);
    vi.runAllTimers();
    expect(exits).toEqual([[5, null, undefined]]);
  });

  it("hears the process's 'error' (unheard, Electron would throw it in main) and names the pid after the exit", async () => {
    vi.useFakeTimers();
    // Like Electron's: an EventEmitter whose pid exists from 'spawn' until 'exit'.
    const proc = Object.assign(new EventEmitter(), { pid: undefined as number | undefined, postMessage: vi.fn(), kill: () => true });
    const logged: string[] = [];
    const child = utilityEngineChild(proc, 'ModularGAN engine', () => () => undefined, 200, (l) => logged.push(l));
    const engine = superviseEngine(() => child, { log: () => undefined });
    proc.pid = 77;
    proc.emit('spawn');
    const call = engine.call('listRecent', []);
    expect(() => proc.emit('error', 'FatalError', 'v8::Isolate', '{}')).not.toThrow();
    expect(logged).toEqual(['main: the engine process (pid 77) failed: FatalError at v8::Isolate']);
    proc.pid = undefined;
    proc.emit('exit', 133);
    vi.runAllTimers();
    expect(await call).toEqual({ ok: false, error: expect.stringMatching(/^The engine process \(pid 77\) stopped while it was running a call to listRecent: exit code 133\./) });
  });
});
