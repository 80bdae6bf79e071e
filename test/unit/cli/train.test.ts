// `modulargan train` as a user runs it: a child process on the tiny ColorMNIST project.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../core/graph/format/project';
import { validateGraph } from '../../../core/graph/validate';
import { asRunnable, readLog, tinyProject } from '../../helpers/training';

const root = new URL('../../../', import.meta.url).pathname;
const cli = (...args: string[]) =>
  promisify(execFile)(process.execPath, [join(root, 'bin/modulargan.mjs'), 'train', ...args]).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

describe('modulargan train', () => {
  // Runnable as well as trainable (noise, conditions and an output), so its export can run.
  const file = tinyProject(asRunnable);
  const run = join(dirname(file), 'tiny.train');

  it('trains, then resumes from the latest checkpoint', async () => {
    const first = await cli(file, '--iterations', '4', '--stop-after', '2', '--backend', 'wasm');
    expect(first.out).toContain('backend: wasm');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/stopped at iteration 2; log, samples and checkpoints in .*tiny\.train/);
    expect(existsSync(join(run, 'checkpoints', 'iter-000002', 'manifest.json'))).toBe(true);
    const second = await cli(file, '--iterations', '4', '--resume', '--backend', 'wasm');
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/resumed from .*iter-000002 at iteration 2/);
    expect(second.out).toMatch(/finished at iteration 4/);
    expect(readLog(join(run, 'log.jsonl')).map((r) => r.iteration)).toEqual([0, 1, 2, 3]);
  }, 120_000);

  it('exports the trained modules with a project that runs them', async () => {
    const mg = (...args: string[]) =>
      promisify(execFile)(process.execPath, [join(root, 'bin/modulargan.mjs'), ...args]).then(
        (r) => ({ code: 0, out: r.stdout }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      );
    const out = join(dirname(file), 'shipped');
    const exported = await mg('export', file, '-o', out, '--half', '--checkpoint', '2');
    expect(exported.out).toMatch(/wrote .*shipped\/tiny\.mgproj\.json: iteration 2, 4 modules, \d+ KB in half precision/);
    expect(exported.code).toBe(0);
    const project = loadProject(readFileSync(join(out, 'tiny.mgproj.json'), 'utf8'));
    if (!project.ok) throw new Error(JSON.stringify(project.errors));
    const modules = project.value.value.graph.nodes.filter((n) => typeof n.params.weights === 'string' && n.params.weights);
    expect(modules.map((n) => n.params.weights).sort()).toEqual(['G.mgw', 'R.mgw', 'T_background.mgw', 'T_color.mgw']);
    // No discriminators or optimiser state: only what inference needs.
    expect(readdirSync(out).sort()).toEqual(['G.mgw', 'R.mgw', 'T_background.mgw', 'T_color.mgw', 'tiny.mgproj.json']);
    const ran = await mg('run', join(out, 'tiny.mgproj.json'), '-o', join(out, 'images'), '--count', '2', '-q');
    expect(ran.code, ran.out).toBe(0);
    const missing = await mg('export', file, '-o', join(dirname(file), 'x'), '--checkpoint', '3');
    expect(missing).toMatchObject({ code: 1, out: expect.stringMatching(/there is no checkpoint '3' .*there are: latest, best, 2, 4/) });
  }, 120_000);

  it('explains what it cannot do', async () => {
    expect(await cli(file, '--iterations', 'many')).toMatchObject({ code: 1, out: expect.stringContaining("--iterations must be a whole number of at least 1, got 'many'") });
    expect(await cli(file, '--backend', 'quantum')).toMatchObject({ code: 1, out: expect.stringContaining('--backend must be auto') });
    expect(await cli(join(root, 'nope.mgproj.json'), '--backend', 'wasm')).toMatchObject({ code: 1, out: expect.stringContaining('does not exist') });
  }, 60_000);

  it('exits 3 and names the loss when one becomes NaN or infinite', async () => {
    const bad = tinyProject((p) => ((p.training as Record<string, unknown>).lambdaGp = 1e300));
    const r = await cli(bad, '--backend', 'wasm');
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/error: loss 'd_total' is Infinity at iteration 0/);
  }, 60_000);
});

describe('the 2-hour ColorMNIST project', () => {
  /** A shipped project, loaded and checked: its graph must validate with no diagnostics. */
  function shipped(name: string) {
    const r = loadProject(readFileSync(join(root, 'assets/projects', name), 'utf8'));
    if (!r.ok) throw new Error(`${name} does not load`);
    const p = r.value.value;
    expect(validateGraph(p.graph).diagnostics).toEqual([]);
    return p;
  }

  it('is a valid generation project sized for the budget', () => {
    const p = shipped('colormnist-32.mgproj.json');
    expect(p.training).toMatchObject({ mode: 'generation', dataset: 'colormnist', batchSize: 16 });
    expect(p.datasets[0]).toMatchObject({ source: 'colormnist', imageSize: 32 });
  });

  it('has a valid one-transformer pilot that keeps its earlier settings', () => {
    const p = shipped('colormnist-32.pilot.mgproj.json');
    expect(p.graph.nodes.filter((n) => n.kind === 'transformer').map((n) => n.id)).toEqual(['T_color']);
    expect(p.training).toMatchObject({ mode: 'generation', iterations: 2000, learningRate: 0.0002, dBaseChannels: 16 });
    expect(p.training?.lambdaClsFake).toBeUndefined();
  });

  it("retrains the style transformer on the main run's final checkpoint, G and R frozen", () => {
    const main = shipped('colormnist-32.mgproj.json');
    const p = shipped('colormnist-32.style.mgproj.json');
    const final = `colormnist-32.train/checkpoints/iter-${String(main.training!.iterations).padStart(6, '0')}`;
    const params = (id: string) => p.graph.nodes.find((n) => n.id === id)!.params;
    expect(p.training!.frozen).toEqual(['G', 'R']);
    for (const id of ['G', 'T_color', 'T_background', 'R']) expect(params(id).weights).toBe(`${final}/${id}.mgw`);
    expect(params('T_style').weights).toBeUndefined();
    expect(params('T_style').maskGain).toBeCloseTo(1 / Math.sqrt(49 * 4 * 32), 3);
    // The same graph and settings as the main run otherwise.
    expect(p.graph.nodes.map((n) => n.id)).toEqual(main.graph.nodes.map((n) => n.id));
    const rest = (t: NonNullable<typeof p.training>) => ({ ...t, iterations: 0, decayFrom: 0, frozen: [] });
    expect(rest(p.training!)).toEqual(rest(main.training!));
  });
});
