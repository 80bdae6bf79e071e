// The Training view end to end, in Chromium against the web host: a tiny 32 px ColorMNIST
// project; its training graph with a loss weight edited; a dataset preview; start, see loss
// curve points and a sample grid appear, pause (no new points), resume, stop; the checkpoint
// is listed, loads into the editor's graph, and that graph runs and shows previews. Then the
// training graph is edited like any graph: a transformer added from its palette is validated
// (a misfit one is marked in red and removed with Delete), and the saved project holds it.
// Screenshots of each state go to test-results/e2e/.

import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../core/graph';
import { REPO_ROOT } from '../../web/renderer-build';
import { type StudioSession, openStudio } from '../helpers/studio';
import { asRunnable, readLog, tinyProject } from '../helpers/training';

const SHOTS = join(REPO_ROOT, 'test-results', 'e2e');
const DEMO = join(REPO_ROOT, 'test', 'fixtures', 'demo', 'demo.mgproj.json');

type Json = Record<string, unknown>;
/** The tiny project, made runnable in the editor too: inputs for G and the transformers, an output. */
function runnable(p: Json): void {
  // A small monitor (a tiny classifier, 8 items) so the measured chart shows too.
  const monitor = { every: 6, images: 8, seed: 0, classifierIterations: 4, classifierWidth: 2 };
  Object.assign(p.training as Json, { backend: 'wasm', iterations: 400, decayFrom: 200, sampleEvery: 2, checkpointEvery: 4, monitor });
  asRunnable(p);
}

let studio: StudioSession;
let page: Page;
const file = tinyProject(runnable, 'train-view');

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const project = () => page.evaluate(() => window.__studio!.project()) as Promise<Project>;
const points = async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
const status = () => page.getByTestId('train-status').getAttribute('data-status');

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  studio = await openStudio({ demoPath: DEMO, stateDir: join(dirname(file), 'state'), viewport: { width: 1600, height: 1000 } });
  page = studio.page;
}, 120_000);

afterAll(() => studio?.close());

describe('the Training view in Chromium', () => {
  it('shows the training graph of the project, valid, with editable loss weights', async () => {
    await page.goto(studio.url);
    await page.getByTestId('node-E').waitFor();
    await page.evaluate((f) => window.__studio!.controller.open(f), file);
    await page.getByTestId('node-T_color').waitFor();
    await page.getByTestId('tab-training').click();
    await page.getByTestId('node-D_T_color').waitFor();
    for (const id of ['data', 'G', 'T_color', 'T_background', 'R', 'D_G', 'adv_T_color', 'cls_T_background']) await page.getByTestId(`node-${id}`).waitFor();
    // Edit λ_cls on one classification node: it goes into the project's training section.
    await page.getByTestId('node-cls_T_color').click();
    const weight = page.getByTestId('inspector').locator('input[type="number"]').first();
    await weight.fill('2');
    await weight.blur();
    await expect.poll(async () => (await project()).training?.lambdaCls).toBe(2);
    await shot('training-1-graph');
  });

  it('previews the dataset with labels', async () => {
    await page.getByTestId('dataset-preview').click();
    await page.locator('[data-testid="dataset-preview-items"] img').first().waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('dataset-preview-items').textContent()).toMatch(/digit: \d, color: \w+/);
  });

  it('starts training; curve points and a sample grid appear', async () => {
    await page.getByTestId('train-start').click();
    await expect.poll(points, { timeout: 60_000 }).toBeGreaterThanOrEqual(4);
    await page.getByTestId('sample-grid').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid="loss-chart"] canvas').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('train-lr').textContent()).toMatch(/lr 1\.00e-3/);
    expect(await page.getByTestId('train-stats').textContent()).toMatch(/it\/s/);
    // The monitor's values in a chart of their own: FID on a right-hand axis, the fractions on the left.
    const measured = page.getByTestId('measured-chart');
    await measured.waitFor({ timeout: 60_000 });
    expect(await measured.getAttribute('data-right-axes')).toBe('FID');
    expect(await measured.locator('canvas').count()).toBeGreaterThan(0);
    await shot('training-2-running');
  });

  it('pauses (no new points), resumes, and stops with a checkpoint', async () => {
    await page.getByTestId('train-pause').click();
    await expect.poll(status, { timeout: 30_000 }).toBe('paused');
    const at = await points();
    await page.waitForTimeout(600);
    expect(await points()).toBe(at);
    await shot('training-3-paused');
    await page.getByTestId('train-resume').click();
    await expect.poll(points, { timeout: 30_000 }).toBeGreaterThan(at + 1);
    await page.getByTestId('train-stop').click();
    await expect.poll(status, { timeout: 60_000 }).toBe('stopped');
    const stoppedAt = Number((await page.getByTestId('train-iteration').textContent())!.split('/')[0]);
    const id = `iter-${String(stoppedAt).padStart(6, '0')}`;
    await page.getByTestId(`checkpoint-${id}`).waitFor({ timeout: 30_000 });
    // The same JSONL log as the command line, one line per iteration done.
    const log = readLog(join(dirname(file), 'train-view.train', 'log.jsonl'));
    expect(log.length).toBe(stoppedAt);
    expect(readFileSync(join(dirname(file), 'train-view.mgproj.json'), 'utf8')).toContain('"lambdaCls": 2');
    await shot('training-4-stopped');
  });

  it('loads the checkpoint into the editor graph, which runs and shows previews', async () => {
    const first = page.locator('[data-testid^="load-iter-"]').first();
    await first.click();
    await page.getByTestId('node-out').waitFor();
    const weights = (await project()).graph.nodes.filter((n) => typeof n.params.weights === 'string').map((n) => n.params.weights as string);
    expect(weights).toHaveLength(4);
    expect(weights.every((w) => /train-view\.train[\\/]checkpoints[\\/]iter-\d+[\\/]\w+\.mgw$/.test(w))).toBe(true);
    // The fixture has no layout: arrange it, and fit it into view (off-screen nodes are not drawn).
    await page.getByTestId('layout').click();
    await page.locator('.react-flow__controls-fitview').click();
    await page.getByTestId('run').click();
    await page.locator('[data-testid="node-out"] img.preview').first().waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('run-status').getAttribute('data-status'), { timeout: 30_000 }).toBe('finished');
    await shot('training-5-checkpoint-in-editor');
  });

  it('adds a transformer in the training graph: validated, removed, added again, saved into the project', async () => {
    await page.getByTestId('tab-training').click();
    await page.getByTestId('node-D_T_color').waitFor();
    // The generic transformer (hair, 64 channels) fits neither this dataset nor this chain.
    await page.getByTestId('palette-transformer').dblclick();
    await page.getByTestId('node-T1').waitFor();
    await expect.poll(() => page.getByTestId('node-T1').getAttribute('class')).toMatch(/invalid/);
    expect(await page.getByTestId('node-T1').textContent()).toMatch(/the dataset has no attribute 'hair'/);
    expect(await page.getByTestId('training-validity').textContent()).toMatch(/problem/);
    expect((await project()).graph.nodes.some((n) => n.id === 'T1')).toBe(true);
    await shot('training-6-misfit-transformer');
    // Delete takes it out of the project, with the D and loss terms made for it.
    await page.getByTestId('node-T1').locator('.node-header').click();
    await page.keyboard.press('Delete');
    await expect.poll(async () => (await project()).graph.nodes.some((n) => n.id === 'T1')).toBe(false);
    expect(await page.getByTestId('node-D_T1').count()).toBe(0);
    // The ready-made transformer for the dataset's free attribute: valid, with its D and losses.
    await page.getByTestId('palette-attr-style').dblclick();
    await page.getByTestId('node-D_T_style').waitFor();
    await expect.poll(() => page.getByTestId('training-validity').textContent()).toMatch(/valid/);
    expect(await page.getByTestId('node-T_style').getAttribute('class')).not.toMatch(/invalid/);
    await shot('training-7-added-transformer');
    await page.keyboard.press('Control+s');
    await expect.poll(() => readFileSync(file, 'utf8'), { timeout: 10_000 }).toContain('"T_style"');
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Project;
    expect(saved.graph.edges.find((e) => e.to.node === 'R' && e.to.port === 'feature')!.from.node).toBe('T_style');
    expect(saved.graph.nodes.find((n) => n.id === 'T_style')!.params.attributes).toEqual([{ name: 'style', kind: 'onehot', values: ['flat', 'stroke'] }]);
  });
});
