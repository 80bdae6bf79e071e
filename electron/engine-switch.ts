// Which engine the window talks to: the app's own (its utility process), or one on another
// machine (modulargan serve) the user connected to. Calls and events go to and come from the
// one in use; the app's own engine keeps running meanwhile, so going back is instant and
// quitting still stops its trainings with a checkpoint.

import type { EngineLink, SupervisedEngine } from '../core/engine/engine-process';
import type { RemoteEngine } from '../core/engine/remote-engine';
import type { EngineExitInfo, RunEvent } from '../core/api/types';

export interface EngineSwitch extends EngineLink {
  /** Why the app's own engine is down, while it is the one in use. */
  readonly exited: EngineExitInfo | null;
  /** The engine on another machine in use, or null for the app's own. */
  readonly remote: RemoteEngine | null;
  /** Restarts the engine in use (a remote one restarts its own process over there). */
  restart(): Promise<void>;
  /** Uses `remote` (null: the app's own engine); the one used before stops being followed. */
  use(remote: RemoteEngine | null): void;
}

export function createEngineSwitch(local: SupervisedEngine): EngineSwitch {
  let remote: RemoteEngine | null = null;
  let offRemote: (() => void) | null = null;
  const listeners = new Set<(e: RunEvent) => void>();
  const emit = (e: RunEvent) => {
    for (const l of listeners) l(e);
  };
  local.onRunEvent((e) => {
    if (!remote) emit(e);
  });
  return {
    get exited() {
      return remote ? null : local.exited;
    },
    get remote() {
      return remote;
    },
    call: (method, params) => (remote ?? local).call(method, params),
    onRunEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    restart: () => (remote ? remote.restart() : local.restart()),
    use(next) {
      if (next === remote) return;
      const before = remote;
      offRemote?.();
      offRemote = null;
      remote = next;
      if (next) offRemote = next.onRunEvent(emit);
      before?.close();
    },
  };
}
