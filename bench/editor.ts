// Editor benchmark, in Chromium against the web host: a 500-node graph, then the time from
// an edit (a transformer's width changes, so shapes and diagnostics change) to the updated
// validation, to the updated DOM, and to the next painted frame. Target: < 50 ms.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngineService } from '../core/engine/service';
import { launchChromium } from '../test/helpers/browser';
import { startWebHost } from '../web/host';
import { REPO_ROOT, ensureRendererBuilt } from '../web/renderer-build';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * 0.9)]!;
const ms = (x: number) => Math.round(x * 10) / 10;

export async function benchEditor(nodes = 500, edits = 12): Promise<Record<string, unknown>> {
  const staticDir = await ensureRendererBuilt();
  const service = createEngineService({ stateDir: mkdtempSync(join(tmpdir(), 'modulargan-bench-')), demoPath: join(REPO_ROOT, 'assets', 'demo', 'demo.mgproj.json'), host: 'web' });
  const host = await startWebHost({ service, staticDir });
  const browser = await launchChromium({ width: 1600, height: 1000 });
  try {
    const page = await browser.newPage();
    await page.goto(`${host.url}&test=1`);
    await page.waitForFunction(() => !!window.__studio);
    const t0 = Date.now();
    await page.evaluate((n) => window.__studio!.loadSynthetic(n), nodes);
    await page.waitForFunction((n) => document.querySelectorAll('.module-node').length >= n, nodes, { timeout: 60_000 });
    const loadMs = Date.now() - t0;
    const rendered = await page.evaluate(() => document.querySelectorAll('.module-node').length);
    const target = await page.evaluate(() => {
      const ts = window.__studio!.project().graph.nodes.filter((n) => n.kind === 'transformer');
      return ts[Math.floor(ts.length / 2)]!.id;
    });
    const samples: { validate: number; dom: number; paint: number; changed: boolean }[] = [];
    for (let i = 0; i < edits + 2; i++) {
      const s = await page.evaluate(([node, c]) => window.__studio!.timeEdit(node, c), [target, i % 2 === 0 ? 32 : 64] as const);
      if (i >= 2) samples.push(s); // two warm-up edits
    }
    const moves: number[] = [];
    for (let i = 0; i < edits; i++) moves.push(await page.evaluate(([node, dx]) => window.__studio!.timeMove(node, dx), [target, i % 2 ? -20 : 20] as const));
    const validate: number[] = [];
    for (let i = 0; i < edits; i++) validate.push(await page.evaluate(() => window.__studio!.validateMs()));
    const paint = samples.map((s) => s.paint);
    return {
      note: `Chromium ${browser.browser()?.version() ?? ''}, ${nodes}-node graph (image -> E -> (condition, T) x ${Math.floor((nodes - 4) / 2)} -> R -> output), all ${rendered} nodes on screen; edit = a transformer's base channels toggled 32/64`,
      target: 'edit to updated validation and render < 50 ms',
      nodesRendered: rendered,
      loadMs,
      validateGraphMs: { median: ms(median(validate)), p90: ms(p90(validate)) },
      editToValidatedMs: { median: ms(median(samples.map((s) => s.validate))) },
      editToDomMs: { median: ms(median(samples.map((s) => s.dom))), p90: ms(p90(samples.map((s) => s.dom))) },
      editToPaintMs: { median: ms(median(paint)), p90: ms(p90(paint)), max: ms(Math.max(...paint)) },
      moveToPaintMs: { median: ms(median(moves)), p90: ms(p90(moves)) },
      allEditsChangedTheDom: samples.every((s) => s.changed),
      meetsTarget: median(paint) < 50,
    };
  } finally {
    await browser.close();
    await service.close();
    await host.close();
  }
}
