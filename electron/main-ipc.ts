// Main's handler for the page's calls: only from the app's own page, each payload checked
// against the API's schemas; file dialogs are answered here (they need a window), and so are
// the autosave's recovery file (so unsaved work is still kept while the engine is down) and
// restarting the engine; the rest goes to the engine process. Run events go back to the
// page after their own check. With an engine on another machine in use, paths are that
// machine's: this machine's dialogs, file manager and recent-files menu stay out of it.

import { engineTargetSchema } from '../core/api/engine-target';

import type { EngineLink } from '../core/engine/engine-process';
import { type Reply, checkParams, checkResult, describeIssues } from '../core/api/schemas';
import type { EngineInfo, FolderInfo, RecoveryRecord, RunEvent } from '../core/api/types';
import type { EngineTarget } from '../core/api/engine-target';
import { CALL_CHANNEL, CONNECT_CHANNEL, ENGINES_CHANNEL, RUN_EVENT_CHANNEL, pageCallSchema } from './messages';

export interface IpcEventLike {
  readonly senderFrame?: { readonly url: string } | null;
}
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>): void;
}
export interface DialogsLike {
  chooseProjectPath(mode: 'open' | 'save', suggested: string | null): Promise<string | null>;
  choosePresetPath(): Promise<string | null>;
}
export interface RecoveryFileLike {
  recovery(): Promise<RecoveryRecord | null>;
  setRecovery(record: RecoveryRecord | null): Promise<void>;
}
export interface MainIpcDeps {
  /** `remote`: the engine on another machine in use, if any (electron/engine-switch.ts). */
  readonly engine: EngineLink & { restart(): Promise<void>; readonly remote?: { readonly url: string } | null };
  /** Uses the engine at `target` (null: the app's own) and loads the page again over it; rejects with why not. */
  readonly connect?: (target: EngineTarget | null) => Promise<void>;
  /** The engines connected to lately. */
  readonly engines?: () => Promise<EngineTarget[]>;
  /** The recovery file in the state folder; main writes it, atomically. */
  readonly recovery?: RecoveryFileLike;
  readonly dialogs: DialogsLike;
  /** Is this the studio's own page (not something it was navigated to)? */
  readonly trusted: (url: string) => boolean;
  /** Sends a run event to the window, if one is open. */
  readonly toPage: (channel: string, payload: RunEvent) => void;
  readonly version: string;
  /** Where an untitled project is proposed to be saved (the user's documents folder). */
  readonly documentsDir?: string;
  /** A project was opened or saved: main updates its recent-files menu. */
  readonly onDocument?: (path: string) => void;
  /** Electron's shell: opens a folder in the file manager ('' when it did, else why not). */
  readonly shell?: { openPath(path: string): Promise<string> };
}

export function registerMainIpc(ipc: IpcMainLike, deps: MainIpcDeps): void {
  deps.engine.onRunEvent((e) => deps.toPage(RUN_EVENT_CHANNEL, e));
  const untrusted = (event: IpcEventLike) => !deps.trusted(event.senderFrame?.url ?? '');
  const remote = () => deps.engine.remote ?? null;
  ipc.handle(CONNECT_CHANNEL, async (event, payload): Promise<Reply> => {
    if (untrusted(event)) return { ok: false, error: 'refused: the call did not come from the studio page' };
    const target = payload === null ? null : engineTargetSchema.safeParse(payload);
    if (target && !target.success) return { ok: false, error: `refused: ${describeIssues(target.error)}` };
    if (!deps.connect) return { ok: false, error: 'this studio cannot connect to other engines' };
    try {
      await deps.connect(target && target.data);
      return { ok: true };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  });
  ipc.handle(ENGINES_CHANNEL, async (event): Promise<Reply> => {
    if (untrusted(event)) return { ok: false, error: 'refused: the call did not come from the studio page' };
    return { ok: true, result: (await deps.engines?.().catch(() => [])) ?? [] };
  });
  ipc.handle(CALL_CHANNEL, async (event, payload): Promise<Reply> => {
    if (untrusted(event)) return { ok: false, error: 'refused: the call did not come from the studio page' };
    try {
      const shape = pageCallSchema.safeParse(payload);
      if (!shape.success) return { ok: false, error: `refused call: ${describeIssues(shape.error)}` };
      const { method, params } = checkParams(shape.data.method, shape.data.params);
      let result: unknown;
      const far = remote();
      if (far && (method === 'chooseProjectPath' || method === 'choosePresetPath')) {
        result = null; // this machine's dialogs cannot name the other machine's files: the page asks
      } else if (far && method === 'info') {
        const reply = await deps.engine.call(method, params);
        if (!reply.ok) return reply;
        result = { ...(checkResult(method, reply.result) as EngineInfo), host: 'electron', nativeDialogs: false, remote: far.url } satisfies EngineInfo;
      } else if (method === 'chooseProjectPath') {
        result = await deps.dialogs.chooseProjectPath(params[0] as 'open' | 'save', params[1] as string | null);
      } else if (method === 'choosePresetPath') {
        result = await deps.dialogs.choosePresetPath();
      } else if (method === 'restartEngine') {
        result = await deps.engine.restart();
      } else if (method === 'saveRecovery' && deps.recovery) {
        result = await deps.recovery.setRecovery(params[0] as RecoveryRecord | null);
      } else if (method === 'loadRecovery' && deps.recovery) {
        result = await deps.recovery.recovery();
      } else if (method === 'openFolder' && deps.shell && !far) {
        // The engine resolves the path and says whether it exists; only main can show it.
        const reply = await deps.engine.call(method, params);
        if (!reply.ok) return reply;
        const info = checkResult(method, reply.result) as FolderInfo;
        const why = info.exists ? await deps.shell.openPath(info.path) : 'it does not exist';
        result = { ...info, opened: why === '' };
      } else if (method === 'info') {
        result = { version: deps.version, host: 'electron', nativeDialogs: true, ...(deps.documentsDir ? { documentsDir: deps.documentsDir } : {}) } satisfies EngineInfo;
      } else {
        const reply = await deps.engine.call(method, params);
        if (!reply.ok) return reply;
        result = reply.result;
        if (!far && (method === 'openProject' || method === 'saveProject') && result && typeof result === 'object' && 'path' in result)
          deps.onDocument?.(String((result as { path: unknown }).path));
      }
      return { ok: true, result: checkResult(method, result) };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  });
}
