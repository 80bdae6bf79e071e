// The studio as the browser tests meet it: an engine service, the web host serving the built
// page, and a Chromium page (not yet navigated). One call sets all of it up, one closes it.

import type { BrowserContext, Page } from 'playwright-core';
import { type EngineService, createEngineService } from '../../core/engine/service';
import { type WebHost, startWebHost } from '../../web/host';
import { ensureRendererBuilt } from '../../web/renderer-build';
import { launchChromium } from './browser';

export interface StudioSession {
  readonly service: EngineService;
  readonly host: WebHost;
  readonly browser: BrowserContext;
  readonly page: Page;
  /** The studio's address with the test hooks on. */
  readonly url: string;
  close(): Promise<void>;
}

export async function openStudio(opts: { demoPath: string; stateDir: string; viewport?: { width: number; height: number } }): Promise<StudioSession> {
  const staticDir = await ensureRendererBuilt();
  const service = createEngineService({ stateDir: opts.stateDir, demoPath: opts.demoPath, host: 'web' });
  const host = await startWebHost({ service, staticDir });
  const browser = await launchChromium(opts.viewport);
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  return {
    service,
    host,
    browser,
    page,
    url: `${host.url}&test=1`,
    async close() {
      await browser.close();
      await service.close();
      await host.close();
    },
  };
}
