// The report page: index.html beside report.json and the PNGs it shows. Tables in the
// paper's Table 2 layout, sample grids, mask sums, and loss curves drawn by uPlot, whose
// script and stylesheet are inlined so the page works offline from file://.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { EvalReport } from './report-schema';

export interface LossSeries {
  readonly method: string;
  /** Column names: "iteration" first, then losses. */
  readonly columns: readonly string[];
  /** One array per column, nulls where an iteration has no value (D-only iterations). */
  readonly data: readonly (readonly (number | null)[])[];
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const num = (v: number, d = 3) => v.toFixed(d);

function table(t: EvalReport['classificationError'], fmt: (v: number) => string): string {
  const head = `<tr><th>method</th>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const rows = t.rows.map((r) =>
    r.status === 'ok'
      ? `<tr><td>${esc(r.method)}</td>${t.columns.map((c) => `<td>${r.values[c] === undefined ? '–' : fmt(r.values[c])}</td>`).join('')}</tr>`
      : `<tr><td>${esc(r.method)}</td><td colspan="${t.columns.length}" class="na">${esc(r.status)}${r.note ? `: ${esc(r.note)}` : ''}</td></tr>`,
  );
  return `<table>${head}${rows.join('')}</table>`;
}

/** Keeps a JSON string from closing the script element it is embedded in. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

async function uplotAssets(): Promise<{ js: string; css: string }> {
  const require = createRequire(import.meta.url);
  const js = await readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = await readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  return { js, css };
}

export async function reportHtml(r: EvalReport, losses: readonly LossSeries[]): Promise<string> {
  const { js, css } = await uplotAssets();
  const acc = Object.entries(r.classifier.accuracy).map(([g, v]) => `<tr><td>${esc(g)}</td><td>${pct(v)}</td></tr>`).join('');
  const pixelTable = (rows: NonNullable<EvalReport['identity']>, second: string) =>
    `<table><tr><th>method</th><th>${second}</th><th>L1</th><th>PSNR (dB)</th><th>SSIM</th></tr>${rows
      .map((c) => `<tr><td>${esc(c.method)}</td><td>${esc(c.target)}</td><td>${num(c.scores.l1)}</td><td>${num(c.scores.psnr, 2)}</td><td>${num(c.scores.ssim)}</td></tr>`)
      .join('')}</table>`;
  const cf = r.counterfactual
    ? `<h2>Counterfactual error (synthetic faces)</h2>${pixelTable(r.counterfactual, 'target')}${
        r.counterfactualByChange ? `<h3>L1 to the exact answer per change asked for, each attribute changed alone (lower is better)</h3>${table(r.counterfactualByChange, (v) => num(v, 4))}` : ''
      }`
    : '';
  const identity = r.identity?.length
    ? `<h2>Identity: nothing asked to change</h2><p>The output against the input; "none" is R(E(x)) with no transformer, a target's code its transformers asked for the input's own values.</p>${pixelTable(r.identity, 'transformers')}`
    : '';
  const orders = r.orderAblation.length
    ? `<h2>Order of modules (full chain)</h2><table><tr><th>order</th><th>error</th><th>kept</th>${r.counterfactual ? '<th>L1</th><th>PSNR</th><th>SSIM</th>' : ''}</tr>${r.orderAblation
        .map(
          (o) =>
            `<tr><td>${esc(o.order)}</td><td>${pct(o.error)}</td><td>${o.kept === undefined ? '–' : pct(o.kept)}</td>${o.counterfactual ? `<td>${num(o.counterfactual.l1)}</td><td>${num(o.counterfactual.psnr, 2)}</td><td>${num(o.counterfactual.ssim)}</td>` : ''}</tr>`,
        )
        .join('')}</table>`
    : '';
  // Per target as well: a distance that grows with the chain's length shows where realism is lost.
  const fidTargets = r.targets.map((t) => t.code).filter((c) => r.fid.some((f) => f.byTarget?.[c] !== undefined));
  const fid = `<table><tr><th>method</th><th>FID (classifier features)</th>${fidTargets.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${r.fid
    .map(
      (f) =>
        `<tr><td>${esc(f.method)}</td><td>${f.value === null ? esc(f.status) : num(f.value, 2)}</td>${fidTargets.map((c) => `<td>${f.byTarget?.[c] === undefined ? '–' : num(f.byTarget[c]!, 2)}</td>`).join('')}</tr>`,
    )
    .join('')}</table>`;
  const images = r.images
    // Shown 3× (at most the page width): 32 px tiles are too small to judge at 1×.
    .map((im) => `<figure><img src="${esc(im.file)}" alt="${esc(im.title)}" width="${Math.min(1150, 3 * im.columns.length * r.dataset.imageSize)}"><figcaption>${esc(im.title)}: columns ${im.columns.map(esc).join(', ')}</figcaption></figure>`)
    .join('');
  const defs = Object.entries(r.definitions).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('');
  const runs = r.runs
    .map((x) => `<tr><td>${esc(x.method)}</td><td>${esc(x.status)}</td><td>${x.iteration ?? '–'}</td><td>${esc([x.projectFile, x.note].filter(Boolean).join(' — '))}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Evaluation: ${esc(r.project)}</title>
<style>${css}
body{font:14px system-ui,sans-serif;margin:24px;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}.na{color:#888;text-align:left}
img{image-rendering:pixelated;max-width:100%;border:1px solid #ddd}figure{margin:0 0 20px}dt{font-weight:600}
</style></head><body>
<h1>Evaluation of ${esc(r.project)}</h1>
<p>${esc(r.dataset.title)}, ${r.mode}, ${r.dataset.testImages} test images; made ${esc(r.createdAt)}.</p>
<h2>Runs</h2><table><tr><th>method</th><th>status</th><th>iteration</th><th>project</th></tr>${runs}</table>
<h2>Attribute classifier (held-out real images)</h2>
<p>ResNet-18-style, width ${r.classifier.width}, ${r.classifier.iterations} iterations${r.classifier.seed === undefined ? '' : `, seed ${r.classifier.seed}`}${r.classifier.reused ? ' (reused)' : ''}, ${r.classifier.testImages} test images.
${r.classifier.meetsMinimum ? '' : `<strong>Below the ${pct(r.classifier.minimumAccuracy)} accuracy wanted for some attribute: the errors below are an upper bound partly made of classifier mistakes.</strong>`}</p>
<table><tr><th>attribute</th><th>accuracy</th></tr>${acc}</table>
<h2>Classification error of translations (lower is better)</h2>${table(r.classificationError, pct)}
<h2>Attributes kept that should not change (higher is better)</h2>${table(r.preservation, pct)}
${r.attributeAccuracy ? `<h2>Each asked-for attribute, whole chain (higher is better)</h2>${table(r.attributeAccuracy, pct)}` : ''}
${r.errorByAsked ? `<h2>Classification error per value asked for, each attribute changed alone (lower is better)</h2>${table(r.errorByAsked, pct)}` : ''}
${r.keptByValue ? `<h2>G's condition kept per value, whole chain (higher is better)</h2>${table(r.keptByValue, pct)}` : ''}
<h2>Fréchet distance on classifier features</h2>${fid}
${cf}${identity}${orders}
<h2>Mask ablation: classification error</h2>${table(r.maskAblation, pct)}
<h2>Cycle-loss ablation: classification error</h2>${table(r.cycleAblation, pct)}
<h2>Samples and masks</h2>${images}
<h2>Training losses</h2><div id="plots"></div>
<h2>Definitions</h2><dl>${defs}</dl>
<script>${js}</script>
<script>
const series = ${scriptJson(losses)};
const colours = ['#1f77b4','#d62728','#2ca02c','#9467bd','#ff7f0e','#8c564b','#e377c2','#7f7f7f','#17becf','#bcbd22','#333'];
for (const s of series) {
  const box = document.createElement('div');
  const h = document.createElement('h3');
  h.textContent = s.method;
  box.appendChild(h);
  document.getElementById('plots').appendChild(box);
  new uPlot({ width: 1000, height: 280, scales: { x: { time: false } },
    series: [{ label: 'iteration' }, ...s.columns.slice(1).map((c, i) => ({ label: c, stroke: colours[i % colours.length], spanGaps: true }))] },
    s.data, box);
}
</script>
</body></html>
`;
}
