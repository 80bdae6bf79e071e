// Starts the web host's engine in a child process (web/engine-child.ts, through tsx) and
// supervises it: if it dies the host reports it to the page and can start a fresh one.

import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type EngineChild, type SupervisedEngine, superviseEngine } from '../core/api/engine-process';

export interface EngineProcessOptions {
  readonly stateDir: string;
  readonly demoPath: string;
  readonly log?: (line: string) => void;
}

const CHILD = join(import.meta.dirname, 'engine-child.ts');
// The child runs TypeScript as the host does; tsx is resolved from here, not from the cwd.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function forkEngine(opts: EngineProcessOptions): EngineChild {
  const child = fork(CHILD, [opts.stateDir, opts.demoPath], { execArgv: ['--import', TSX], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return {
    get pid() {
      return child.pid;
    },
    on: ((event: 'message' | 'exit', listener: (...a: unknown[]) => void) => void child.on(event, listener)) as EngineChild['on'],
    postMessage: (m) => {
      // A message to a child that has just died is lost; its exit event reports it.
      if (child.connected) child.send(m);
    },
    kill: () => void child.kill('SIGKILL'),
  };
}

export function startEngineProcess(opts: EngineProcessOptions): SupervisedEngine {
  return superviseEngine(() => forkEngine(opts), { log: opts.log });
}
