// The studio served: the engine in a child process, the web host in front of it, the page
// built when its sources changed, and a clean stop on Ctrl+C (a running training writes its
// checkpoint first). One implementation for `npm run web` (loopback, a fresh token, the
// URL printed) and `modulargan serve` (an address for other machines, TLS, a kept token,
// roots).

import { homedir } from 'node:os';
import { join } from 'node:path';
import type { SupervisedEngine } from '../core/engine/engine-process';
import { startEngineProcess } from './engine';
import { type WebHost, startWebHost } from './host';
import { listenFailure } from './listen';
import { REPO_ROOT, RENDERER_OUT, ensureRendererBuilt } from './renderer-build';

export const DEMO_PROJECT = join(REPO_ROOT, 'assets', 'demo', 'demo.mgproj.json');

/** The engine's state folder (recent projects, recovery file, presets, the kept token) unless one is given. */
export const defaultStateDir = (): string => join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'modulargan-studio');

export interface ServeStudioOptions {
  readonly listen: string;
  readonly port: number;
  readonly token: string;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  readonly hostNames?: readonly string[];
  /** The only folders the engine's calls may name; none: no limits. */
  readonly roots?: readonly string[];
  readonly stateDir: string;
  readonly demoPath?: string;
  /** The flag that set the port, for the one-line refusals (--port, --listen). */
  readonly flag: string;
  /** Progress lines (building the page). */
  readonly log: (line: string) => void;
}

export interface ServedStudio {
  readonly host: WebHost;
  readonly engine: SupervisedEngine;
  /** Stops training with a checkpoint, then the engine and the host. */
  stop(): Promise<void>;
}

/** Serves the studio; a failure to listen comes back as one line for the user, anything else throws. */
export async function serveStudio(opts: ServeStudioOptions): Promise<ServedStudio | { failure: string }> {
  const engine = startEngineProcess({ stateDir: opts.stateDir, demoPath: opts.demoPath ?? DEMO_PROJECT, ...(opts.roots?.length ? { roots: opts.roots } : {}) });
  let host: WebHost;
  try {
    // The host serves the page's folder as it is when asked: it listens before the page is built.
    host = await startWebHost({
      engine,
      stateDir: opts.stateDir,
      staticDir: RENDERER_OUT,
      listen: opts.listen,
      port: opts.port,
      token: opts.token,
      ...(opts.tls ? { tls: opts.tls } : {}),
      ...(opts.hostNames ? { hostNames: opts.hostNames } : {}),
    });
  } catch (e) {
    await engine.close();
    const message = listenFailure(e, opts.listen, opts.port, opts.flag) ?? (/^--host-name/.test((e as Error).message) ? (e as Error).message : undefined);
    if (message === undefined) throw e;
    return { failure: message };
  }
  await ensureRendererBuilt(opts.log);
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      // A running training writes a checkpoint before the engine goes.
      await engine.call('stopAllTraining', []);
      await engine.close();
      await host.close();
    })());
  return { host, engine, stop };
}

/** Ctrl+C and a polite kill stop the served studio cleanly, then end the process. */
export function stopOnSignals(served: ServedStudio): void {
  const end = () => void served.stop().then(() => process.exit(0));
  process.on('SIGINT', end);
  process.on('SIGTERM', end);
}
