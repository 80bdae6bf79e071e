import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../core/api';
import { startEngineProcess } from '../../../web/engine';

// The web host's engine in a real child process: killed with SIGKILL it is reported with its
// pid and signal, calls fail with that message instead of hanging, and a restart gives a
// fresh process that answers (restarts without asking: test/integration/engine-auto-restart.test.ts).

const state = mkdtempSync(join(tmpdir(), 'modulargan-engine-child-'));
const engine = startEngineProcess({ stateDir: state, demoPath: join(import.meta.dirname, '../../../test/fixtures/demo/demo.mgproj.json'), log: () => undefined, autoRestart: false });
afterAll(() => engine.close());

describe('the web host engine process', () => {
  it('dies by SIGKILL, is reported, and restarts', async () => {
    expect(await engine.call('listRecent', [])).toEqual({ ok: true, result: [] });
    const events: RunEvent[] = [];
    engine.onRunEvent((e) => events.push(e));
    const pid = engine.pid!;
    expect(pid).not.toBe(process.pid);

    process.kill(pid, 'SIGKILL');
    await expect.poll(() => engine.exited).not.toBeNull();
    expect(engine.exited).toMatchObject({ process: `engine process (pid ${pid})`, code: null, signal: 'SIGKILL', running: [] });
    expect(events).toEqual([{ type: 'engine-exited', ...engine.exited }]);
    expect(await engine.call('listRecent', [])).toEqual({ ok: false, error: engine.exited!.message });

    await engine.restart();
    expect(engine.pid).not.toBe(pid);
    expect(await engine.call('openDemo', [])).toMatchObject({ ok: true, result: { project: { name: 'Demo: hair translation' } } });
    expect(events.at(-1)).toEqual({ type: 'engine-restarted' });
  }, 60_000);
});
