// The engine in a process of its own, so that when it dies (out of memory, a native crash,
// a kill) the window, the web server and the graph being edited do not die with it.
// Both sides live here, over small port interfaces, so Electron's utility process and the
// web host's forked child share them and tests drive them with fakes:
// - serveEngine: the engine's side; checks each request, runs it, posts replies and events.
// - superviseEngine: the host's side; numbered calls, checked replies and events, and when
//   the process exits unasked, an 'engine-exited' event saying how and what it was doing,
//   then (with autoRestart) a fresh process a moment later, 'engine-restarted', at most a few
//   times a minute, so a crash loop stops; restart() starts one on request.
// Pure TypeScript: the host hands in how to spawn the process.

import { z } from 'zod';
import { dispatchCall } from '../api/dispatch';
import { type Reply, checkRunEvent, describeIssues, replySchema } from '../api/schemas';
import type { EngineApi, EngineExitInfo, RunEvent } from '../api/types';

/** host -> engine process */
export const engineRequestSchema = z.object({ id: z.number().int().nonnegative(), method: z.string().max(64), params: z.array(z.unknown()).max(8) });
export type EngineRequest = z.infer<typeof engineRequestSchema>;

/** engine process -> host: a reply to a request, or a run event */
export const engineMessageSchema = z.union([z.object({ id: z.number().int().nonnegative(), reply: z.unknown() }), z.object({ event: z.unknown() })]);
export type EngineMessage = z.infer<typeof engineMessageSchema>;

/** The engine's end: Electron's process.parentPort, or an adapter over Node's process.send. */
export interface ParentPortLike {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: EngineMessage): void;
}

export function serveEngine(port: ParentPortLike, service: EngineApi, log: (line: string) => void = console.error): void {
  // With the host gone (or going) a post can throw; the engine lives on to finish its work
  // (a training writes its checkpoint) rather than dying of it.
  const post = (m: EngineMessage) => {
    try {
      port.postMessage(m);
    } catch (e) {
      log(`engine: a message to the host was lost: ${(e as Error).message}`);
    }
  };
  service.onRunEvent((event) => post({ event }));
  port.on('message', (e) => {
    const req = engineRequestSchema.safeParse(e.data);
    if (!req.success) {
      log(`engine: refused a malformed request: ${describeIssues(req.error)}`);
      return;
    }
    void dispatchCall(service, req.data.method, req.data.params).then((reply) => post({ id: req.data.id, reply }));
  });
}

/** The host's end of one engine process. */
export interface EngineChild {
  readonly pid?: number;
  on(event: 'message', listener: (message: unknown) => void): void;
  /** `reason`: what the host learnt besides code and signal (Electron: "oom", "crashed"). */
  on(event: 'exit', listener: (code: number | null, signal?: string | null, reason?: string) => void): void;
  postMessage(message: EngineRequest): void;
  kill(): void;
}

/** Calls to the engine and its run events: what Electron main and the web host forward to. */
export interface EngineLink {
  call(method: string, params: unknown[]): Promise<Reply>;
  onRunEvent(listener: (e: RunEvent) => void): () => void;
}

export interface SupervisedEngine extends EngineLink {
  /** Why the engine is not running, or null while it runs. */
  readonly exited: EngineExitInfo | null;
  readonly pid: number | undefined;
  /** Starts a fresh engine process (ending the old one first if it still runs). */
  restart(): Promise<void>;
  /** Ends the engine on purpose (quitting): no exit is reported. Resolves once it is gone. */
  close(): Promise<void>;
}

/** What a start call sets going, for "what was running" when the engine dies. */
const STARTS: ReadonlyMap<string, string> = new Map([
  ['startRun', 'a run of the graph'],
  ['startBatch', 'a batch run'],
  ['startTraining', 'a training run'],
]);
const ENDS = new Set(['finished', 'failed', 'batch-finished', 'batch-failed', 'training-finished', 'training-failed']);
const REASONS: Readonly<Record<string, string>> = {
  oom: 'it ran out of memory',
  crashed: 'it crashed',
  killed: 'it was killed',
  'launch-failed': 'it could not start',
  'integrity-failure': 'its code failed an integrity check',
};

/** What comes after a death: the user restarts it, the host restarts it by itself, or the host gave up (it died too often). */
export type AfterExit = { readonly kind: 'manual' } | { readonly kind: 'automatic' } | { readonly kind: 'gave-up'; readonly restarts: number; readonly withinSeconds: number };

export function describeExit(who: string, code: number | null, signal: string | null, reason: string | undefined, running: readonly string[], after: AfterExit = { kind: 'manual' }): string {
  const how = signal ? `killed by ${signal}` : `exit code ${code ?? 'unknown'}`;
  // SIGKILL from nobody in particular is most often the system's out-of-memory killer.
  const why = reason ? `${REASONS[reason] ?? reason} (${how})` : signal === 'SIGKILL' ? `${how}; the system may have run out of memory` : how;
  const doing = running.length ? ` while it was running ${running.join(', ')}` : '';
  const next =
    after.kind === 'automatic'
      ? 'a fresh engine is being started'
      : after.kind === 'gave-up'
        ? `it was restarted ${after.restarts} times within ${after.withinSeconds} s and is not restarted again by itself; restart the engine once the cause is mended`
        : 'restart the engine to go on';
  return `The ${who} stopped${doing}: ${why}. The graph you are editing is unchanged; ${next}.`;
}

/** Restarting a dead engine without being asked: after `delayMs`, at most `perMinute` times in any 60 s. */
export interface AutoRestart {
  readonly delayMs: number;
  readonly perMinute: number;
}
export const AUTO_RESTART: AutoRestart = { delayMs: 1500, perMinute: 3 };

export function superviseEngine(spawn: () => EngineChild, opts: { name?: string; log?: (line: string) => void; autoRestart?: AutoRestart | false } = {}): SupervisedEngine {
  const name = opts.name ?? 'engine process';
  const log = opts.log ?? console.error;
  const auto = opts.autoRestart || undefined;
  /** When the automatic restarts of the last minute began. */
  const autoRestarts: number[] = [];
  let autoTimer: ReturnType<typeof setTimeout> | undefined;
  const listeners = new Set<(e: RunEvent) => void>();
  const pending = new Map<number, { method: string; done: (r: Reply) => void }>();
  /** runId -> what it is, for the runs the engine has started and not yet ended. */
  const active = new Map<string, string>();
  let next = 0;
  let child: EngineChild;
  let exited: EngineExitInfo | null = null;
  let gone: Promise<void> = Promise.resolve();
  /** The restart under way: a second request joins it rather than starting a second process (one nobody would ever end). */
  let restarting: Promise<void> | null = null;

  const emit = (e: RunEvent) => {
    for (const l of listeners) l(e);
  };
  const failPending = (error: string) => {
    for (const p of pending.values()) p.done({ ok: false, error });
    pending.clear();
  };

  function start(): void {
    const c = spawn();
    child = c;
    let ended!: () => void;
    gone = new Promise((ok) => (ended = ok));
    // Events from a process that has been replaced are ignored: only `child` speaks.
    c.on('message', (raw) => {
      if (c !== child) return;
      const m = engineMessageSchema.safeParse(raw);
      if (!m.success) return log('host: refused a malformed message from the engine');
      if ('id' in m.data) {
        const p = pending.get(m.data.id);
        pending.delete(m.data.id);
        const reply = replySchema.safeParse(m.data.reply);
        const r: Reply = reply.success ? reply.data : { ok: false, error: 'the engine sent a malformed reply' };
        // The reply is the engine's word, not a checked result: only a string run id is tracked
        // (an object there, e.g. { toString: 1 }, would throw in String()).
        const started = p && STARTS.get(p.method);
        const runId = r.ok && r.result && typeof r.result === 'object' && 'runId' in r.result ? r.result.runId : undefined;
        if (started && typeof runId === 'string') active.set(runId, started);
        p?.done(r);
      } else {
        try {
          const e = checkRunEvent(m.data.event);
          if (ENDS.has(e.type) && 'runId' in e) active.delete(e.runId);
          emit(e);
        } catch (err) {
          log(`host: ${(err as Error).message}`);
        }
      }
    });
    c.on('exit', (code, signal = null, reason) => {
      ended();
      if (c !== child) return; // replaced or closed on purpose
      const running = [...active.values(), ...[...pending.values()].filter((p) => !STARTS.has(p.method)).map((p) => `a call to ${p.method}`)];
      const who = c.pid === undefined ? name : `${name} (pid ${c.pid})`;
      const now = Date.now();
      while (autoRestarts.length && now - autoRestarts[0]! >= 60_000) autoRestarts.shift();
      const after: AfterExit = !auto ? { kind: 'manual' } : autoRestarts.length < auto.perMinute ? { kind: 'automatic' } : { kind: 'gave-up', restarts: autoRestarts.length, withinSeconds: 60 };
      const info: EngineExitInfo = { process: who, code, signal, ...(reason ? { reason } : {}), running, message: describeExit(who, code, signal, reason, running, after) };
      exited = info;
      active.clear();
      failPending(info.message);
      log(`host: ${info.message}`);
      emit({ type: 'engine-exited', ...info });
      if (auto && after.kind === 'automatic') {
        autoRestarts.push(now);
        // A moment's wait: the page shows what happened, and a process that dies at once does not spin.
        autoTimer = setTimeout(() => {
          autoTimer = undefined;
          // Unless a restart (or a close) came first.
          if (exited === info) restart().catch((e: unknown) => log(`host: the ${name} could not be restarted: ${(e as Error).message}`));
        }, auto.delayMs);
        autoTimer.unref?.();
      }
    });
  }

  const retire = async () => {
    const old = child as EngineChild | undefined; // undefined once closed
    const wasGone = gone;
    child = undefined as unknown as EngineChild; // its exit is now expected
    failPending(`the ${name} was stopped`);
    active.clear();
    if (old && !exited) old.kill();
    await wasGone;
  };

  function restart(): Promise<void> {
    clearTimeout(autoTimer);
    autoTimer = undefined;
    restarting ??= (async () => {
      try {
        await retire();
        exited = null;
        start();
      } finally {
        restarting = null;
      }
      emit({ type: 'engine-restarted' });
    })();
    return restarting;
  }

  start();
  return {
    get exited() {
      return exited;
    },
    get pid() {
      return child?.pid;
    },
    call(method, params) {
      if (restarting) return Promise.resolve({ ok: false, error: `the ${name} is restarting; try again in a moment` });
      if (exited) return Promise.resolve({ ok: false, error: exited.message });
      if (!child) return Promise.resolve({ ok: false, error: `the ${name} has been closed` });
      const id = next++;
      return new Promise((done) => {
        pending.set(id, { method, done });
        try {
          child.postMessage({ id, method, params });
        } catch (e) {
          // Not sent (it could not be serialised, or the channel is gone): this call fails
          // alone; a dead process is reported by its exit, as ever.
          pending.delete(id);
          const why = e instanceof RangeError ? 'its data are nested too deeply' : (e as Error).message;
          done({ ok: false, error: `the call to ${method} could not be sent to the ${name}: ${why}` });
        }
      });
    },
    onRunEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    restart,
    async close() {
      clearTimeout(autoTimer);
      autoTimer = undefined;
      if (child) await retire();
    },
  };
}
