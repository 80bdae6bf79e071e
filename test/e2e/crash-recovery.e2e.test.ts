// Breaking things on purpose, in Debian's Chromium against the web host with its engine in
// a child process (as `npm run web` runs it):
// - the engine is killed with SIGKILL while a graph is being edited: the page stays, says
//   which process died and how, Restart brings a fresh engine, the graph and its undo
//   history are unchanged, and Run works again;
// - the browser is killed with SIGKILL with unsaved edits: a fresh browser is offered the
//   work back, and restoring it gives the same graph.
// Screenshots go to test-results/e2e/.

import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SupervisedEngine } from '../../core/engine/engine-process';
import type { Project } from '../../core/graph';
import { startEngineProcess } from '../../web/engine';
import { type WebHost, startWebHost } from '../../web/host';
import { REPO_ROOT, ensureRendererBuilt } from '../../web/renderer-build';
import { launchChromium, launchKillableChromium } from '../helpers/browser';

const SHOTS = join(REPO_ROOT, 'test-results', 'e2e');
const DEMO = join(REPO_ROOT, 'test', 'fixtures', 'demo', 'demo.mgproj.json');
const work = mkdtempSync(join(tmpdir(), 'modulargan-crash-e2e-'));
const stateDir = join(work, 'state');

let engine: SupervisedEngine;
let host: WebHost;
const browsers: BrowserContext[] = [];

const project = (page: Page) => page.evaluate(() => window.__studio!.project()) as Promise<Project>;
const nodeIds = async (page: Page) => (await project(page)).graph.nodes.map((n) => n.id);
async function openStudio(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(`${host.url}&test=1`);
  await page.getByTestId('node-E').waitFor();
  return page;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const staticDir = await ensureRendererBuilt();
  engine = startEngineProcess({ stateDir, demoPath: DEMO, log: () => undefined });
  host = await startWebHost({ engine, stateDir, staticDir });
}, 120_000);

afterAll(async () => {
  for (const b of browsers) await b.close().catch(() => undefined);
  await host?.close();
  await engine?.close();
});

describe('crashes in the studio', () => {
  it('survives the engine being killed: message, Restart, same graph, Run works', async () => {
    const context = await launchChromium();
    browsers.push(context);
    const page = await openStudio(context);
    await page.getByTestId('palette-noise-input').dblclick();
    await expect.poll(() => nodeIds(page)).toContain('noise-input1');
    const before = await project(page);

    const pid = engine.pid!;
    process.kill(pid, 'SIGKILL');
    const banner = page.getByTestId('engine-exited');
    await banner.waitFor({ timeout: 30_000 });
    expect(await banner.textContent()).toMatch(new RegExp(`engine process \\(pid ${pid}\\) stopped: killed by SIGKILL`));
    await page.screenshot({ path: join(SHOTS, '20-engine-killed.png') });
    expect(await project(page)).toEqual(before);

    await page.getByTestId('restart-engine').click();
    await banner.waitFor({ state: 'detached', timeout: 30_000 });
    expect(engine.pid).not.toBe(pid);
    expect(await project(page)).toEqual(before);
    expect(await page.getByTestId('dirty').isVisible()).toBe(true);

    await page.getByTestId('run').click();
    await expect.poll(() => page.getByTestId('run-status').getAttribute('data-status'), { timeout: 90_000 }).toBe('finished');
    expect(await page.locator('[data-testid="node-out"] img.preview').count()).toBe(4);
    await page.screenshot({ path: join(SHOTS, '21-engine-restarted-run.png') });

    // The undo history came through too: the added node goes, and comes back.
    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    await page.keyboard.press('Control+z');
    expect(await nodeIds(page)).not.toContain('noise-input1');
    await page.keyboard.press('Control+y');
    expect(await project(page)).toEqual(before);
  }, 180_000);

  it('offers unsaved work back after the browser is killed', async () => {
    const first = await launchKillableChromium();
    const page = await openStudio(first.context);
    await page.getByTestId('palette-transformer').dblclick();
    await expect.poll(() => nodeIds(page)).toContain('T1');
    const edited = await project(page);
    // The autosave reaches the recovery file within its period (two seconds).
    const saved = () => {
      try {
        return (JSON.parse(readFileSync(join(stateDir, 'recovery.json'), 'utf8')) as { project: Project }).project.graph;
      } catch {
        return null;
      }
    };
    await expect.poll(saved, { timeout: 10_000 }).toEqual(edited.graph);
    await first.kill();

    const context = await launchChromium();
    browsers.push(context);
    const again = await openStudio(context);
    await again.getByTestId('recovery').waitFor();
    await again.screenshot({ path: join(SHOTS, '22-recovery-offered.png') });
    await again.getByTestId('recover').click();
    const recovered = await project(again);
    expect(recovered.graph).toEqual(edited.graph);
    expect(recovered.layout).toEqual(edited.layout);
    expect(await again.getByTestId('dirty').isVisible()).toBe(true);
  }, 120_000);
});
