// The Training tab with the PyTorch engine, in Chromium against the web host: the engine
// picker offers PyTorch (found on this machine), with its processes; a run started with it
// draws its loss curves and shows its sample grids and checkpoints as the built-in trainer's
// does; its Pause is disabled, saying why. Skipped, with the reason, where no Python here
// imports torch. Screenshots go to test-results/e2e/.

import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../web/renderer-build';
import { type StudioSession, openStudio } from '../helpers/studio';
import { readLog } from '../helpers/training';
import { tinyTorchProject, torchForTests } from '../helpers/torch-training';

const SHOTS = join(REPO_ROOT, 'test-results', 'e2e');
const DEMO = join(REPO_ROOT, 'test', 'fixtures', 'demo', 'demo.mgproj.json');
// One thread per PyTorch process: vitest runs other files beside this one on two cores.
process.env.OMP_NUM_THREADS ??= '1';
const torch = torchForTests();

describe.skipIf(!torch.python)(`the Training tab with PyTorch${torch.python ? '' : ` — skipped: ${torch.why}`}`, () => {
  let studio: StudioSession;
  let page: Page;
  let file: string;
  const points = async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
  const status = () => page.getByTestId('train-status').getAttribute('data-status');

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    file = await tinyTorchProject({ iterations: 6 }, 'torch-view');
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

  it('picks PyTorch, trains with it, and shows its curves, a sample grid and checkpoints; Pause says why it is off', async () => {
    const torchOption = page.getByTestId('train-engine-torch');
    await expect.poll(() => torchOption.isDisabled(), { timeout: 30_000 }).toBe(false);
    expect(await torchOption.getAttribute('title')).toContain(torch.python);
    await page.getByTestId('train-engine').selectOption('torch');
    await page.getByTestId('train-nproc').waitFor();
    expect(await page.getByTestId('train-nproc').inputValue()).toBe('1');

    await page.getByTestId('train-start').click();
    await expect.poll(status, { timeout: 10_000 }).toBe('running');
    const pause = page.getByTestId('train-pause');
    expect(await pause.isDisabled()).toBe(true);
    expect(await pause.getAttribute('title')).toMatch(/PyTorch run trains in a process of its own/);

    await expect.poll(status, { timeout: 45_000 }).toBe('done');
    expect(await points()).toBe(6);
    expect(await page.locator('[data-testid="loss-chart"] canvas').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('train-iteration').textContent()).toBe('6/6 it');
    expect(await page.getByTestId('sample-grid').getAttribute('data-iteration')).toBe('6');
    await page.getByTestId('checkpoint-iter-000006').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('train-notes').textContent()).toMatch(/engine: PyTorch .* on cpu, 1 process/);
    expect(readLog(join(dirname(file), 'torch-view.train', 'log.jsonl')).map((l) => l.iteration)).toEqual([0, 1, 2, 3, 4, 5]);
    await page.screenshot({ path: join(SHOTS, 'torch-training-done.png') });
  }, 60_000);
});
