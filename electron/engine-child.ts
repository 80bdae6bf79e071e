// Electron's utility process as the supervisor's engine child. Its 'exit' event gives only a
// code; why it went (killed, crashed, out of memory) comes separately, in app's
// 'child-process-gone' event. The adapter joins the two, so the page can say "it ran out of
// memory" rather than a bare number.

import type { EngineChild, EngineRequest } from '../core/engine/engine-process';

export interface UtilityProcessLike {
  /** Undefined before the process has spawned and again once it has exited. */
  readonly pid?: number;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'spawn', listener: () => void): unknown;
  /** A fatal V8 error in the process ('FatalError'); its exit follows. */
  on(event: 'error', listener: (type: string, location: string) => void): unknown;
  postMessage(message: unknown): void;
  kill(): boolean;
}

/** The details of app's 'child-process-gone' event that matter here. */
export interface GoneDetails {
  readonly type: string;
  readonly reason: string;
  readonly exitCode: number;
  readonly serviceName?: string;
}

/**
 * `onGone` subscribes to app's 'child-process-gone'. The two events arrive in no fixed order,
 * so the exit is reported `waitMs` later, with the reason if it came by then.
 */
export function utilityEngineChild(
  proc: UtilityProcessLike,
  serviceName: string,
  onGone: (listener: (d: GoneDetails) => void) => () => void,
  waitMs = 200,
  log: (line: string) => void = console.error,
): EngineChild {
  let gone: GoneDetails | undefined;
  const off = onGone((d) => {
    if (d.type === 'Utility' && d.serviceName === serviceName) gone = d;
  });
  // The exit is reported after the process is gone, when Electron no longer gives its pid.
  let lastPid = proc.pid;
  proc.on('spawn', () => (lastPid = proc.pid ?? lastPid));
  // A utility process is an EventEmitter: an 'error' nobody hears is thrown in main, and
  // would take the window down with the engine.
  proc.on('error', (type, location) => log(`main: the engine process (pid ${lastPid ?? 'unknown'}) failed: ${type} at ${location}`));
  return {
    get pid() {
      return proc.pid ?? lastPid;
    },
    on(event: 'message' | 'exit', listener: (...a: never[]) => void) {
      if (event === 'message') proc.on('message', listener as (m: unknown) => void);
      else
        proc.on('exit', (code) =>
          setTimeout(() => {
            off();
            // A replaced engine of the same name may have gone too: its code tells them apart.
            const reason = gone?.exitCode === code ? gone.reason : undefined;
            (listener as (code: number | null, signal: string | null, reason?: string) => void)(code, null, reason);
          }, waitMs),
        );
    },
    postMessage: (m: EngineRequest) => proc.postMessage(m),
    kill: () => void proc.kill(),
  } as EngineChild;
}
