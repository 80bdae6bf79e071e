// The studio end to end, in Debian's Chromium against the web host: open the demo, add a
// transformer from the palette, wire E -> T -> R by dragging handles, see a refused
// connection and its reason, run and see previews, undo/redo, save, reopen and compare,
// and recover unsaved work. Screenshots of each state go to test-results/e2e/.

import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../core/graph';
import { REPO_ROOT } from '../../web/renderer-build';
import { type StudioSession, openStudio } from '../helpers/studio';

const SHOTS = join(REPO_ROOT, 'test-results', 'e2e');
const DEMO = join(REPO_ROOT, 'test', 'fixtures', 'demo', 'demo.mgproj.json');

let studio: StudioSession;
let page: Page;
const work = mkdtempSync(join(tmpdir(), 'modulargan-e2e-'));
const savePath = join(work, 'wired.mgproj.json');

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const project = () => page.evaluate(() => window.__studio!.project()) as Promise<Project>;
const center = async (testId: string) => {
  const box = await page.getByTestId(testId).boundingBox();
  if (!box) throw new Error(`${testId} is not on screen`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
};
/** Drags from one handle to another with the mouse, as a user does. */
async function dragHandle(from: string, to: string, release = true) {
  const a = await center(from);
  const b = await center(to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x, b.y, { steps: 5 });
  if (release) await page.mouse.up();
}
const edgeBetween = (p: Project, from: string, to: string) => p.graph.edges.find((e) => e.from.node === from && e.to.node === to);

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  studio = await openStudio({ demoPath: DEMO, stateDir: join(work, 'state') });
  page = studio.page;
}, 120_000);

afterAll(() => studio?.close());

describe('the studio in Chromium', () => {
  it('opens the demo project', async () => {
    await page.goto(studio.url);
    await page.getByTestId('node-E').waitFor();
    await expect.poll(() => page.locator('.module-node').count()).toBe(7);
    expect(await page.getByTestId('validity').textContent()).toContain('valid');
    // Ports carry their shapes.
    expect(await page.getByTestId('node-E').textContent()).toContain('256×16×16');
    await shot('01-demo');
  });

  it('adds a transformer by dragging it from the palette', async () => {
    const canvas = await page.getByTestId('canvas').boundingBox();
    await page.dragAndDrop('[data-testid="palette-transformer"]', '[data-testid="canvas"]', { targetPosition: { x: canvas!.width * 0.55, y: canvas!.height * 0.72 } });
    await page.getByTestId('node-T1').waitFor();
    expect((await project()).graph.nodes.map((n) => n.id)).toContain('T1');
    expect(await page.getByTestId('dirty').isVisible()).toBe(true);
    await shot('02-added-transformer');
  });

  it('wires Encoder -> Transformer -> Reconstructor by dragging handles', async () => {
    await dragHandle('handle-E-output-feature', 'handle-T1-input-feature');
    await expect.poll(async () => !!edgeBetween(await project(), 'E', 'T1')).toBe(true);
    await dragHandle('handle-c_hair-output-condition', 'handle-T1-input-condition');
    await dragHandle('handle-T1-output-feature', 'handle-R-input-feature');
    const p = await project();
    expect(edgeBetween(p, 'c_hair', 'T1')).toBeTruthy();
    expect(edgeBetween(p, 'T1', 'R')).toBeTruthy();
    // R's single input was taken by the old transformer: the new edge replaced it.
    expect(edgeBetween(p, 'T_hair', 'R')).toBeUndefined();
    await expect.poll(() => page.getByTestId('validity').textContent()).toContain('valid');
    await shot('03-wired');
  });

  it('lights up accepting ports and shows why a connection is refused', async () => {
    const before = (await project()).graph.edges.length;
    await dragHandle('handle-T1-output-mask', 'handle-out-input-image', false);
    // While dragging a mask: the mask preview's input accepts, the image output's does not.
    expect(await page.getByTestId('handle-mask_view-input-mask').getAttribute('class')).toContain('accepts');
    const hint = page.getByTestId('connection-hint');
    await hint.waitFor();
    expect(await hint.textContent()).toMatch(/mask/i);
    await shot('04-refused-connection');
    await page.mouse.up();
    expect((await project()).graph.edges.length).toBe(before);
    expect(await page.getByTestId('notice').textContent()).toMatch(/^Not connected: .*mask/i);
  });

  it('runs the graph and shows preview images on the output nodes', async () => {
    await page.getByTestId('run').click();
    // While it runs: a Cancel button replaces Run.
    await page.getByTestId('cancel').waitFor();
    await page.locator('[data-testid="node-out"] img.preview').first().waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByTestId('run-status').getAttribute('data-status'), { timeout: 30_000 }).toBe('finished');
    expect(await page.locator('[data-testid="node-out"] img.preview').count()).toBe(4);
    expect(await page.locator('[data-testid="node-mask_view"] img.preview').count()).toBe(4);
    const width = await page.locator('[data-testid="node-out"] img.preview').first().evaluate((img) => (img as HTMLImageElement).naturalWidth);
    expect(width).toBe(64);
    await shot('05-run-previews');
  });

  it('undoes and redoes edits with the keyboard', async () => {
    const wired = await project();
    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    await page.keyboard.press('Control+z');
    const undone = await project();
    expect(edgeBetween(undone, 'T1', 'R')).toBeUndefined();
    expect(edgeBetween(undone, 'T_hair', 'R')).toBeTruthy();
    await shot('06-undone');
    await page.keyboard.press('Control+Shift+z');
    expect(await project()).toEqual(wired);
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+y');
    expect(await project()).toEqual(wired);
  });

  it('saves, reopens and gets the same project back', async () => {
    const before = await project();
    await page.getByTestId('save').click();
    await page.getByTestId('path-input').fill(savePath);
    await page.getByTestId('path-ok').click();
    await page.getByTestId('dirty').waitFor({ state: 'detached' });
    expect(existsSync(savePath)).toBe(true);
    expect(JSON.parse(readFileSync(savePath, 'utf8')).graph).toEqual(before.graph);
    await shot('07-saved');

    await page.getByTestId('layout').click(); // change something, then save it away again by reopening
    await page.getByTestId('save').click(); // has a path now: saves without asking
    await page.getByTestId('dirty').waitFor({ state: 'detached' });
    const saved = await project();
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByTestId('path-input').fill(savePath);
    await page.getByTestId('path-ok').click();
    await expect.poll(() => page.getByTestId('notice').textContent()).toContain(`Opened ${savePath}`);
    const reopened = await project();
    expect(reopened.graph).toEqual(saved.graph);
    expect(reopened.layout.nodes).toEqual(saved.layout.nodes);
    await shot('08-reopened');
  });

  it('offers unsaved work back after the window is lost', async () => {
    await page.getByTestId('palette-noise-input').dblclick();
    await page.waitForTimeout(2600); // one autosave period
    const second = await studio.browser.newPage();
    await second.goto(studio.url);
    await second.getByTestId('recovery').waitFor();
    await second.getByTestId('recover').click();
    const recovered = (await second.evaluate(() => window.__studio!.project())) as Project;
    expect(recovered.graph.nodes.map((n) => n.id)).toContain('noise-input1');
    await second.screenshot({ path: join(SHOTS, '09-recovered.png') });
    await second.close();
  });
});
