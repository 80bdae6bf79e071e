// Quitting Electron while training: main holds the quit, the engine stops training (writing
// a checkpoint), then the app quits; a stuck engine cannot keep the app open.
import { describe, expect, it, vi } from 'vitest';
import { type QuitAppLike, type QuitEventLike, installQuitGuard } from '../../../electron/quit-guard';

function fakeApp() {
  let listener: ((e: QuitEventLike) => void) | undefined;
  const app = {
    prevented: 0,
    quits: 0,
    on: (_: 'before-quit', l: (e: QuitEventLike) => void) => void (listener = l),
    quit() {
      app.quits++;
      // Electron emits before-quit again on the real quit.
      app.fire();
    },
    fire() {
      listener!({ preventDefault: () => void app.prevented++ });
    },
  };
  return app satisfies QuitAppLike & { fire(): void };
}

describe('installQuitGuard', () => {
  it('stops training before the app quits, once', async () => {
    const app = fakeApp();
    let release!: () => void;
    const stop = vi.fn(() => new Promise<void>((ok) => (release = ok)));
    installQuitGuard(app, stop);
    app.fire();
    app.fire(); // a second Cmd+Q while stopping
    expect(stop).toHaveBeenCalledTimes(1);
    expect(app.prevented).toBe(2);
    expect(app.quits).toBe(0);
    release();
    await vi.waitFor(() => expect(app.quits).toBe(1));
    expect(app.prevented).toBe(2); // the real quit went through
  });

  it('quits anyway when the engine fails or does not answer', async () => {
    const failing = fakeApp();
    const logs: string[] = [];
    installQuitGuard(failing, () => Promise.reject(new Error('engine gone')), 60_000, (l) => logs.push(l));
    failing.fire();
    await vi.waitFor(() => expect(failing.quits).toBe(1));
    expect(logs[0]).toMatch(/engine gone/);
    const stuck = fakeApp();
    installQuitGuard(stuck, () => new Promise(() => {}), 20, (l) => logs.push(l));
    stuck.fire();
    await vi.waitFor(() => expect(stuck.quits).toBe(1));
    expect(logs[1]).toMatch(/did not stop training in time/);
  });
});
