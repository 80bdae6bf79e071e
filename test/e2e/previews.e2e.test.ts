// Previews worth looking at and honest outputs, in Chromium against the web host, on the
// shipped translation demo (trained modules): every item previewed, the input beside the
// output at full resolution, a mask in colour with its scale, the output folder's path (a
// page cannot open it); no "untrained" badge on trained modules, one on a new module; a
// warning on the node when trained modules run at another size or on images unlike their
// training set (digits given to the faces encoder). Screenshots go to test-results/e2e/.

import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetRefInfo } from '../../core/api/types';
import { encodePng } from '../../core/data/images';
import { openDataset } from '../../core/data/open';
import { REPO_ROOT } from '../../web/renderer-build';
import { type StudioSession, openStudio } from '../helpers/studio';

const SHOTS = join(REPO_ROOT, 'test-results', 'e2e');
const DEMO = join(REPO_ROOT, 'assets', 'demo', 'demo.mgproj.json');

let studio: StudioSession;
let page: Page;
const work = mkdtempSync(join(tmpdir(), 'modulargan-previews-'));
const digits = join(work, 'digits');

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `previews-${name}.png`) });
const run = async () => {
  await page.getByTestId('run').click();
  await expect.poll(() => page.getByTestId('run-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('finished');
};
const setParam = (node: string, key: string, value: unknown) => page.evaluate(([n, k, v]) => window.__studio!.store.setParam(n as string, k as string, v), [node, key, value] as const);

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // Six ColorMNIST digits as PNG files: images nothing like the faces the demo was trained on.
  mkdirSync(digits);
  const ds = await openDataset({ id: 'm', source: 'colormnist', imageSize: 32 } as DatasetRefInfo, '.');
  for (let i = 0; i < 6; i++) await encodePng((await ds.load(ds.test[i]!)).image, 32, 32, 3).then((png) => import('node:fs/promises').then((fs) => fs.writeFile(join(digits, `digit-${i}.png`), png)));
  studio = await openStudio({ demoPath: DEMO, stateDir: join(work, 'state'), viewport: { width: 1600, height: 1000 } });
  page = studio.page;
  await page.goto(studio.url);
  await page.getByTestId('node-E').waitFor();
}, 120_000);

afterAll(() => studio?.close());

describe('previews', () => {
  it('shows every item, inputs too, with no warning on the demo as shipped', async () => {
    await run();
    // All six faces, not the first four; the image input shows what went in.
    expect(await page.locator('[data-testid="node-out"] img.preview').count()).toBe(6);
    expect(await page.locator('[data-testid="node-photos"] img.preview').count()).toBe(6);
    expect(await page.locator('[data-testid^="run-warning-"]').count()).toBe(0);
    for (const id of ['E', 'T_hair', 'R']) expect(await page.getByTestId(`untrained-${id}`).count()).toBe(0);
  });

  it('a click enlarges an item at full resolution, beside its input; arrows page through all of them', async () => {
    await page.locator('[data-testid="node-out"] img.preview').nth(1).click();
    const viewer = page.getByTestId('preview-viewer');
    await viewer.waitFor();
    expect(await viewer.textContent()).toMatch(/item 2 of 6/);
    expect(await page.getByTestId('viewer-file').textContent()).toMatch(/^face-\d+\.png$/);
    // Input beside output, each 32×32 scaled up by whole pixels.
    const images = page.getByTestId('viewer-image');
    expect(await images.count()).toBe(2);
    expect(await viewer.textContent()).toMatch(/Input: face[\s\S]*Output: translated/);
    expect(await page.getByTestId('viewer-size').first().textContent()).toMatch(/32×32 px, shown \d+×/);
    const shown = await images.nth(1).evaluate((img) => ({ natural: (img as HTMLImageElement).naturalWidth, css: img.getBoundingClientRect().width }));
    expect(shown.natural).toBe(32);
    expect(shown.css % 32).toBe(0);
    expect(shown.css).toBeGreaterThanOrEqual(256);
    await shot('1-viewer');
    await page.keyboard.press('ArrowRight');
    expect(await viewer.textContent()).toMatch(/item 3 of 6/);
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
  });

  it('a mask shows in colour, with a scale of the values its colours stand for', async () => {
    await page.locator('[data-testid="node-mask_sum_view"] img.preview, [data-kind="mask-preview"] img.preview').first().click();
    await page.getByTestId('preview-viewer').waitFor();
    const canvas = page.getByTestId('viewer-mask');
    await expect.poll(() => canvas.evaluate((c) => (c as HTMLCanvasElement).width)).toBe(8);
    // Coloured: not grey any more (the colour map's green or violet, never r = g = b).
    const coloured = await canvas.evaluate((c) => {
      const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 8, 8).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (!(d[i] === d[i + 1] && d[i + 1] === d[i + 2])) n++;
      return n;
    });
    expect(coloured).toBe(64);
    const scale = await page.getByTestId('colour-scale').textContent();
    expect(scale).toMatch(/0\.00[\s\S]*\d\.\d\d/);
    await shot('2-mask');
    await page.keyboard.press('Escape');
  });

  it('Open output folder: in a browser, the folder’s path to copy', async () => {
    await setParam('out', 'folder', join(work, 'translated'));
    await run();
    await page.locator('[data-testid="node-out"] img.preview').first().click();
    await page.getByTestId('open-output-folder').click();
    const note = page.getByTestId('folder-note');
    await note.waitFor();
    expect(await page.getByTestId('folder-path').inputValue()).toBe(join(work, 'translated'));
    // The run wrote every item there, as the node's help says.
    expect(readdirSync(join(work, 'translated')).filter((f) => f.endsWith('.png'))).toHaveLength(6);
    expect(await note.textContent()).toMatch(/written here[\s\S]*cannot open folders/);
    expect(await page.getByTestId('copy-folder-path').isVisible()).toBe(true);
    await shot('3-folder');
    await page.getByRole('button', { name: 'Close' }).last().click();
    await note.waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');
    await setParam('out', 'folder', '');
  });
});

describe('honest outputs', () => {
  it('a module run at another size than it was trained at says so on its node', async () => {
    await setParam('E', 'imageSize', 64);
    await setParam('R', 'imageSize', 64);
    await run();
    const warning = page.getByTestId('run-warning-E');
    await warning.waitFor();
    expect(await warning.textContent()).toMatch(/Encoder 'E' was trained on 32 px images but runs at 64 px here: expect noise/);
    expect(await page.getByTestId('run-warning-T_hair').textContent()).toMatch(/trained on 32 px images but runs at 64 px/);
    await shot('4-size-warning');
    await setParam('E', 'imageSize', 32);
    await setParam('R', 'imageSize', 32);
  });

  it('images unlike the training set (digits into the faces encoder) get a warning on the encoder', async () => {
    await setParam('photos', 'path', digits);
    await run();
    const warning = page.getByTestId('run-warning-E');
    await warning.waitFor();
    expect(await warning.textContent()).toMatch(/Encoder 'E': \d of 6 input image\(s\) look unlike synthetic faces \(32 px\), which it was trained on/);
    await shot('5-domain-warning');
    // Faces again: the warning goes with the next run.
    await page.keyboard.press('Control+z');
    await run();
    expect(await page.locator('[data-testid^="run-warning-"]').count()).toBe(0);
  });

  it('a new module without weights is marked untrained', async () => {
    await page.getByTestId('palette-transformer').dblclick();
    await page.getByTestId('untrained-T1').waitFor();
  });
});
