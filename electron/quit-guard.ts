// Quitting while a training runs: main holds the quit back once, asks the engine to stop
// every training (each writes a checkpoint), then quits for real. A stuck engine does not
// keep the app open: after `timeoutMs` it quits anyway.

export interface QuitEventLike {
  preventDefault(): void;
}
export interface QuitAppLike {
  on(event: 'before-quit', listener: (e: QuitEventLike) => void): void;
  quit(): void;
}

export function installQuitGuard(app: QuitAppLike, stopTraining: () => Promise<unknown>, timeoutMs = 60_000, log: (line: string) => void = console.error): void {
  let state: 'open' | 'stopping' | 'done' = 'open';
  app.on('before-quit', (e) => {
    if (state === 'done') return;
    e.preventDefault();
    if (state === 'stopping') return;
    state = 'stopping';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((ok) => {
      timer = setTimeout(() => {
        log('quit: the engine did not stop training in time');
        ok();
      }, timeoutMs);
    });
    const stopped = stopTraining().then(
      () => undefined,
      (err: Error) => log(`quit: stopping training failed: ${err.message}`),
    );
    void Promise.race([stopped, timeout]).then(() => {
      clearTimeout(timer);
      state = 'done';
      app.quit();
    });
  });
}
