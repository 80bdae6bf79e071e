// Debian's Chromium driven by playwright-core, for the browser tests and the editor bench.
// CI installs it (.ci/run); without it the tests fail with this message rather than skip.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function checkInstalled(): void {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium is not installed at ${CHROMIUM}: run "apt-get install -y --no-install-recommends chromium" (CI's .ci/run does), or set CHROMIUM_PATH`);
}

/**
 * A fresh browser profile each time, so no state leaks between runs. `ignoreHTTPSErrors`:
 * accept a test's self-signed certificate (as a user who checked its fingerprint would).
 */
export async function launchChromium(viewport = { width: 1400, height: 860 }, opts: { ignoreHTTPSErrors?: boolean } = {}): Promise<BrowserContext> {
  checkInstalled();
  const profile = mkdtempSync(join(tmpdir(), 'modulargan-chromium-'));
  return chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport, headless: true, ...opts });
}

/**
 * Chromium started by the test itself, so the test can kill it outright (SIGKILL to its
 * process group), as a crash or a killed app would end it: no unload handlers run.
 */
export async function launchKillableChromium(): Promise<{ context: BrowserContext; kill(): Promise<void> }> {
  checkInstalled();
  const profile = mkdtempSync(join(tmpdir(), 'modulargan-chromium-'));
  const args = [...CHROMIUM_ARGS, `--user-data-dir=${profile}`, '--remote-debugging-port=0', '--window-size=1400,860', 'about:blank'];
  const proc = spawn(CHROMIUM, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  const endpoint = await new Promise<string>((ok, fail) => {
    let text = '';
    proc.stderr.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (m) ok(m[1]!);
    });
    proc.once('exit', (code) => fail(new Error(`Chromium exited (${code}) before it listened: ${text}`)));
  });
  const browser = await chromium.connectOverCDP(endpoint);
  return {
    context: browser.contexts()[0]!,
    async kill() {
      const gone = once(proc, 'exit');
      process.kill(-proc.pid!, 'SIGKILL');
      await gone;
    },
  };
}
