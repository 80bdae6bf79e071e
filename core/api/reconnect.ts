// The engine's event stream over a socket that can drop (an engine on another machine, a
// Wi-Fi hiccup, a tunnel restarted): the socket is opened again with growing waits, and
// once it is back, the engine's list of jobs is replayed (their latest progress, state,
// sample, and the end of those that ended meanwhile), so the page is where it would have
// been. Jobs the page was following that the engine no longer knows (it was restarted
// meanwhile) are ended with a failure saying so, instead of looking alive for ever. Events
// that arrive while the list is replayed wait their turn, so nothing goes backwards.
// Browser-safe: the page's WebSocket and Node's `ws` both fit SocketHandlers.

import { checkRunEvent, jobKindOf } from './schemas';
import type { JobInfo, RunEvent } from './types';

export interface SocketHandlers {
  open(): void;
  message(text: string): void;
  /** Called once when the socket closes or fails, whether it had opened or not. */
  closed(): void;
}
export interface EventSocket {
  close(): void;
}

export interface ReconnectOptions {
  /** Opens a socket to the engine's events; reports through `h`. */
  connect(h: SocketHandlers): EventSocket;
  /** The engine's jobs, asked once a dropped socket is back. */
  listJobs(): Promise<readonly JobInfo[]>;
  /** Each event, checked, in order. */
  deliver(e: RunEvent): void;
  /** Where the engine is, for the messages. */
  where: string;
  /** Waits before each new attempt, in ms; the last one repeats. */
  delays?: readonly number[];
  timers?: { set(f: () => void, ms: number): unknown; clear(t: unknown): void };
  warn?: (message: string) => void;
}

export const RECONNECT_DELAYS: readonly number[] = [250, 500, 1000, 2000, 4000, 8000];

/** What a job's kind ends with when the engine forgot it. */
const FORGOTTEN: Record<JobInfo['kind'], (runId: string, message: string) => RunEvent> = {
  run: (runId, message) => ({ type: 'failed', runId, message }),
  batch: (runId, message) => ({ type: 'batch-failed', runId, message }),
  training: (runId, message) => ({ type: 'training-failed', runId, message }),
};
const ENDS = new Set<RunEvent['type']>(['finished', 'failed', 'batch-finished', 'batch-failed', 'training-finished', 'training-failed']);

export interface ReconnectingEvents {
  /** Resolves once the first socket opened (or failed: calls then say why themselves). */
  readonly ready: Promise<void>;
  close(): void;
}

export function reconnectingEvents(opts: ReconnectOptions): ReconnectingEvents {
  const delays = opts.delays ?? RECONNECT_DELAYS;
  const timers = opts.timers ?? { set: (f, ms) => setTimeout(f, ms), clear: (t) => clearTimeout(t as ReturnType<typeof setTimeout>) };
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  /** Jobs seen running here, by id: what to end if the engine has forgotten them. */
  const following = new Map<string, JobInfo['kind']>();
  let everOpen = false;
  let attempt = 0;
  let closed = false;
  let timer: unknown;
  let socket: EventSocket | null = null;
  /** While the job list is replayed, newer events wait here. */
  let held: RunEvent[] | null = null;
  let firstDone!: () => void;
  const ready = new Promise<void>((ok) => (firstDone = ok));

  const deliver = (e: RunEvent) => {
    if ('runId' in e) {
      if (ENDS.has(e.type)) following.delete(e.runId);
      else following.set(e.runId, jobKindOf(e.type));
    }
    opts.deliver(e);
  };

  async function catchUp(): Promise<void> {
    held = [];
    try {
      const jobs = await opts.listJobs();
      const known = new Set(jobs.map((j) => j.runId));
      for (const j of jobs) for (const e of j.events) deliver(e);
      for (const [runId, kind] of [...following])
        if (!known.has(runId)) deliver(FORGOTTEN[kind](runId, `the engine at ${opts.where} no longer knows this ${kind} (it was restarted while the link was down); a training can resume from its last checkpoint`));
    } catch (e) {
      warn(`could not catch up with the engine's jobs: ${(e as Error).message}`);
    } finally {
      const waiting = held;
      held = null;
      for (const e of waiting) deliver(e);
    }
    if (!closed) opts.deliver({ type: 'engine-connection', state: 'connected', message: `connected again to the engine at ${opts.where}` });
  }

  function open(): void {
    let opened = false;
    let ended = false;
    socket = opts.connect({
      open() {
        if (closed) return;
        opened = true;
        const again = everOpen;
        everOpen = true;
        attempt = 0;
        firstDone();
        if (again) void catchUp();
      },
      message(text) {
        let e: RunEvent;
        try {
          e = checkRunEvent(JSON.parse(text));
        } catch (err) {
          warn((err as Error).message);
          return;
        }
        if (held) held.push(e);
        else deliver(e);
      },
      closed() {
        if (ended) return;
        ended = true;
        socket = null;
        firstDone();
        if (closed) return;
        const wait = delays[Math.min(attempt, delays.length - 1)]!;
        attempt++;
        // Said once per drop, and only of a link that had been up: a page that never
        // reached the engine shows the calls' own errors.
        if (opened)
          opts.deliver({ type: 'engine-connection', state: 'reconnecting', message: `the link to the engine at ${opts.where} dropped; runs go on there, and the studio catches up once it is back` });
        timer = timers.set(open, wait);
      },
    });
  }

  open();
  return {
    ready,
    close() {
      closed = true;
      timers.clear(timer);
      socket?.close();
    },
  };
}
