// Which engine the page uses, and how to use another one (modulargan serve on another
// machine): the studio app asks its main process, which connects and keeps the recent list
// in its state folder (readable by its user only); a browser goes to the other engine's own
// page, which is this same studio, and keeps the recent list in this browser's storage.

import { type EngineTarget, RECENT_ENGINES, type StudioBridge, engineTargetSchema } from '../../core/api';

export interface EngineConnector {
  /** 'app': the page stays and main links it to the engine; 'browser': the page goes to the engine's own. */
  readonly kind: 'app' | 'browser';
  recent(): Promise<EngineTarget[]>;
  /** Uses the engine at `target` (null: the app's own); rejects with why not. */
  connect(target: EngineTarget | null): Promise<void>;
}

const STORAGE_KEY = 'modulargan.engines';

function storedEngines(): EngineTarget[] {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]');
    return (Array.isArray(raw) ? raw : []).flatMap((e) => {
      const r = engineTargetSchema.safeParse(e);
      return r.success ? [r.data] : [];
    });
  } catch {
    return [];
  }
}

export function engineConnector(bridge: StudioBridge): EngineConnector {
  if (bridge.connectEngine && bridge.listEngines) return { kind: 'app', recent: () => bridge.listEngines!(), connect: (t) => bridge.connectEngine!(t) };
  return {
    kind: 'browser',
    recent: async () => storedEngines(),
    async connect(target) {
      if (!target) return;
      const checked = engineTargetSchema.safeParse(target);
      if (!checked.success) throw new Error(checked.error.issues[0]!.message);
      const t = checked.data;
      localStorage.setItem(STORAGE_KEY, JSON.stringify([t, ...storedEngines().filter((e) => e.url !== t.url)].slice(0, RECENT_ENGINES)));
      // The engine serves its own page: the same studio, over there.
      const url = new URL('/', t.url);
      url.searchParams.set('token', t.token);
      location.assign(url.href);
    },
  };
}
