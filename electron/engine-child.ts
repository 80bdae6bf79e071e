// Electron's utility process as the supervisor's engine child. Its 'exit' event gives only a
// code; why it went (killed, crashed, out of memory) comes separately, in app's
// 'child-process-gone' event. The adapter joins the two, so the page can say "it ran out of
// memory" rather than a bare number.

import type { EngineChild, EngineRequest } from '../core/api/engine-process';

export interface UtilityProcessLike {
  readonly pid?: number;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
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
export function utilityEngineChild(proc: UtilityProcessLike, serviceName: string, onGone: (listener: (d: GoneDetails) => void) => () => void, waitMs = 200): EngineChild {
  let gone: GoneDetails | undefined;
  const off = onGone((d) => {
    if (d.type === 'Utility' && d.serviceName === serviceName) gone = d;
  });
  return {
    get pid() {
      return proc.pid;
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
