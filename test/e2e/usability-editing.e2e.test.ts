// What a new user trips over while editing (issue 19, items 1, 2, 3, 6 and 8), in Chromium
// against the web host with the shipped faces demo: a preset's exposed parameters get the
// widgets they have on their own node and change what Run makes; a Condition's values follow
// its attributes; undo leaves no ghost selection and Escape clears it; the palette's search
// ranks by name and Enter adds the top hit; nodes added by double-click do not pile up, the
// first one dropped stays where it was dropped, and Layout leaves nothing overlapping, in view.

import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../core/graph';
import { REPO_ROOT } from '../../web/renderer-build';
import { type StudioSession, openStudio } from '../helpers/studio';

const SHOTS = join(REPO_ROOT, 'test-results', 'e2e');
const DEMO = join(REPO_ROOT, 'assets', 'demo', 'demo.mgproj.json');

let studio: StudioSession;
let page: Page;
const work = mkdtempSync(join(tmpdir(), 'modulargan-e2e-usability-'));

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const project = () => page.evaluate(() => window.__studio!.project()) as Promise<Project>;
const inspector = () => page.locator('aside[aria-label="Inspector"]');
/** The inspector's field titled `title` (its label), e.g. 'Hair' on a preset node. */
const field = (title: string) => inspector().locator('.param').filter({ has: page.locator('label', { hasText: new RegExp(`^${title}$`) }) });
const selectNode = (id: string) => page.getByTestId(`node-${id}`).locator('.node-title').click();
const newProject = async () => {
  await page.getByRole('searchbox', { name: 'Search nodes' }).fill('');
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await expect.poll(() => page.locator('.module-node').count()).toBe(0);
};
const openDemo = async () => {
  await page.evaluate(() => window.__studio!.controller.openDemo('translation'));
  await page.getByTestId('node-T_glasses').waitFor();
};
type Box = { id: string; x: number; y: number; width: number; height: number };
const nodeBoxes = () =>
  page.$$eval('.module-node', (els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { id: e.getAttribute('data-testid')!, x: r.x, y: r.y, width: r.width, height: r.height };
    }),
  );
const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const overlapping = (boxes: Box[]) => boxes.flatMap((a, i) => boxes.slice(i + 1).filter((b) => overlaps(a, b)).map((b) => `${a.id} × ${b.id}`));
const previews = (node: string) => page.locator(`[data-testid="node-${node}"] img.preview`).evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).src));
async function runToEnd() {
  await page.getByTestId('run').click();
  await expect.poll(() => page.getByTestId('run-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('finished');
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  studio = await openStudio({ demoPath: DEMO, stateDir: join(work, 'state'), viewport: { width: 1400, height: 900 } });
  page = studio.page;
  // "Discard the unsaved changes?": yes, each test starts from a document of its own.
  page.on('dialog', (d) => void d.accept());
  page.setDefaultTimeout(8000);
  await page.goto(studio.url);
  await page.getByTestId('node-T_glasses').waitFor();
  await page.waitForFunction(() => !!window.__studio);
}, 120_000);

afterAll(() => studio?.close());

describe('preset parameters', () => {
  it("gives the shipped Face translation preset's Hair, Smiling and Glasses their choices, and Run uses them", async () => {
    await page.getByTestId('preset-bundled_face-translation').locator('strong').dblclick();
    await page.getByTestId('node-P1').waitFor();
    // Its own image in, its translation out, beside the demo's chain.
    const out = await page.evaluate(() => {
      const s = window.__studio!.store;
      const id = s.addNode('image-output', { x: 900, y: 700 });
      s.connect({ node: 'photos', port: 'image' }, { node: 'P1', port: 'E.image' });
      s.connect({ node: 'P1', port: 'R.image' }, { node: id, port: 'image' });
      s.select(['P1'], []);
      return id;
    });
    for (const [title, choices] of [
      ['Hair', ['black', 'blond', 'brown']],
      ['Smiling', ['no', 'yes']],
      ['Glasses', ['no', 'yes']],
    ] as const) {
      const options = await field(title).locator('select option:not([disabled])').allTextContents();
      expect(options.sort(), title).toEqual([...choices]);
    }
    await runToEnd();
    const blond = await previews(out);
    expect(blond.length).toBeGreaterThan(0);
    await field('Hair').locator('select').selectOption('black');
    expect((await project()).graph.nodes.find((n) => n.id === 'P1')!.params['c_hair.values']).toEqual({ hair: 'black' });
    await shot('usability-01-preset-params');
    await runToEnd();
    await expect.poll(async () => (await previews(out)).length).toBe(blond.length);
    const black = await previews(out);
    expect(black).not.toEqual(blond);
  });

  it('gives a condition target exposed by Export preset the same widget', async () => {
    await openDemo();
    await page.getByTestId('export-preset').click();
    await page.getByTestId('preset-name').fill('Smile target');
    await page.getByTestId('expose-c_smiling-values').check();
    await page.getByTestId('export-preset-ok').click();
    await page.getByTestId('preset-Smile_target').waitFor();
    await newProject();
    await page.getByTestId('preset-Smile_target').locator('strong').dblclick();
    await page.getByTestId('node-P1').waitFor();
    const select = inspector().locator('.param select').first();
    expect((await select.locator('option:not([disabled])').allTextContents()).sort()).toEqual(['no', 'yes']);
    await select.selectOption({ label: 'no' });
    expect((await project()).graph.nodes[0]!.params['c_smiling.values']).toEqual({ smiling: '0' });
  });
});

describe('a Condition whose attributes change', () => {
  it('drops the values of attributes it no longer has and offers the new ones, so it becomes valid', async () => {
    await openDemo();
    await selectNode('c_hair');
    await field('Attributes').locator('textarea').fill('[{"name": "smiling", "kind": "binary"}]');
    const values = field('Values').locator('select');
    expect(await values.count()).toBe(1);
    expect((await values.locator('option:not([disabled])').allTextContents()).sort()).toEqual(['no', 'yes']);
    await values.selectOption({ label: 'yes' });
    const c = (await project()).graph.nodes.find((n) => n.id === 'c_hair')!;
    expect(c.params.values).toEqual({ smiling: '1' });
    // The node itself is valid; only its edge into the hair transformer is now wrong.
    await expect.poll(() => page.getByTestId('node-c_hair').locator('.node-error').count()).toBe(0);
    await shot('usability-02-condition-switched');

    // To a one-hot group: its own values are the choices.
    await field('Attributes').locator('textarea').fill('[{"name": "color", "kind": "onehot", "values": ["red", "green"]}]');
    expect((await project()).graph.nodes.find((n) => n.id === 'c_hair')!.params.values).toEqual({});
    expect((await field('Values').locator('select option:not([disabled])').allTextContents()).sort()).toEqual(['green', 'red']);
  });
});

describe('selection after undo', () => {
  it('leaves no ghost selection when an added node is undone', async () => {
    await openDemo();
    await page.getByTestId('palette-transformer').dblclick();
    await page.getByTestId('node-T1').waitFor();
    await expect.poll(() => inspector().textContent()).toContain('Transformer');
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await project()).graph.nodes.some((n) => n.id === 'T1')).toBe(false);
    const text = await inspector().textContent();
    expect(text).toContain('12 nodes');
    expect(text).not.toContain('selected');
  });

  it('leaves no ghost selection when pasted nodes are undone', async () => {
    await page.evaluate(() => {
      (document.activeElement as HTMLElement | null)?.blur();
      window.__studio!.store.select(['c_hair', 'T_hair'], []);
    });
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await expect.poll(async () => (await project()).graph.nodes.length).toBe(14);
    expect(await inspector().textContent()).toContain('2 selected');
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await project()).graph.nodes.length).toBe(12);
    expect(await inspector().textContent()).not.toContain('selected');
  });

  it('clears the selection with Escape and with a click on the empty canvas', async () => {
    await selectNode('T_hair');
    await expect.poll(() => inspector().textContent()).toContain('Residual blocks');
    await page.keyboard.press('Escape');
    await expect.poll(() => inspector().textContent()).toContain('12 nodes');
    expect(await page.evaluate(() => window.__studio!.store.getState().selectedNodes.size)).toBe(0);

    await selectNode('T_hair');
    await expect.poll(() => inspector().textContent()).toContain('Residual blocks');
    const pane = await page.locator('.react-flow__pane').boundingBox();
    await page.mouse.click(pane!.x + 8, pane!.y + 8);
    await expect.poll(() => inspector().textContent()).toContain('12 nodes');
  });
});

describe('palette search', () => {
  const shown = () => page.locator('aside.palette .palette-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
  const search = () => page.getByRole('searchbox', { name: 'Search nodes' });

  it('ranks by name: "transf" lists the Transformer first and no kind that only mentions it in its help', async () => {
    await search().fill('transf');
    const hits = await shown();
    expect(hits[0]).toBe('palette-transformer');
    for (const other of ['palette-encoder', 'palette-mask-preview', 'palette-mask-sum', 'palette-reconstructor']) expect(hits).not.toContain(other);
    // A name's start beats a match inside a name: "ma" lists the masks before "Image …".
    await search().fill('ma');
    expect((await shown()).slice(0, 2).sort()).toEqual(['palette-mask-preview', 'palette-mask-sum']);
    expect(await shown()).toContain('palette-image-input');
    // With no name matching, the help text still finds a kind.
    await search().fill('gaussian');
    expect(await shown()).toEqual(['palette-noise-input']);
  });

  it('adds the top hit with Enter', async () => {
    await newProject();
    await search().fill('recon');
    await search().press('Enter');
    await expect.poll(async () => (await project()).graph.nodes.map((n) => n.kind)).toEqual(['reconstructor']);
    await search().fill('');
  });
});

describe('where nodes land', () => {
  it('keeps the first node dropped on an empty canvas where it was dropped', async () => {
    await newProject();
    const canvas = (await page.getByTestId('canvas').boundingBox())!;
    const at = { x: Math.round(canvas.width * 0.2), y: Math.round(canvas.height * 0.25) };
    await page.dragAndDrop('[data-testid="palette-encoder"]', '[data-testid="canvas"]', { targetPosition: at });
    await page.getByTestId('node-E1').waitFor();
    await page.waitForTimeout(400);
    const box = (await page.getByTestId('node-E1').boundingBox())!;
    expect(Math.abs(box.x - (canvas.x + at.x))).toBeLessThan(4);
    expect(Math.abs(box.y - (canvas.y + at.y))).toBeLessThan(4);
  });

  it('does not pile double-clicked palette entries on one spot', async () => {
    await newProject();
    for (const kind of ['transformer', 'encoder', 'reconstructor', 'condition-input', 'image-output']) await page.getByTestId(`palette-${kind}`).dblclick();
    await expect.poll(() => page.locator('.module-node').count()).toBe(5);
    await page.waitForTimeout(300);
    await shot('usability-03-double-clicked');
    expect(overlapping(await nodeBoxes())).toEqual([]);
  });

  it('lays unconnected nodes out without overlaps, fitted into view', async () => {
    for (const kind of ['transformer', 'transformer', 'discriminator', 'mask-sum', 'noise-input', 'generator', 'dataset']) await page.getByTestId(`palette-${kind}`).dblclick();
    await expect.poll(() => page.locator('.module-node').count()).toBe(12);
    await page.getByTestId('layout').click();
    await page.waitForTimeout(600);
    await shot('usability-04-layout');
    const boxes = await nodeBoxes();
    expect(boxes).toHaveLength(12);
    expect(overlapping(boxes)).toEqual([]);
    const canvas = (await page.getByTestId('canvas').boundingBox())!;
    for (const b of boxes) {
      expect(b.x, b.id).toBeGreaterThanOrEqual(canvas.x - 1);
      expect(b.y, b.id).toBeGreaterThanOrEqual(canvas.y - 1);
      expect(b.x + b.width, b.id).toBeLessThanOrEqual(canvas.x + canvas.width + 1);
      expect(b.y + b.height, b.id).toBeLessThanOrEqual(canvas.y + canvas.height + 1);
    }
  });
});
