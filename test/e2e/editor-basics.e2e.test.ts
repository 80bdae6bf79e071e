// The editor basics people expect from a node editor, in Chromium against the web host:
// quick add (double-click on empty canvas, or drop a wire there, then Enter), the right-click
// menus, bypass (undoable, saved, and honoured by a run), the shortcut overlay (?), fit view
// (F), and the "untrained" badge on modules without weights. Screenshots go to
// test-results/e2e/.

import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
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
const work = mkdtempSync(join(tmpdir(), 'modulargan-basics-'));

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `basics-${name}.png`) });
const project = () => page.evaluate(() => window.__studio!.project()) as Promise<Project>;
const center = async (testId: string) => {
  const box = await page.getByTestId(testId).boundingBox();
  if (!box) throw new Error(`${testId} is not on screen`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
};

/** A point of the canvas with nothing on it but the pane, away from `avoid` (window coordinates). */
async function emptySpot(avoid?: { x: number; y: number }): Promise<{ x: number; y: number }> {
  const spot = await page.evaluate((away) => {
    const r = document.querySelector('[data-testid="canvas"]')!.getBoundingClientRect();
    let best: { x: number; y: number; d: number } | null = null;
    for (let fy = 0.1; fy < 0.9; fy += 0.05)
      for (let fx = 0.1; fx < 0.75; fx += 0.05) {
        const x = r.left + fx * r.width;
        const y = r.top + fy * r.height;
        // Clear all around, so a box opened there is not over a node either.
        const clear = [-40, 0, 40].every((dx) => [-40, 0, 40].every((dy) => document.elementFromPoint(x + dx, y + dy)?.classList.contains('react-flow__pane')));
        if (!clear) continue;
        const d = away ? -Math.hypot(x - away.x, y - away.y) : 0;
        if (!best || d < best.d) best = { x, y, d };
      }
    return best;
  }, avoid ?? null);
  if (!spot) throw new Error('no empty spot on the canvas');
  return spot;
}

async function dragTo(fromTestId: string, to: { x: number; y: number }) {
  const a = await center(fromTestId);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + to.x) / 2, (a.y + to.y) / 2, { steps: 5 });
  await page.mouse.move(to.x, to.y, { steps: 5 });
  await page.mouse.up();
}

const edgesInto = (p: Project, node: string) => p.graph.edges.filter((e) => e.to.node === node).map((e) => `${e.from.node}.${e.from.port}->${e.to.port}`);

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  studio = await openStudio({ demoPath: DEMO, stateDir: join(work, 'state'), viewport: { width: 1600, height: 1000 } });
  page = studio.page;
  await page.goto(studio.url);
  await page.getByTestId('node-E').waitFor();
}, 120_000);

afterAll(() => studio?.close());

describe('quick add', () => {
  it('double-click on empty canvas: a search box; Enter adds the top match where it was opened', async () => {
    const at = await emptySpot();
    await page.mouse.dblclick(at.x, at.y);
    const search = page.getByTestId('quick-add-search');
    await search.waitFor();
    expect(await search.evaluate((el) => el === document.activeElement)).toBe(true);
    await search.fill('transf');
    // Ranked by name: the Transformer first, nothing picked for its help text.
    const options = page.locator('[data-testid="quick-add"] [role="option"]');
    expect(await options.first().textContent()).toMatch(/^Transformer/);
    expect(await options.allTextContents()).not.toContainEqual(expect.stringMatching(/Encoder|Mask preview/));
    await shot('1-quick-add');
    await search.press('Enter');
    await page.getByTestId('node-T1').waitFor();
    expect(await page.getByTestId('quick-add').count()).toBe(0);
    // It landed where the box was opened (its top-left corner at the point clicked).
    const box = (await page.getByTestId('node-T1').boundingBox())!;
    expect(Math.abs(box.x - at.x)).toBeLessThan(12);
    expect(Math.abs(box.y - at.y)).toBeLessThan(12);
    // One step: Ctrl+Z takes it away.
    await page.keyboard.press('Control+z');
    expect((await project()).graph.nodes.some((n) => n.id === 'T1')).toBe(false);
  });

  it('Escape closes it, and a double-click on a node opens nothing', async () => {
    await page.mouse.dblclick(...(Object.values(await emptySpot()) as [number, number]));
    await page.getByTestId('quick-add-search').press('Escape');
    expect(await page.getByTestId('quick-add').count()).toBe(0);
    const e = await center('node-E');
    await page.mouse.dblclick(e.x, e.y - 20);
    await page.waitForTimeout(200);
    expect(await page.getByTestId('quick-add').count()).toBe(0);
  });

  it('a wire dropped on empty canvas offers only the kinds that take it; Enter adds and connects the top one', async () => {
    const nodes = (await project()).graph.nodes.length;
    await dragTo('handle-T_hair-output-mask', await emptySpot(await center('handle-T_hair-output-mask')));
    await page.getByTestId('quick-add').waitFor();
    expect(await page.getByTestId('quick-add-filter').textContent()).toMatch(/output ‘mask’/);
    const offered = await page.locator('[data-testid="quick-add"] [role="option"]').allTextContents();
    expect(offered[0]).toMatch(/^Mask preview/);
    expect(offered.some((t) => /^Mask sum/.test(t))).toBe(true);
    // Only kinds with a mask input: no module, no image output.
    expect(offered.some((t) => /^(Encoder|Transformer|Image output|Reconstructor)/.test(t))).toBe(false);
    await shot('2-quick-add-wire');
    await page.getByTestId('quick-add-search').press('Enter');
    const p = await project();
    expect(p.graph.nodes.length).toBe(nodes + 1);
    const added = p.graph.nodes.at(-1)!;
    expect(added.kind).toBe('mask-preview');
    expect(edgesInto(p, added.id)).toEqual(['T_hair.mask->mask']);
  });

  it('from an input, offers what can feed it, sized to fit: a transformer for the condition it is dropped from', async () => {
    // The condition's own output dragged out: a Transformer comes first, for the hair attribute.
    await dragTo('handle-c_hair-output-condition', await emptySpot(await center('handle-c_hair-output-condition')));
    await page.getByTestId('quick-add-search').fill('tra');
    await page.getByTestId('quick-add-search').press('Enter');
    const p = await project();
    const t = p.graph.nodes.at(-1)!;
    expect(t.kind).toBe('transformer');
    expect((t.params.attributes as { name: string }[]).map((g) => g.name)).toEqual(['hair']);
    expect(edgesInto(p, t.id)).toEqual(['c_hair.condition->condition']);
    // And from R's feature input, only kinds that give a feature map.
    await dragTo('handle-R-input-feature', await emptySpot(await center('handle-R-input-feature')));
    const offered = await page.locator('[data-testid="quick-add"] [role="option"]').allTextContents();
    expect(offered.slice(0, 3).map((t) => t.split(' ')[0])).toEqual(expect.arrayContaining(['Encoder', 'Transformer']));
    expect(offered.some((t) => /^(Image input|Condition|Mask)/.test(t))).toBe(false);
    await page.getByTestId('quick-add-search').press('Escape');
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    expect((await project()).graph.nodes.length).toBe(7);
  });
});

describe('menus, bypass and shortcuts', () => {
  it('right-click on a node: duplicate and delete', async () => {
    await page.getByTestId('node-c_hair').click({ button: 'right' });
    await page.getByTestId('node-menu').waitFor();
    await shot('3-node-menu');
    // A condition cannot be bypassed: the item says why.
    expect(await page.getByTestId('menu-bypass').isDisabled()).toBe(true);
    await page.getByTestId('menu-duplicate').click();
    const p = await project();
    const copy = p.graph.nodes.at(-1)!;
    expect(copy.kind).toBe('condition-input');
    expect(copy.id).not.toBe('c_hair');
    await page.getByTestId(`node-${copy.id}`).click({ button: 'right' });
    await page.getByTestId('menu-delete').click();
    expect((await project()).graph.nodes.some((n) => n.id === copy.id)).toBe(false);
  });

  it('bypass from the menu: the node passes its feature through, the run skips it; undoable and saved', async () => {
    await page.getByTestId('node-T_hair').click({ button: 'right' });
    await page.getByTestId('menu-bypass').click();
    expect((await project()).graph.nodes.find((n) => n.id === 'T_hair')!.bypassed).toBe(true);
    expect(await page.getByTestId('node-T_hair').getAttribute('data-bypassed')).toBe('true');
    expect(await page.getByTestId('node-T_hair').textContent()).toMatch(/is bypassed: its input 'Feature' passes through unchanged/);
    expect(await page.getByTestId('validity').textContent()).toContain('valid');
    await page.getByTestId('run').click();
    await expect.poll(() => page.getByTestId('run-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('finished');
    // The image comes out; the mask preview that showed only T_hair's mask is not made.
    expect(await page.locator('[data-testid="node-out"] img.preview').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="node-mask_view"] img.preview').count()).toBe(0);
    await shot('4-bypassed-run');
    // Undo brings it back; Ctrl+B bypasses the selection again.
    await page.keyboard.press('Control+z');
    expect((await project()).graph.nodes.find((n) => n.id === 'T_hair')!.bypassed).toBeUndefined();
    await page.getByTestId('node-T_hair').click();
    await page.keyboard.press('Control+b');
    expect((await project()).graph.nodes.find((n) => n.id === 'T_hair')!.bypassed).toBe(true);
    const file = join(work, 'bypassed.mgproj.json');
    await page.getByTestId('save').click();
    await page.getByTestId('path-input').fill(file);
    await page.getByTestId('path-ok').click();
    await page.getByTestId('dirty').waitFor({ state: 'detached' });
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Project;
    expect(saved.graph.nodes.find((n) => n.id === 'T_hair')!.bypassed).toBe(true);
    await page.keyboard.press('Control+b');
    expect((await project()).graph.nodes.find((n) => n.id === 'T_hair')!.bypassed).toBeUndefined();
  });

  it('right-click on the canvas: add a node there, fit view', async () => {
    const at = await emptySpot();
    await page.mouse.click(at.x, at.y, { button: 'right' });
    await page.getByTestId('canvas-menu').waitFor();
    await page.getByTestId('menu-add').click();
    await page.getByTestId('quick-add-search').fill('noise');
    await page.getByTestId('quick-add-search').press('Enter');
    const added = (await project()).graph.nodes.at(-1)!;
    expect(added.kind).toBe('noise-input');
    await page.keyboard.press('Delete');
    expect((await project()).graph.nodes.some((n) => n.id === added.id)).toBe(false);
  });

  it('F fits the whole graph into view', async () => {
    const canvas = (await page.getByTestId('canvas').boundingBox())!;
    // Zoom far in on one corner, so most nodes are off screen.
    await page.mouse.move(canvas.x + 60, canvas.y + 60);
    for (let i = 0; i < 8; i++) await page.mouse.wheel(0, -400);
    await page.waitForTimeout(300);
    // Nodes off screen are not rendered at all (onlyRenderVisibleElements): count those fully in view.
    const total = (await project()).graph.nodes.length;
    const outside = async () => {
      let inside = 0;
      for (const el of await page.locator('.module-node').all()) {
        const b = await el.boundingBox();
        if (b && b.x >= canvas.x && b.y >= canvas.y && b.x + b.width <= canvas.x + canvas.width && b.y + b.height <= canvas.y + canvas.height) inside++;
      }
      return total - inside;
    };
    expect(await outside()).toBeGreaterThan(0);
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('f');
    await expect.poll(outside, { timeout: 5000 }).toBe(0);
    // Not while typing: an F typed into a field stays in it.
    await page.getByTestId('node-E').click();
    await page.locator('#node-label').press('End');
    await page.locator('#node-label').type('f');
    expect((await project()).graph.nodes.find((n) => n.id === 'E')!.label).toMatch(/f$/);
    await page.keyboard.press('Control+z');
  });

  it('? shows every shortcut; ? or Escape closes it', async () => {
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('?');
    const help = page.getByTestId('shortcut-help');
    await help.waitFor();
    const text = (await help.textContent())!;
    for (const k of ['Ctrl+Z', 'Ctrl+B', 'Ctrl+D', 'F', 'Double-click the canvas', 'Right-click']) expect(text).toContain(k);
    await shot('5-shortcuts');
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });
    await page.getByTestId('show-shortcuts').click();
    await help.waitFor();
    await page.keyboard.press('?');
    await help.waitFor({ state: 'detached' });
  });
});

describe('honest outputs', () => {
  it('a module without weights carries an "untrained — outputs noise" badge, gone once it has a weights file', async () => {
    await page.evaluate(() => window.__studio!.store.fitView());
    for (const id of ['E', 'T_hair', 'R']) expect(await page.getByTestId(`untrained-${id}`).textContent()).toBe('untrained — outputs noise');
    expect(await page.getByTestId('untrained-c_hair').count()).toBe(0);
    await page.evaluate(() => window.__studio!.store.setParam('E', 'weights', 'faces/E.mgw'));
    await page.getByTestId('untrained-E').waitFor({ state: 'detached' });
    // A bypassed module does not run, so it is not marked either.
    await page.evaluate(() => window.__studio!.store.setBypassed(['T_hair'], true));
    await page.getByTestId('untrained-T_hair').waitFor({ state: 'detached' });
    await page.evaluate(() => window.__studio!.store.setBypassed(['T_hair'], false));
    await page.getByTestId('untrained-T_hair').waitFor();
  });
});
