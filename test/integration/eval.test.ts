// The whole evaluation end to end on tiny models trained for a few iterations (wasm): the
// classifier, the ModularGAN run, the StarGAN-style baseline trained here, the report's
// structure, every number finite and in range, and the HTML page with its pictures. Once on
// ColorMNIST generation (through the CLI), once on synthetic-faces translation (counterfactual
// metrics, order ablation, the no-cycle variant).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { evalCommand, summaryLines } from '../../cli/eval';
import { evaluateProject } from '../../core/eval/evaluate';
import { reportSchema } from '../../core/eval/report-schema';
import { spreadItems } from '../../core/eval/protocol';
import { targetValue } from '../../core/eval/translate';
import { baselineGraph, loadRun, projectDataset, readProject, variantFile } from '../../core/eval/runs';
import { l1Distance } from '../../core/eval/image-metrics';
import { loadItems } from '../../core/eval/classifier-train';
import { translate } from '../../core/eval/translate';
import { readProjectFile } from '../../core/files/documents';
import { readWeightsFile } from '../../core/files/weights-file';
import { SYNTHETIC_FACES } from '../../core/graph/attributes';
import { initBackend } from '../../core/runtime/backends';
import { runTraining } from '../../core/train/run';
import { asTranslation, tinyProject } from '../helpers/training';

const root = new URL('../../', import.meta.url).pathname;

beforeAll(async () => {
  await initBackend('wasm', { probeAll: false });
}, 60_000);

/** Every number anywhere in a JSON value. */
const numbers = (v: unknown): number[] =>
  typeof v === 'number' ? [v] : Array.isArray(v) ? v.flatMap(numbers) : v && typeof v === 'object' ? Object.values(v).flatMap(numbers) : [];

function checkReport(dir: string) {
  const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as unknown;
  const report = reportSchema.parse(json);
  expect(numbers(json).every(Number.isFinite)).toBe(true);
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  for (const im of report.images) {
    expect(existsSync(join(dir, im.file)), im.file).toBe(true);
    expect(html).toContain(`src="${im.file}"`);
  }
  // uPlot is inlined: the page needs nothing from the network.
  expect(html).toContain('uPlot');
  expect(html).not.toMatch(/<script src=|<link [^>]*href="http/);
  return report;
}

describe('eval on a tiny ColorMNIST generation model', () => {
  it('trains the baseline, classifies, and writes a complete report (CLI)', async () => {
    const file = tinyProject((p) => Object.assign(p.training as object, { iterations: 4, checkpointEvery: 4, sampleEvery: 4 }));
    expect((await runTraining(file)).status).toBe('done');
    const out = join(dirname(file), 'report');
    const r = await promisify(execFile)(process.execPath, [
      join(root, 'bin/modulargan.mjs'), 'eval', file, '--report', out, '--iterations-classifier', '4', '--classifier-width', '2', '--max-images', '6', '--backend', 'wasm',
    ]);
    expect(r.stdout).toContain('report written to');
    const report = checkReport(out);
    expect(report.mode).toBe('generation');
    expect(report.classificationError.columns).toEqual(['C', 'B', 'CB']);
    expect(report.classificationError.rows.map((x) => [x.method, x.status])).toEqual([['ModularGAN', 'ok'], ['StarGAN baseline', 'ok']]);
    // Per attribute under the whole chain; an item right on both is right on each, so no column is below 1 − error(CB).
    const each = report.attributeAccuracy!;
    expect(each.columns).toEqual(['color', 'background']);
    const modular = each.rows[0]!.values;
    expect(Math.min(modular.color!, modular.background!)).toBeGreaterThanOrEqual(1 - report.classificationError.rows[0]!.values.CB! - 1e-9);
    expect(r.stdout).toMatch(/each asked-for attribute read as asked, whole chain \(color, background\):\n  ModularGAN: [\d.]+%, [\d.]+%/);
    // FID overall and per target, as the report's table has it.
    expect(r.stdout).toMatch(/FID on the classifier's features \(all targets, C, B, CB\):\n  ModularGAN: [\d.]+, [\d.]+, [\d.]+, [\d.]+\n  StarGAN baseline: [\d.]+, /);
    // The digit per value under the whole chain: the overall rate is their weighted mean.
    const byDigit = report.keptByValue!;
    expect(byDigit.columns).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const perDigit = Object.values(byDigit.rows[0]!.values);
    expect(perDigit.length).toBeGreaterThan(0);
    const keptCB = report.preservation.rows[0]!.values.CB!;
    expect(keptCB).toBeGreaterThanOrEqual(Math.min(...perDigit) - 1e-9);
    expect(keptCB).toBeLessThanOrEqual(Math.max(...perDigit) + 1e-9);
    expect(r.stdout).toMatch(/G's condition read as asked per value, whole chain \(0, 1, 2, 3, 4, 5, 6, 7, 8, 9\):\n  ModularGAN: /);
    expect(report.runs[1]!.iteration).toBe(4);
    expect(report.cycleAblation.rows[1]!.status).toBe('not applicable');
    expect(report.counterfactual).toBeNull();
    expect(report.identity).toBeUndefined();
    expect(report.orderAblation.map((o) => o.order)).toEqual(['color → background', 'background → color']);
    expect(Object.keys(report.classifier.accuracy)).toEqual(['digit', 'color', 'style', 'background']);
    // The baseline project is a valid project with one transformer conditioned on both groups.
    const baseline = await readProjectFile(variantFile(file, 'stargan'));
    expect(baseline.ok).toBe(true);
    // A second run reuses the classifier and the baseline.
    const again = await promisify(execFile)(process.execPath, [
      join(root, 'bin/modulargan.mjs'), 'eval', file, '--report', out, '--iterations-classifier', '4', '--classifier-width', '2', '--max-images', '4', '--backend', 'wasm',
    ]);
    expect(again.stdout).toContain('reusing the attribute classifier');
    expect(again.stdout).toContain('reusing the trained stargan variant');
    // The classifier alone, with no report: the same one, and its accuracy.
    const only = await promisify(execFile)(process.execPath, [
      join(root, 'bin/modulargan.mjs'), 'eval', file, '--classifier-only', '--iterations-classifier', '4', '--classifier-width', '2', '--backend', 'wasm',
    ]);
    expect(only.stdout).toContain('reusing the attribute classifier');
    expect(only.stdout).toMatch(/classifier accuracy on held-out real images: digit [\d.]+%, color [\d.]+%, style [\d.]+%, background [\d.]+%/);
    // Another seed trains its own classifier beside the first, which stays as it was and is
    // still reused (an eval with another seed once replaced a demo's shipped classifier).
    const evalFolder = file.replace(/\.mgproj\.json$/, '.eval');
    const first = await readFile(join(evalFolder, 'classifier-w2-i4', 'classifier.bin'));
    const seeded = await promisify(execFile)(process.execPath, [
      join(root, 'bin/modulargan.mjs'), 'eval', file, '--classifier-only', '--iterations-classifier', '4', '--classifier-width', '2', '--seed', '1', '--backend', 'wasm',
    ]);
    expect(seeded.stdout).toContain('training the attribute classifier');
    expect(await readFile(join(evalFolder, 'classifier-seed1-w2-i4', 'classifier.bin'))).not.toEqual(first);
    expect(await readFile(join(evalFolder, 'classifier-w2-i4', 'classifier.bin'))).toEqual(first);
    const back = await promisify(execFile)(process.execPath, [
      join(root, 'bin/modulargan.mjs'), 'eval', file, '--classifier-only', '--iterations-classifier', '4', '--classifier-width', '2', '--backend', 'wasm',
    ]);
    expect(back.stdout).toContain('reusing the attribute classifier');
    // Other targets, the same classifier: --classifier-seed keeps it while --seed changes the
    // rest, and the report names the classifier's seed.
    const other = join(dirname(file), 'report-seed1');
    const sameClassifier = await promisify(execFile)(process.execPath, [
      join(root, 'bin/modulargan.mjs'), 'eval', file, '--report', other, '--iterations-classifier', '4', '--classifier-width', '2', '--max-images', '4', '--seed', '1', '--classifier-seed', '0', '--backend', 'wasm',
    ]);
    expect(sameClassifier.stdout).toContain(`reusing the attribute classifier in ${join(evalFolder, 'classifier-w2-i4')}`);
    expect(checkReport(other).classifier.seed).toBe(0);
    expect(report.classifier.seed).toBe(0);
  }, 120_000);
});

describe('eval on a tiny synthetic-faces translation model', () => {
  it('measures counterfactual error, module orders and the no-cycle variant', async () => {
    const file = tinyProject((p) => {
      asTranslation(p);
      p.datasets = [{ id: 'faces', source: 'synthetic-faces', imageSize: 32, seed: 1 }];
      Object.assign(p.training as object, { dataset: 'faces', iterations: 2, checkpointEvery: 2, sampleEvery: 2 });
      const nodes = (p.graph as { nodes: { id: string; params: Record<string, unknown> }[] }).nodes;
      nodes.find((n) => n.id === 'T_color')!.params.attributes = [SYNTHETIC_FACES.hair];
      nodes.find((n) => n.id === 'T_background')!.params.attributes = [SYNTHETIC_FACES.smiling];
    }, 'faces');
    expect((await runTraining(file)).status).toBe('done');
    const out = join(dirname(file), 'report');
    const { report: r } = await evaluateProject(file, { reportDir: out, classifierIterations: 2, classifierWidth: 2, maxImages: 4, noCycle: 'train' });
    const report = checkReport(out);
    expect(report).toEqual(r);
    expect(report.classificationError.columns).toEqual(['H', 'S', 'HS']);
    expect(report.keptByValue).toBeUndefined();
    // Each attribute changed alone, per value asked for: the target's error is their weighted mean.
    const asked = report.errorByAsked!;
    expect(asked.columns).toEqual(['hair = black', 'hair = blond', 'hair = brown', 'smiling = 0', 'smiling = 1']);
    for (const [row, errors] of asked.rows.map((x, i) => [x.values, report.classificationError.rows[i]!.values] as const)) {
      for (const [g, code] of [['hair', 'H'], ['smiling', 'S']] as const) {
        const per = Object.entries(row).filter(([c]) => c.startsWith(`${g} = `)).map(([, v]) => v);
        expect(per.length).toBeGreaterThan(0);
        expect(errors[code]!).toBeGreaterThanOrEqual(Math.min(...per) - 1e-9);
        expect(errors[code]!).toBeLessThanOrEqual(Math.max(...per) + 1e-9);
      }
    }
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('Classification error per value asked for');
    expect(report.counterfactual!.map((c) => `${c.method}|${c.target}`)).toEqual(
      expect.arrayContaining(['ModularGAN|H', 'ModularGAN|HS', 'StarGAN baseline|S', 'ModularGAN, λ_cyc = 0|HS']),
    );
    // The command's summary prints them per method and target: the numbers the issue's bar reads.
    const summary = summaryLines(report);
    const l1Line = summary.indexOf('L1 / SSIM to the exact answer (H, S, HS):');
    expect(l1Line).toBeGreaterThanOrEqual(0);
    const cf = (m: string, t: string) => report.counterfactual!.find((c) => c.method === m && c.target === t)!.scores;
    expect(summary[l1Line + 1]).toBe(`  ModularGAN: ${['H', 'S', 'HS'].map((t) => `${cf('ModularGAN', t).l1.toFixed(4)} / ${cf('ModularGAN', t).ssim.toFixed(3)}`).join(', ')}`);
    expect(summary[l1Line + 2]).toMatch(/^  StarGAN baseline: [\d.]+ \/ -?[\d.]+, /);
    expect(report.orderAblation).toHaveLength(2);
    expect(report.orderAblation[0]!.counterfactual).toBeDefined();
    expect(report.cycleAblation.rows[1]!.status).toBe('ok');
    expect(report.maskAblation.rows.map((x) => x.status)).toEqual(['ok', 'ok']);
    expect(report.fid.every((f) => f.value !== null && f.value >= 0)).toBe(true);
    // Each method's distance per target too, shown as columns of the page's FID table.
    for (const f of report.fid) expect(Object.keys(f.byTarget!)).toEqual(['H', 'S', 'HS']);
    expect(new Set(Object.values(report.fid[0]!.byTarget!)).size).toBe(3);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toMatch(/FID \(classifier features\)<\/th><th>H<\/th><th>S<\/th><th>HS<\/th>/);
    expect(existsSync(join(out, 'masks.png'))).toBe(true);
    // Identity: nothing asked to change. 'none' is R(E(x)), measured here on its own; the
    // baseline's one transformer answers every other key with the same pass.
    const identity = (m: string) => Object.fromEntries(report.identity!.filter((c) => c.method === m).map((c) => [c.target, c.scores.l1]));
    const modular = identity('ModularGAN');
    expect(Object.keys(modular)).toEqual(['none', 'H', 'S', 'HS']);
    expect(modular.H).not.toBeCloseTo(modular.none!, 6);
    const base = identity('StarGAN baseline');
    expect(Object.keys(base)).toEqual(['none', 'H', 'S', 'HS']);
    expect(new Set([base.H, base.S, base.HS]).size).toBe(1);
    const dataset = await projectDataset(await readProject(file), file);
    const items = spreadItems(dataset.test, 4);
    const batch = await loadItems(dataset, items);
    const run = (await loadRun(file, dataset))!;
    const rec = await translate(run.model, 32, { ...batch, targets: batch.labels, items }, { chain: [], seed: 0 });
    const per = 32 * 32 * 3;
    const direct = items.reduce((a, _, i) => a + l1Distance(rec.images.subarray(i * per, (i + 1) * per), batch.images.subarray(i * per, (i + 1) * per)), 0) / items.length;
    expect(modular.none).toBeCloseTo(direct, 6);
    // L1 to the exact answer per change asked for: every hair change named, those the eval drew
    // (the same draw as here) filled in, and their mean weighted by how often each was drawn is
    // the H target's L1.
    const byChange = report.counterfactualByChange!;
    expect(byChange.columns).toEqual([
      'hair: black → blond', 'hair: black → brown', 'hair: blond → black', 'hair: blond → brown', 'hair: brown → black', 'hair: brown → blond', 'smiling: 0 → 1', 'smiling: 1 → 0',
    ]);
    expect(dataset.groups[0]!.name).toBe('hair');
    const len = batch.labels.length / batch.n;
    const drawn = new Map<string, number>();
    const HAIR = ['black', 'blond', 'brown'];
    items.forEach((item, i) => {
      const from = [0, 1, 2].reduce((a, v) => (batch.labels[i * len + v]! > batch.labels[i * len + a]! ? v : a), 0);
      const to = targetValue(SYNTHETIC_FACES.hair, from, item, 0);
      const name = `hair: ${HAIR[from]} → ${HAIR[to]}`;
      drawn.set(name, (drawn.get(name) ?? 0) + 1);
    });
    for (const row of byChange.rows) {
      expect(Object.keys(row.values).filter((c) => c.startsWith('hair')).sort()).toEqual([...drawn.keys()].sort());
      const weighted = [...drawn].reduce((a, [c, k]) => a + k * row.values[c]!, 0) / items.length;
      const target = report.counterfactual!.find((c) => c.method === row.method && c.target === 'H')!.scores.l1;
      expect(weighted).toBeCloseTo(target, 9);
    }
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('L1 to the exact answer per change asked for');
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('Identity: nothing asked to change');
    // The cycle ablation named as a project: the same run as the derived variant's, so the same
    // numbers; a project that trains with the cycle loss is refused by name.
    const named = await evaluateProject(file, { reportDir: join(dirname(file), 'report-named'), classifierIterations: 2, classifierWidth: 2, maxImages: 4, noCycle: { project: variantFile(file, 'nocycle') } });
    expect(named.report.cycleAblation).toEqual(report.cycleAblation);
    await expect(evaluateProject(file, { reportDir: join(dirname(file), 'report-bad'), classifierIterations: 2, classifierWidth: 2, maxImages: 4, noCycle: { project: file } })).rejects.toThrow(
      /faces\.mgproj\.json: the cycle ablation is a project trained without the cycle loss, this one trains with lambdaCyc \d+/,
    );
    const said: string[] = [];
    expect(await evalCommand(file, { report: join(dirname(file), 'report-both'), trainNoCycle: true, cycleAblation: variantFile(file, 'nocycle') }, (l) => said.push(l))).toBe(1);
    expect(said).toEqual([expect.stringMatching(/^error: --train-no-cycle trains the derived .* --cycle-ablation names another run: give one of them$/)]);
    // Variants trained as long as the run they are compared with carry no note; compared at a
    // larger budget than they were trained to (reused, not retrained), each says so.
    expect(report.runs.filter((x) => x.note)).toEqual([]);
    const lines: string[] = [];
    const longer = await evaluateProject(file, { reportDir: join(dirname(file), 'report-3'), classifierIterations: 2, classifierWidth: 2, maxImages: 2, variantIterations: 3, log: (l) => lines.push(l) });
    for (const method of ['StarGAN baseline', 'ModularGAN, λ_cyc = 0']) {
      const run = longer.report.runs.find((x) => x.method === method)!;
      expect(run.iteration).toBe(2);
      expect(run.note).toMatch(/has 2 iterations, fewer than the 3 it is compared at; continue it with 'modulargan train .*--resume'/);
      expect(lines.some((l) => l.startsWith(`warning: ${method}: `))).toBe(true);
    }
  }, 120_000);

  it("loads a run with a shared D as its trainer built it, the D from the checkpoint's D.mgw", async () => {
    const file = tinyProject((p) => {
      asTranslation(p);
      Object.assign(p.training as object, { iterations: 2, checkpointEvery: 2, sampleEvery: 2, sharedDiscriminator: true });
    }, 'shared');
    // Trained on wasm, which once failed here: the head's slots were gathered, and gather's
    // gradient needs a kernel wasm lacks.
    expect((await runTraining(file)).status).toBe('done');
    const dataset = await projectDataset(await readProject(file), file);
    const run = (await loadRun(file, dataset))!;
    // Built as one D with a view per transformer (not a fresh D per transformer), whose weights
    // are the checkpoint's.
    expect(run.model.sharedD!.module.params.weights).toBe(join(run.checkpoint, 'D.mgw'));
    expect(run.model.discriminators).toHaveLength(run.model.transformers.length);
    const saved = await readWeightsFile(join(run.checkpoint, 'D.mgw'));
    const [name, { values }] = [...saved.tensors][0]!;
    expect(Array.from(run.model.sharedD!.module.variables[name]!.dataSync())).toEqual(Array.from(values));
  }, 60_000);

  it('derives a one-transformer baseline graph', () => {
    const g = baselineGraph({
      nodes: [
        { id: 'E', kind: 'encoder', params: {} },
        { id: 'c1', kind: 'condition-input', params: {} },
        { id: 'T1', kind: 'transformer', params: { attributes: [SYNTHETIC_FACES.hair], resBlocks: 1 } },
        { id: 'T2', kind: 'transformer', params: { attributes: [SYNTHETIC_FACES.smiling], resBlocks: 1 } },
        { id: 'R', kind: 'reconstructor', params: {} },
      ],
      edges: [
        { id: 'a', from: { node: 'E', port: 'feature' }, to: { node: 'T1', port: 'feature' } },
        { id: 'b', from: { node: 'c1', port: 'condition' }, to: { node: 'T1', port: 'condition' } },
        { id: 'c', from: { node: 'T1', port: 'feature' }, to: { node: 'T2', port: 'feature' } },
        { id: 'd', from: { node: 'T2', port: 'feature' }, to: { node: 'R', port: 'feature' } },
      ],
    });
    expect(g.nodes.map((n) => n.id)).toEqual(['E', 'R', 'c_all', 'T_all']);
    expect((g.nodes.find((n) => n.id === 'T_all')!.params.attributes as unknown[]).length).toBe(2);
    expect(g.edges.map((e) => `${e.from.node}>${e.to.node}`)).toEqual(['E>T_all', 'c_all>T_all', 'T_all>R']);
  });
});
