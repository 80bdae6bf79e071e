// What a new user trips over in what the studio tells them (issue 19, items 4, 5, 7 and 9), in
// Chromium against the web host: the Training tab forgets another project's run and fits
// 1024×700; a shipped project whose image input has no path says so before Run; the status
// bar drops stale messages; the toolbar stays one row at 1600 px; Escape closes the Batch
// dialog; exporting a selection in pieces warns; a missing weights file is named in words;
// Save as proposes an absolute path outside the install folder.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../core/graph';
import { REPO_ROOT } from '../../web/renderer-build';
import { type StudioSession, openStudio } from '../helpers/studio';
import { tinyProject } from '../helpers/training';

const SHOTS = join(REPO_ROOT, 'test-results', 'e2e');
const DEMO = join(REPO_ROOT, 'assets', 'demo', 'demo.mgproj.json');

let studio: StudioSession;
let page: Page;
const work = mkdtempSync(join(tmpdir(), 'modulargan-e2e-status-'));
// The engine proposes folders under the user's home: here, a fresh one.
const home = join(work, 'home');
mkdirSync(home);
const realHome = process.env.HOME;
process.env.HOME = home;

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const project = () => page.evaluate(() => window.__studio!.project()) as Promise<Project>;
const notice = () => page.getByTestId('notice').textContent();
const runStatus = () => page.getByTestId('run-status');
const openDemo = async () => {
  await page.evaluate(() => window.__studio!.controller.openDemo('translation'));
  await page.getByTestId('node-T_glasses').waitFor();
};
const center = async (testId: string) => {
  const box = await page.getByTestId(testId).boundingBox();
  if (!box) throw new Error(`${testId} is not on screen`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
};
async function dragHandle(from: string, to: string) {
  const a = await center(from);
  const b = await center(to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x, b.y, { steps: 5 });
  await page.mouse.up();
}
type Box = { name: string; x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) => a.x < b.x + b.width - 0.5 && b.x < a.x + a.width - 0.5 && a.y < b.y + b.height - 0.5 && b.y < a.y + a.height - 0.5;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  studio = await openStudio({ demoPath: DEMO, stateDir: join(work, 'state'), viewport: { width: 1600, height: 1000 } });
  page = studio.page;
  page.on('dialog', (d) => void d.accept());
  await page.goto(studio.url);
  // The first load (bundle, demo project, engine start) is the slowest step on a loaded machine.
  await page.getByTestId('node-T_glasses').waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => !!window.__studio, undefined, { timeout: 60_000 });
  page.setDefaultTimeout(8000);
}, 120_000);

afterAll(async () => {
  process.env.HOME = realHome;
  await studio?.close();
});

describe('the Training tab', () => {
  const tiny = tinyProject((p) => Object.assign(p.training as object, { backend: 'wasm', iterations: 4, decayFrom: 2, sampleEvery: 2, checkpointEvery: 2 }), 'usability');

  it("forgets the last project's run when a project without training opens, and Start cannot be pressed", async () => {
    await page.evaluate((f) => window.__studio!.controller.open(f), tiny);
    await page.getByTestId('node-T_color').waitFor();
    await page.getByTestId('tab-training').click();
    await page.getByTestId('train-start').click();
    await expect.poll(() => page.getByTestId('train-status').getAttribute('data-status'), { timeout: 90_000 }).toBe('done');
    expect(await page.getByTestId('train-iteration').textContent()).toBe('4/4 it');
    await page.getByTestId('checkpoint-iter-000004').waitFor();

    await page.getByRole('button', { name: 'New', exact: true }).click();
    await expect.poll(() => page.getByTestId('train-iteration').textContent()).not.toContain('4/4');
    expect(await page.getByTestId('train-status').getAttribute('data-status')).toBe('idle');
    expect(await page.getByTestId('sample-grid').count()).toBe(0);
    expect(await page.locator('[data-testid="checkpoint-list"] li').count()).toBe(0);
    expect(await page.getByTestId('loss-chart').getAttribute('data-points')).toBe('0');
    expect(await page.getByTestId('training-validity').textContent()).not.toMatch(/valid/);
    expect(await page.getByTestId('train-start').isDisabled()).toBe(true);
    expect(await page.getByTestId('run-controls').textContent()).toMatch(/no training/i);
    await shot('usability-10-training-none');
  });

  it('keeps its panels apart at 1024×700', async () => {
    await page.setViewportSize({ width: 1024, height: 700 });
    try {
      await page.evaluate((f) => window.__studio!.controller.open(f), tiny);
      await page.getByTestId('node-D_T_color').waitFor();
      await page.getByTestId('checkpoint-iter-000004').waitFor();
      await page.waitForTimeout(300);
      await shot('usability-11-training-1024');
      const panels = await page.evaluate(() => {
        const box = (name: string, el: Element | null) => {
          if (!el) throw new Error(`${name} is missing`);
          const r = el.getBoundingClientRect();
          return { name, x: r.x, y: r.y, width: r.width, height: r.height };
        };
        const q = (s: string) => document.querySelector(s);
        const sides = document.querySelectorAll('.training-side');
        return {
          // The panels, wherever the view puts the graph's palette and inspector.
          boxes: [
            box('left side', sides[0]!),
            box('right side', sides[1]!),
            box('training graph', q('[data-testid="training-graph"]')),
            box('run controls', q('[data-testid="run-controls"]')),
            box('samples', q('.sample-grid')),
            box('status bar', q('.statusbar')),
          ],
          canvas: box('training canvas', q('[data-testid="training-graph"] .canvas')),
          // Content wider than its panel spills over its neighbour.
          spilling: [...document.querySelectorAll('.run-controls *, .sample-grid *, .training-side *')]
            .filter((el) => {
              const r = el.getBoundingClientRect();
              const panel = el.closest('.run-controls, .sample-grid, .training-side')!.getBoundingClientRect();
              return r.width > 0 && (r.left < panel.left - 1 || r.right > panel.right + 1);
            })
            .map((el) => `${el.tagName.toLowerCase()} ${el.textContent?.slice(0, 30)}`),
        };
      });
      const pairs = panels.boxes.flatMap((a, i) => panels.boxes.slice(i + 1).filter((b) => overlaps(a, b)).map((b) => `${a.name} × ${b.name}`));
      expect(pairs).toEqual([]);
      expect(panels.spilling).toEqual([]);
      const canvas = panels.canvas;
      expect(canvas.width).toBeGreaterThanOrEqual(200);
      expect(canvas.height).toBeGreaterThanOrEqual(150);
      for (const b of panels.boxes) expect(b.x + b.width, b.name).toBeLessThanOrEqual(1024 + 0.5);
    } finally {
      await page.setViewportSize({ width: 1600, height: 1000 });
      await page.getByTestId('tab-editor').click();
    }
  });
});

describe('an image input with no images to read', () => {
  it('is a problem on the node before Run, and Run says so instead of failing later', async () => {
    // The shipped faces project with its image input's path cleared, as a user leaves it to fill.
    const shipped = JSON.parse(readFileSync(join(REPO_ROOT, 'assets', 'projects', 'faces-32.mgproj.json'), 'utf8')) as { graph: { nodes: { id: string; params: Record<string, unknown> }[] } };
    shipped.graph.nodes.find((n) => n.id === 'photos')!.params = {};
    const file = join(mkdtempSync(join(tmpdir(), 'mg-no-images-')), 'faces-32.mgproj.json');
    writeFileSync(file, JSON.stringify(shipped));
    await page.evaluate((f) => window.__studio!.controller.open(f), file);
    await page.getByTestId('node-photos').waitFor();
    await expect.poll(() => page.getByTestId('validity').textContent()).toMatch(/1 problem/);
    expect(await page.getByTestId('node-photos').locator('.node-error').textContent()).toMatch(/Image input 'face'.*file or folder/);
    await page.getByTestId('run').click();
    await expect.poll(() => runStatus().getAttribute('data-status')).toBe('failed');
    expect(await runStatus().textContent()).toMatch(/Cannot run: Image input 'face'.*file or folder/);
    expect(await runStatus().textContent()).not.toMatch(/holds no images/);
    await shot('usability-12-no-images');
  });
});

describe('the status bar', () => {
  it('drops "Not connected" once a connection is made', async () => {
    await openDemo();
    await page.evaluate(() => {
      const s = window.__studio!.store;
      s.select([], [s.project.graph.edges.find((e) => e.to.node === 'out')!.id]);
      s.removeSelection();
    });
    await dragHandle('handle-T_hair-output-mask', 'handle-out-input-image');
    await expect.poll(notice).toMatch(/^Not connected: /);
    await dragHandle('handle-R-output-image', 'handle-out-input-image');
    await expect.poll(async () => (await project()).graph.edges.some((e) => e.from.node === 'R' && e.to.node === 'out')).toBe(true);
    expect(await notice()).not.toMatch(/Not connected/);
  });

  it("marks the last run's summary stale after an edit", async () => {
    await page.getByTestId('run').click();
    await expect.poll(() => runStatus().getAttribute('data-status'), { timeout: 60_000 }).toBe('finished');
    expect(await runStatus().textContent()).toMatch(/^Ran \d+ item\(s\)/);
    await page.evaluate(() => window.__studio!.store.setParam('c_hair', 'values', { hair: 'black' }));
    await expect.poll(() => runStatus().textContent()).not.toMatch(/^Ran /);
    expect(await runStatus().textContent()).toMatch(/changed since/);
    // Moving a node changes nothing the run made.
    await page.evaluate(() => window.__studio!.store.setParam('c_hair', 'values', { hair: 'blond' }));
    await page.getByTestId('run').click();
    await expect.poll(() => runStatus().textContent(), { timeout: 60_000 }).toMatch(/^Ran \d+ item\(s\)/);
    await page.evaluate(() => window.__studio!.store.moveNodes({ c_hair: { x: 10, y: 10 } }));
    expect(await runStatus().textContent()).toMatch(/^Ran \d+ item\(s\)/);
  });

  it('says an empty graph has nothing to run', async () => {
    await page.getByRole('button', { name: 'New', exact: true }).click();
    await expect.poll(() => page.locator('.module-node').count()).toBe(0);
    await page.getByTestId('run').click();
    await expect.poll(() => runStatus().textContent()).toMatch(/nothing to run/i);
    expect(await runStatus().textContent()).not.toMatch(/Ran \d/);
  });
});

describe('smaller things', () => {
  it('keeps the toolbar on one row at 1600 px', async () => {
    await openDemo();
    const t = await page.evaluate(() => {
      const bar = document.querySelector('.toolbar')!;
      const kids = [...bar.children].map((e) => e.getBoundingClientRect()).filter((r) => r.width > 0);
      return { height: bar.getBoundingClientRect().height, overflow: bar.scrollWidth - bar.clientWidth, tallest: Math.max(...kids.map((r) => r.height)), tops: kids.map((r) => Math.round(r.top + r.height / 2)) };
    });
    expect(t.overflow).toBeLessThanOrEqual(0);
    expect(t.tallest).toBeLessThanOrEqual(30);
    expect(t.height).toBeLessThanOrEqual(44);
    expect(Math.max(...t.tops) - Math.min(...t.tops)).toBeLessThanOrEqual(3);
    // Narrower, it may take two rows, but every button stays on screen.
    await page.setViewportSize({ width: 1024, height: 700 });
    try {
      const right = await page.evaluate(() => Math.max(...[...document.querySelector('.toolbar')!.children].map((e) => e.getBoundingClientRect().right)));
      expect(right).toBeLessThanOrEqual(1024);
      const run = (await page.getByTestId('run').boundingBox())!;
      expect(run.x + run.width).toBeLessThanOrEqual(1024);
    } finally {
      await page.setViewportSize({ width: 1600, height: 1000 });
    }
  });

  it('closes the Batch dialog with Escape', async () => {
    await page.getByTestId('batch').click();
    await page.getByTestId('batch-dialog').waitFor();
    try {
      await page.keyboard.press('Escape');
      await expect.poll(() => page.getByTestId('batch-dialog').count()).toBe(0);
    } finally {
      if (await page.getByTestId('batch-dialog').count()) await page.getByRole('button', { name: 'Close' }).click();
    }
  });

  it('warns when the selection to export as a preset is in pieces', async () => {
    await page.evaluate(() => window.__studio!.store.select(['E', 'R'], []));
    await page.getByTestId('export-preset').click();
    try {
      const warning = page.getByTestId('export-preset-warning');
      await warning.waitFor();
      expect(await warning.textContent()).toMatch(/not connected|pieces/i);
      expect(await warning.textContent()).toMatch(/Transformer 'hair'/);
      await shot('usability-13-export-pieces');
      // The whole graph is one piece: no warning.
      await page.getByText(/Only the selected nodes/).click();
      await expect.poll(() => warning.count()).toBe(0);
    } finally {
      await page.getByRole('button', { name: 'Cancel' }).click();
    }
  });

  it('names the node and the file when a weights file is missing', async () => {
    await page.evaluate(() => window.__studio!.store.setParam('E', 'weights', 'gone/E-missing.mgw'));
    await page.getByTestId('run').click();
    await expect.poll(() => runStatus().getAttribute('data-status'), { timeout: 60_000 }).toBe('failed');
    const text = (await runStatus().textContent())!;
    expect(text).toMatch(/Encoder 'E': .*E-missing\.mgw: (not found|does not exist)/);
    expect(text).not.toMatch(/ENOENT|open '/);
    expect(await page.getByTestId('node-E').getByTestId('run-error').textContent()).toMatch(/E-missing\.mgw/);
  });

  it('proposes an absolute path outside the install folder for Save as, and saves a bare name there', async () => {
    await openDemo();
    await page.getByTestId('save-as').click();
    const input = page.getByTestId('path-input');
    const proposed = await input.inputValue();
    expect(proposed).toMatch(/^\//);
    expect(proposed.startsWith(REPO_ROOT)).toBe(false);
    expect(proposed.startsWith(home)).toBe(true);
    expect(proposed).toMatch(/\.mgproj\.json$/);
    // A bare name lands in the proposed folder, not in the folder the studio runs from.
    await input.fill('bare-name.mgproj.json');
    await page.getByTestId('path-ok').click();
    await expect.poll(notice).toMatch(/^Saved /);
    expect(existsSync(join(REPO_ROOT, 'bare-name.mgproj.json'))).toBe(false);
    expect((await notice())!.startsWith(`Saved ${home}`)).toBe(true);
    // A saved project proposes its own folder.
    await page.getByTestId('save-as').click();
    expect(await input.inputValue()).toBe((await notice())!.replace(/^Saved /, ''));
    await page.getByRole('button', { name: 'Cancel' }).click();
  });
});
