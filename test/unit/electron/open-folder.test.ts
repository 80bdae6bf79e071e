// "Open output folder" in Electron: the engine resolves the folder and says whether it
// exists; main opens it with the shell (only main can) and says whether that worked. An
// engine alone (the web host) never claims to have opened anything.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createEngineService } from '../../../core/engine/service';
import type { Reply } from '../../../core/api/schemas';
import { dispatchCall } from '../../../core/api/dispatch';
import { type IpcEventLike, type IpcMainLike, registerMainIpc } from '../../../electron/main-ipc';
import { CALL_CHANNEL } from '../../../electron/messages';

const PAGE = 'file:///app/index.html';
const dir = mkdtempSync(join(tmpdir(), 'mg-open-folder-'));
const service = createEngineService({ stateDir: join(dir, 'state'), demoPath: join(dir, 'demo.mgproj.json'), host: 'test' });

function main(openPath: (p: string) => Promise<string>) {
  let handler: ((e: IpcEventLike, ...a: unknown[]) => Promise<unknown>) | undefined;
  const ipc: IpcMainLike = { handle: (ch, l) => void (ch === CALL_CHANNEL && (handler = l)) };
  registerMainIpc(ipc, {
    engine: { call: (m, p) => dispatchCall(service, m, p), onRunEvent: () => () => undefined, restart: async () => undefined },
    dialogs: { chooseProjectPath: async () => null, choosePresetPath: async () => null },
    trusted: (url) => url === PAGE,
    toPage: () => undefined,
    version: '1',
    shell: { openPath },
  });
  return (params: unknown[]) => handler!({ senderFrame: { url: PAGE } }, { method: 'openFolder', params }) as Promise<Reply>;
}

describe('open output folder', () => {
  it('the engine resolves a relative folder against the project and does not claim to open it', async () => {
    expect(await service.openFolder('.', dir)).toEqual({ path: dir, exists: true, opened: false });
    expect(await service.openFolder('out', dir)).toEqual({ path: join(dir, 'out'), exists: false, opened: false });
  });

  it('Electron main opens an existing folder with the shell, and says when it could not', async () => {
    const openPath = vi.fn(async () => '');
    const call = main(openPath);
    expect(await call(['.', dir])).toEqual({ ok: true, result: { path: dir, exists: true, opened: true } });
    expect(openPath).toHaveBeenCalledWith(dir);
    // A folder that does not exist is not handed to the shell.
    expect(await call(['missing', dir])).toEqual({ ok: true, result: { path: join(dir, 'missing'), exists: false, opened: false } });
    expect(openPath).toHaveBeenCalledTimes(1);
    const failing = main(async () => 'no file manager');
    expect(await failing(['.', dir])).toEqual({ ok: true, result: { path: dir, exists: true, opened: false } });
  });
});
