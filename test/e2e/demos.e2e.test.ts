// The shipped demos as a new user meets them, in Chromium against the web host: the studio
// opens on the translation demo, Run translates its sample faces with the trained modules;
// the Demos menu opens the generation demo, whose Run draws digits; its preset sits in the
// palette. Screenshots go to test-results/e2e/, or to docs/screenshots/ for the README
// with MODULARGAN_DOC_SHOTS=1 (`npm run screenshots`).

import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../core/graph';
import { REPO_ROOT } from '../../web/renderer-build';
import { type StudioSession, openStudio } from '../helpers/studio';

const SHOTS = process.env.MODULARGAN_DOC_SHOTS ? join(REPO_ROOT, 'docs', 'screenshots') : join(REPO_ROOT, 'test-results', 'e2e');
const DEMO = join(REPO_ROOT, 'assets', 'demo', 'demo.mgproj.json');

let studio: StudioSession;
let page: Page;

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
// The test hooks are installed once the studio is ready, which can be after nodes first show.
const project = async () => {
  await page.waitForFunction(() => window.__studio !== undefined);
  return (await page.evaluate(() => window.__studio!.project())) as Project;
};
const previews = (node: string) => page.locator(`[data-testid="node-${node}"] img.preview`);

async function runAndWait(): Promise<void> {
  await page.getByTestId('run').click();
  await expect.poll(() => page.getByTestId('run-status').getAttribute('data-status'), { timeout: 90_000 }).toBe('finished');
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  studio = await openStudio({ demoPath: DEMO, stateDir: mkdtempSync(join(tmpdir(), 'mg-demos-')), viewport: { width: 1500, height: 900 } });
  page = studio.page;
}, 120_000);

afterAll(() => studio?.close());

describe('the shipped demos in Chromium', () => {
  it('opens on the translation demo with trained modules, and Run translates its faces', async () => {
    await page.goto(studio.url);
    await page.getByTestId('node-T_hair').waitFor();
    const p = await project();
    // Every module points at a shipped weights file: nothing here is untrained.
    const modules = p.graph.nodes.filter((n) => ['encoder', 'transformer', 'reconstructor'].includes(n.kind));
    expect(modules.length).toBeGreaterThanOrEqual(3);
    for (const m of modules) expect(m.params.weights, m.id).toMatch(/\.mgw$/);
    expect(await page.getByTestId('validity').textContent()).toContain('valid');
    await runAndWait();
    expect(await previews('out').count()).toBeGreaterThan(0);
    await shot('demo-translation');
  }, 120_000);

  it('opens the generation demo from the Demos menu, and Run draws digits', async () => {
    await page.getByTestId('open-demo').selectOption('generation');
    await page.getByTestId('node-G').waitFor();
    expect((await project()).name).toMatch(/generation/i);
    await runAndWait();
    expect(await previews('out').count()).toBeGreaterThan(0);
    await shot('demo-generation');
  }, 120_000);

  it('shows the generation demo\'s training graph and dataset once it is saved', async () => {
    await page.getByTestId('save').click();
    await page.getByTestId('path-input').fill(join(mkdtempSync(join(tmpdir(), 'mg-demo-save-')), 'generation.mgproj.json'));
    await page.getByTestId('path-ok').click();
    await page.getByTestId('dirty').waitFor({ state: 'detached' });
    await page.getByTestId('tab-training').click();
    for (const id of ['G', 'T_color', 'T_style', 'T_background', 'R', 'D_G', 'D_T_color']) await page.getByTestId(`node-${id}`).waitFor();
    await page.getByTestId('dataset-preview').click();
    await page.locator('[data-testid="dataset-preview-items"] img').first().waitFor({ timeout: 30_000 });
    await shot('training-view');
    await page.getByTestId('tab-editor').click();
  }, 60_000);

  it('lists both demos as presets in the palette', async () => {
    const palette = page.locator('aside.palette');
    await expect.poll(() => palette.textContent()).toContain('ColorMNIST generation');
    expect(await palette.textContent()).toContain('Face translation');
  });
});
