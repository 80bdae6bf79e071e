// Starts the web host's engine in a child process (web/engine-child.ts, through tsx) and
// supervises it: if it dies the host reports it to the page and starts a fresh one by itself
// a moment later (a few times a minute at most), or when the page asks.

import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AUTO_RESTART, type AutoRestart, type EngineChild, type SupervisedEngine, superviseEngine } from '../core/engine/engine-process';

export interface EngineProcessOptions {
  readonly stateDir: string;
  readonly demoPath: string;
  /** The only folders the engine's calls may name (modulargan serve --root); none: no limits. */
  readonly roots?: readonly string[];
  readonly log?: (line: string) => void;
  /** Restart a dead engine without being asked (default AUTO_RESTART); false: only when asked. */
  readonly autoRestart?: AutoRestart | false;
}

const CHILD = join(import.meta.dirname, 'engine-child.ts');
// The child runs TypeScript as the host does; tsx is resolved from here, not from the cwd.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function forkEngine(opts: EngineProcessOptions): EngineChild {
  const log = opts.log ?? console.error;
  const child = fork(CHILD, [opts.stateDir, opts.demoPath, ...(opts.roots ?? [])], { execArgv: ['--import', TSX], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let onExit: ((code: number | null, signal: NodeJS.Signals | null, reason?: string) => void) | undefined;
  let reported = false;
  const exit = (code: number | null, signal: NodeJS.Signals | null, reason?: string) => {
    if (reported) return;
    reported = true;
    onExit?.(code, signal, reason);
  };
  child.on('exit', (code, signal) => exit(code, signal));
  // A ChildProcess emits 'error' when it cannot be started, killed or written to; unheard,
  // that ends the host. A start that failed has no exit of its own: it is reported as one.
  child.on('error', (e) => {
    if (child.pid === undefined) exit(null, null, `it could not start: ${e.message}`);
    else log(`host: the engine process (pid ${child.pid}): ${e.message}`);
  });
  return {
    get pid() {
      return child.pid;
    },
    on: ((event: 'message' | 'exit', listener: (...a: unknown[]) => void) => {
      if (event === 'exit') onExit = listener;
      else child.on(event, listener);
    }) as EngineChild['on'],
    postMessage: (m) => {
      // A message to a child that has just died is lost; its exit event reports it and fails
      // the call. Until the host has noticed the death the channel still looks open, and a
      // write then fails with EPIPE: the callback takes that error (without one, it would be
      // thrown as an 'error' event).
      if (child.connected) child.send(m, (e) => e && log(`host: a message to the engine process (pid ${child.pid}) was lost: ${e.message}`));
    },
    kill: () => void child.kill('SIGKILL'),
  };
}

export function startEngineProcess(opts: EngineProcessOptions): SupervisedEngine {
  return superviseEngine(() => forkEngine(opts), { log: opts.log, autoRestart: opts.autoRestart ?? AUTO_RESTART });
}
