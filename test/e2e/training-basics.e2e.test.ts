// The Training tab's basics, in Chromium against the web host: the run's settings edited
// and checked against the project format's ranges, then saved; a sample grid before any
// training (Sample now), one at iteration 0 of a run, and one from the running training on
// request; the training graph fitted to its panel and readable, with nothing over it, at
// 1600×1000 and 1024×700. Screenshots go to test-results/e2e/.

import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../core/graph';
import { REPO_ROOT } from '../../web/renderer-build';
import { type StudioSession, openStudio } from '../helpers/studio';
import { tinyProject } from '../helpers/training';

const SHOTS = join(REPO_ROOT, 'test-results', 'e2e');
const DEMO = join(REPO_ROOT, 'test', 'fixtures', 'demo', 'demo.mgproj.json');

let studio: StudioSession;
let page: Page;
// Samples only at iteration 0 and at the end: any other grid seen came from Sample now.
const file = tinyProject((p) => Object.assign(p.training as Record<string, unknown>, { backend: 'wasm', iterations: 2000, sampleEvery: 1000, checkpointEvery: 1000 }), 'basics');

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `training-basics-${name}.png`) });
const project = () => page.evaluate(() => window.__studio!.project()) as Promise<Project>;

/** Every training graph node inside the canvas, the on-screen size of the smallest title, and what covers the graph. */
async function graphView() {
  return page.evaluate(() => {
    const canvas = document.querySelector('[data-testid="training-graph"] [data-testid="canvas"]')!.getBoundingClientRect();
    const nodes = [...document.querySelectorAll('[data-testid="training-graph"] .module-node')];
    const zoom = Number(/scale\(([\d.]+)\)/.exec((document.querySelector('[data-testid="training-graph"] .react-flow__viewport') as HTMLElement).style.transform)?.[1] ?? 1);
    const outside = nodes.filter((n) => {
      const b = n.getBoundingClientRect();
      return b.left < canvas.left - 1 || b.top < canvas.top - 1 || b.right > canvas.right + 1 || b.bottom > canvas.bottom + 1;
    }).length;
    const title = Math.min(...nodes.map((n) => parseFloat(getComputedStyle(n.querySelector('.node-title')!).fontSize) * zoom));
    const covers = [...document.querySelectorAll('[data-testid="training-graph"] .react-flow__minimap, [data-testid="training-graph"] .react-flow__controls')].filter((o) => {
      const a = o.getBoundingClientRect();
      return nodes.some((n) => {
        const b = n.getBoundingClientRect();
        return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      });
    }).length;
    return { nodes: nodes.length, outside, title, covers };
  });
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  studio = await openStudio({ demoPath: DEMO, stateDir: join(dirname(file), 'state'), viewport: { width: 1600, height: 1000 } });
  page = studio.page;
  await page.goto(studio.url);
  await page.getByTestId('node-E').waitFor();
  await page.evaluate((f) => window.__studio!.controller.open(f), file);
  await page.getByTestId('node-T_color').waitFor();
  await page.getByTestId('tab-training').click();
  await page.getByTestId('node-D_T_color').waitFor();
}, 120_000);

afterAll(() => studio?.close());

describe('training settings', () => {
  it('shows the project’s values; refuses values outside the format’s ranges, with the reason; saves valid ones', async () => {
    expect(await page.getByTestId('training-iterations').inputValue()).toBe('2000');
    expect(await page.getByTestId('training-learningRate').inputValue()).toBe('0.001');
    const batch = page.getByTestId('training-batchSize');
    await batch.fill('0');
    expect(await page.getByTestId('training-batchSize-problem').textContent()).toBe('Batch size must be a whole number from 1 to 1,024, not 0 (not saved)');
    expect((await project()).training!.batchSize).toBe(4);
    await batch.fill('2048');
    expect(await page.getByTestId('training-batchSize-problem').textContent()).toMatch(/from 1 to 1,024, not 2048/);
    await batch.fill('2');
    expect(await page.getByTestId('training-batchSize-problem').count()).toBe(0);
    expect((await project()).training!.batchSize).toBe(2);
    const lr = page.getByTestId('training-learningRate');
    await lr.fill('0');
    expect(await page.getByTestId('training-learningRate-problem').textContent()).toMatch(/Learning rate must be a number above 0 and at most 1/);
    await lr.fill('0.0005');
    await page.getByTestId('training-nCritic').fill('3');
    await page.getByTestId('training-nCritic').blur();
    expect((await project()).training).toMatchObject({ learningRate: 0.0005, nCritic: 3 });
    await shot('1-settings');
    // One undo step per field: Ctrl+Z takes n_critic back alone.
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+z');
    expect((await project()).training).toMatchObject({ learningRate: 0.0005, nCritic: 2, batchSize: 2 });
    await page.keyboard.press('Control+s');
    await expect.poll(() => (JSON.parse(readFileSync(file, 'utf8')) as Project).training!.batchSize, { timeout: 10_000 }).toBe(2);
    expect((JSON.parse(readFileSync(file, 'utf8')) as Project).training!.learningRate).toBe(0.0005);
  });
});

describe('samples in the first minute', () => {
  it('Sample now before any training shows what the untrained model makes', async () => {
    await page.getByTestId('sample-now').click();
    const grid = page.getByTestId('sample-grid');
    await grid.waitFor({ timeout: 30_000 }).catch(async (e) => {
      throw new Error(`${(e as Error).message}; message: ${await page.getByTestId('train-message').textContent().catch(() => '')}`);
    });
    expect(await grid.getAttribute('data-iteration')).toBe('0');
    expect(await page.getByTestId('sample-source').textContent()).toMatch(/untrained model at iteration 0/);
    expect(await grid.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(32);
  });

  it('a run shows a grid at iteration 0, and Sample now gives one of the running training', async () => {
    await page.evaluate(() => window.__studio!.training!.store.set({ sample: null }));
    await page.getByTestId('train-start').click();
    await expect.poll(() => page.getByTestId('sample-grid').getAttribute('data-iteration'), { timeout: 60_000 }).toBe('0');
    expect(await page.getByTestId('sample-source').textContent()).toMatch(/running training/);
    // Wait for some iterations, then ask: the grid is of the training as it is now.
    await expect.poll(async () => Number((await page.getByTestId('train-iteration').textContent())!.split('/')[0]), { timeout: 60_000 }).toBeGreaterThan(3);
    await page.getByTestId('sample-now').click();
    await expect.poll(async () => Number(await page.getByTestId('sample-grid').getAttribute('data-iteration')), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await page.getByTestId('sample-source').textContent()).toMatch(/running training/);
    await shot('2-sample-now');
    await page.getByTestId('train-stop').click();
    await expect.poll(() => page.getByTestId('train-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('stopped');
    // The iteration-0 grid is in the run folder like every other.
    expect(readFileSync(join(dirname(file), 'basics.train', 'samples', 'iter-000000.png')).length).toBeGreaterThan(100);
    // Stopped: Sample now reads the checkpoint the stop wrote.
    await page.getByTestId('sample-now').click();
    await expect.poll(() => page.getByTestId('sample-source').textContent(), { timeout: 30_000 }).toMatch(/latest checkpoint/);
  });
});

describe('the training graph in its panel', () => {
  it('fits and stays readable at 1600×1000, with nothing over it', async () => {
    const v = await graphView();
    expect(v.nodes).toBeGreaterThan(15);
    expect(v).toMatchObject({ outside: 0, covers: 0 });
    expect(v.title).toBeGreaterThanOrEqual(10);
    await shot('3-graph-1600');
  });

  it('still fits, refitted, at 1024×700', async () => {
    await page.setViewportSize({ width: 1024, height: 700 });
    await expect.poll(async () => (await graphView()).outside, { timeout: 5000 }).toBe(0);
    const v = await graphView();
    expect(v.covers).toBe(0);
    expect(v.title).toBeGreaterThanOrEqual(7);
    await shot('4-graph-1024');
    await page.setViewportSize({ width: 1600, height: 1000 });
  });
});
