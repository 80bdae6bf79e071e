// Presets, batch runs and provenance in the studio, in Chromium against the web host: export
// the demo as a preset, find it in the palette, bump its version, add it to a new project as
// one node, batch-run that over the demo's images and read the report, open the node up, and
// drop an output PNG on the canvas to get the graph that made it back. Screenshots go to
// test-results/e2e/.

import { mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../core/graph';
import { REPO_ROOT } from '../../web/renderer-build';
import { type StudioSession, openStudio } from '../helpers/studio';

const SHOTS = join(REPO_ROOT, 'test-results', 'e2e');
const DEMO = join(REPO_ROOT, 'test', 'fixtures', 'demo', 'demo.mgproj.json');
const IMAGES = join(REPO_ROOT, 'test', 'fixtures', 'demo', 'images');

let studio: StudioSession;
let page: Page;
const work = mkdtempSync(join(tmpdir(), 'modulargan-e2e-presets-'));
const out = join(work, 'out');

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const project = () => page.evaluate(() => window.__studio!.project()) as Promise<Project>;
const notice = () => page.getByTestId('notice').textContent();

/** Drops a file on the canvas the way the browser does for a file dragged from the desktop. */
async function dropFile(bytes: Buffer, name: string) {
  await page.evaluate(
    ({ b64, name }) => {
      const bin = atob(b64);
      const data = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([data], name, { type: 'image/png' }));
      const target = document.querySelector('[data-testid="canvas"] .react-flow')!;
      const r = target.getBoundingClientRect();
      const at = { clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true, cancelable: true, dataTransfer: dt };
      target.dispatchEvent(new DragEvent('dragover', at));
      target.dispatchEvent(new DragEvent('drop', at));
    },
    { b64: bytes.toString('base64'), name },
  );
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  studio = await openStudio({ demoPath: DEMO, stateDir: join(work, 'state') });
  page = studio.page;
  await page.goto(studio.url);
  await page.getByTestId('node-E').waitFor();
}, 120_000);

afterAll(() => studio?.close());

describe('presets and batch runs in the studio', () => {
  it('exports the demo as a preset with an exposed parameter; it shows in the palette, and its version can be bumped', async () => {
    await page.getByTestId('export-preset').click();
    await page.getByTestId('preset-name').fill('Demo chain');
    await page.getByTestId('expose-T_hair-resBlocks').check();
    await shot('10-export-preset');
    await page.getByTestId('export-preset-ok').click();
    await page.getByTestId('preset-Demo_chain').waitFor();
    expect(await page.getByTestId('preset-version-Demo_chain').textContent()).toBe('1.0.0');
    await page.getByTestId('preset-bump-Demo_chain').click();
    await expect.poll(() => page.getByTestId('preset-version-Demo_chain').textContent()).toBe('1.1.0');
    await shot('11-preset-in-palette');
  });

  it('adds the preset to a new project as one node that validates', async () => {
    await page.getByRole('button', { name: 'New' }).click();
    await expect.poll(() => page.locator('.module-node').count()).toBe(0);
    await page.getByTestId('preset-Demo_chain').locator('strong').dblclick();
    await page.getByTestId('node-P1').waitFor();
    const p = await project();
    expect(p.graph.nodes.map((n) => [n.id, n.kind])).toEqual([['P1', 'preset']]);
    expect(p.graph.nodes[0]!.params['T_hair.resBlocks']).toBe(2);
    await expect.poll(() => page.getByTestId('validity').textContent()).toContain('valid');
    await shot('12-preset-node');
  });

  it('batch-runs the graph over the demo images with progress, and shows the report', async () => {
    await page.getByTestId('batch').click();
    await page.getByTestId('batch-input').fill(IMAGES);
    await page.getByTestId('batch-output').fill(out);
    await page.getByTestId('batch-start').click();
    const report = page.getByTestId('batch-report');
    await report.waitFor({ timeout: 120_000 });
    expect(await report.textContent()).toMatch(/Done: 4 processed, 0 already done, 0 skipped, 0 not written/);
    // Two outputs (the image and the mask preview): one folder each, named after the node.
    const files = (readdirSync(out, { recursive: true }) as string[]).sort();
    expect(files.filter((f) => f.startsWith('translated/'))).toEqual(['translated/face-1.png', 'translated/face-2.png', 'translated/face-3.png', 'translated/face-4.png']);
    expect(files).toContain('batch-report.json');
    await shot('13-batch-report');
    // Run again: everything is done already (skip-existing is on by default).
    await page.getByTestId('batch-start').click();
    await expect.poll(() => report.textContent(), { timeout: 60_000 }).toMatch(/0 processed, 4 already done/);
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('opens the preset node up into its nodes, undoably', async () => {
    await page.getByTestId('open-up-P1').click();
    await expect.poll(async () => (await project()).graph.nodes.length).toBe(7);
    const p = await project();
    expect(p.graph.nodes.map((n) => n.kind)).not.toContain('preset');
    expect(p.graph.edges.length).toBe(6);
    await expect.poll(() => page.getByTestId('validity').textContent()).toContain('valid');
    await page.getByRole('button', { name: 'Layout' }).click();
    await page.getByRole('button', { name: 'Fit View' }).click();
    await shot('14-opened-up');
    await page.getByTestId('undo').click();
    await page.getByTestId('undo').click();
    expect((await project()).graph.nodes.map((n) => n.kind)).toEqual(['preset']);
    await page.getByTestId('redo').click();
    await page.getByTestId('redo').click();
  });

  it('restores the graph that made an output PNG dropped on the canvas, and says why a plain PNG has none', async () => {
    const before = await project();
    await dropFile(readFileSync(join(out, 'translated', 'face-1.png')), 'face-1.png');
    await expect.poll(notice).toContain('Restored the graph of face-1.png');
    const restored = await project();
    // The batch ran the preset node as its subgraph: that is the graph the PNG carries.
    expect(restored.graph.nodes.map((n) => n.id).sort()).toEqual(['P1/E', 'P1/R', 'P1/T_hair', 'P1/c_hair', 'P1/mask_view', 'P1/out', 'P1/photos']);
    expect(restored.graph.nodes.find((n) => n.id === 'P1/T_hair')!.params.resBlocks).toBe(2);
    await expect.poll(() => page.locator('.module-node').count()).toBe(7);
    await shot('15-restored-from-png');
    await page.getByTestId('undo').click();
    expect((await project()).graph).toEqual(before.graph);

    await dropFile(readFileSync(join(IMAGES, 'face-2.png')), 'face-2.png');
    await expect.poll(notice).toMatch(/face-2.png: no graph to restore: .*no ModularGAN provenance/);
  });
});
