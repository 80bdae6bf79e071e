// Main's handler for the page's calls: only from the app's own page, each payload checked
// against the API's schemas; file dialogs are answered here (they need a window), and so are
// the autosave's recovery file (so unsaved work is still kept while the engine is down) and
// restarting the engine; the rest goes to the engine process. Run events go back to the
// page after their own check.

import type { EngineLink } from '../core/engine/engine-process';
import { type Reply, checkParams, checkResult, describeIssues } from '../core/api/schemas';
import type { EngineInfo, FolderInfo, RecoveryRecord, RunEvent } from '../core/api/types';
import { CALL_CHANNEL, RUN_EVENT_CHANNEL, pageCallSchema } from './messages';

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
  readonly engine: EngineLink & { restart(): Promise<void> };
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
  ipc.handle(CALL_CHANNEL, async (event, payload): Promise<Reply> => {
    const url = event.senderFrame?.url ?? '';
    if (!deps.trusted(url)) return { ok: false, error: 'refused: the call did not come from the studio page' };
    try {
      const shape = pageCallSchema.safeParse(payload);
      if (!shape.success) return { ok: false, error: `refused call: ${describeIssues(shape.error)}` };
      const { method, params } = checkParams(shape.data.method, shape.data.params);
      let result: unknown;
      if (method === 'chooseProjectPath') {
        result = await deps.dialogs.chooseProjectPath(params[0] as 'open' | 'save', params[1] as string | null);
      } else if (method === 'choosePresetPath') {
        result = await deps.dialogs.choosePresetPath();
      } else if (method === 'restartEngine') {
        result = await deps.engine.restart();
      } else if (method === 'saveRecovery' && deps.recovery) {
        result = await deps.recovery.setRecovery(params[0] as RecoveryRecord | null);
      } else if (method === 'loadRecovery' && deps.recovery) {
        result = await deps.recovery.recovery();
      } else if (method === 'openFolder' && deps.shell) {
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
        if ((method === 'openProject' || method === 'saveProject') && result && typeof result === 'object' && 'path' in result)
          deps.onDocument?.(String((result as { path: unknown }).path));
      }
      return { ok: true, result: checkResult(method, result) };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  });
}
