// What the preload exposes as `window.modulargan`: the engine API over one invoke channel,
// run events and menu commands over two event channels. Nothing else of Electron reaches
// the page; every event is checked before the page sees it.

import { z } from 'zod';
import { createApiClient } from '../core/api/dispatch';
import { checkRunEvent } from '../core/api/schemas';
import { MENU_COMMANDS, type MenuCommand, type RunEvent, type StudioBridge } from '../core/api/types';
import { type Reply, replySchema } from '../core/api/schemas';
import { engineTargetSchema } from '../core/api/engine-target';
import { CALL_CHANNEL, CONNECT_CHANNEL, ENGINES_CHANNEL, MENU_CHANNEL, RUN_EVENT_CHANNEL } from './messages';

const engineListSchema = z.array(engineTargetSchema);

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export function createPreloadBridge(ipc: IpcRendererLike): StudioBridge {
  const subscribe = <T>(channel: string, accept: (args: unknown[]) => T | null, listener: (v: T) => void) => {
    const wrapped = (_e: unknown, ...args: unknown[]) => {
      const v = accept(args);
      if (v !== null) listener(v);
    };
    ipc.on(channel, wrapped);
    return () => void ipc.removeListener(channel, wrapped);
  };
  const api = createApiClient(
    (method, params) => ipc.invoke(CALL_CHANNEL, { method, params }),
    (listener) =>
      subscribe<RunEvent>(
        RUN_EVENT_CHANNEL,
        (args) => {
          try {
            return checkRunEvent(args[0]);
          } catch {
            return null;
          }
        },
        listener,
      ),
  );
  const invoke = async (channel: string, ...args: unknown[]): Promise<unknown> => {
    const r = replySchema.safeParse(await ipc.invoke(channel, ...args));
    const reply: Reply = r.success ? r.data : { ok: false, error: 'the studio sent a malformed reply' };
    if (!reply.ok) throw new Error(reply.error);
    return reply.result;
  };
  return {
    ...api,
    connectEngine: async (target) => void (await invoke(CONNECT_CHANNEL, target)),
    listEngines: async () => {
      const list = engineListSchema.safeParse(await invoke(ENGINES_CHANNEL));
      return list.success ? list.data : [];
    },
    onMenuCommand: (listener) =>
      subscribe<[MenuCommand, string | undefined]>(
        MENU_CHANNEL,
        ([c, arg]) => ((MENU_COMMANDS as readonly unknown[]).includes(c) ? [c as MenuCommand, typeof arg === 'string' ? arg : undefined] : null),
        ([c, arg]) => listener(c, arg),
      ),
  };
}
