// training.monitor: the FID and accuracies logged during training are the numbers
// `modulargan eval` gives for the checkpoint written at that iteration.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { colorMnist } from '../../core/data/colormnist';
import { type EvalOptions, evaluateProject } from '../../core/eval/evaluate';
import { variantFile } from '../../core/eval/runs';
import { createTrainingMonitor } from '../../core/eval/monitor';
import { readIndex } from '../../core/train/checkpoint';
import { runTraining } from '../../core/train/run';
import { trainProject } from '../../core/engine/train';
import { SYNTHETIC_FACES } from '../../core/graph/attributes';
import { asTranslation, readLog, tinyProject } from '../helpers/training';
import { useCpuBackend } from '../helpers/tf';

beforeAll(useCpuBackend);

const monitor = { every: 3, images: 12, seed: 2, classifierIterations: 6, classifierWidth: 2 };

/** `modulargan eval` of the project alone, with the monitor's items, seed and classifier. */
const evalAsMonitored = (file: string, dir: string, more: Partial<EvalOptions> = {}) =>
  evaluateProject(file, {
    reportDir: join(dirname(file), dir),
    maxImages: monitor.images,
    seed: monitor.seed,
    classifierIterations: monitor.classifierIterations,
    classifierWidth: monitor.classifierWidth,
    baseline: 'skip',
    ...more,
  });

describe('training.monitor', () => {
  it('logs eval FID and accuracies every N iterations that equal a separate eval of that checkpoint, and can pick the best by FID', async () => {
    const file = tinyProject((p) => {
      for (const n of (p.graph as { nodes: { kind: string; params: Record<string, unknown> }[] }).nodes) if (n.kind !== 'transformer') n.params.imageSize = 16;
      (p.datasets as Record<string, unknown>[])[0]!.imageSize = 16;
      Object.assign(p.training as object, { iterations: 6, batchSize: 2, nCritic: 1, checkpointEvery: 100, sampleEvery: 100, dDepth: 2, monitor: { ...monitor, best: 'fid' } });
    });
    const project = JSON.parse(readFileSync(file, 'utf8')) as { datasets: { imageSize: number; seed?: number }[] };
    const dataset = colorMnist({ imageSize: 16, seed: project.datasets[0]!.seed ?? 0 });
    const m = await createTrainingMonitor(file, dataset, monitor, () => {});
    const progress: Record<string, number>[] = [];
    try {
      const r = await runTraining(file, { iterations: 3, measure: (model) => m.measure(model), onProgress: (p) => progress.push(p.losses) });
      expect(r.status).toBe('done');
    } finally {
      m.dispose();
    }
    const log = readLog(join(dirname(file), 'tiny.train', 'log.jsonl'));
    // Only the iteration that completes every 3rd carries the measurement.
    expect(log.map((l) => 'eval_fid' in l)).toEqual([false, false, true]);
    const logged = log[2]!;
    expect(Object.keys(logged).filter((k) => k.startsWith('eval_')).sort()).toEqual(['eval_acc_background', 'eval_acc_color', 'eval_error', 'eval_fid', 'eval_kept']);
    expect(progress[2]!.eval_fid).toBe(logged.eval_fid);
    // The measured checkpoint is the best by FID.
    const index = await readIndex(join(dirname(file), 'tiny.train', 'checkpoints'));
    expect(index.best).toBe('iter-000003');
    expect(index.checkpoints.find((c) => c.path === 'iter-000003')!.score).toBeCloseTo(logged.eval_fid!, 9);

    // A separate evaluation of that checkpoint, with the same items, seed and classifier.
    const { report } = await evalAsMonitored(file, 'report');
    const fid = report.fid.find((f) => f.method === 'ModularGAN')!.value!;
    expect(fid).toBeCloseTo(logged.eval_fid!, 6);
    const modular = report.classificationError.rows.find((r) => r.method === 'ModularGAN')!;
    expect(modular.values.CB).toBeCloseTo(logged.eval_error!, 9);
    const each = report.attributeAccuracy!.rows.find((r) => r.method === 'ModularGAN')!.values;
    expect(each.color).toBeCloseTo(logged.eval_acc_color!, 9);
    expect(each.background).toBeCloseTo(logged.eval_acc_background!, 9);
    const kept = Object.values(report.preservation.rows.find((r) => r.method === 'ModularGAN')!.values) as number[];
    expect(kept.length).toBeGreaterThan(1);
    expect(logged.eval_kept).toBeCloseTo(Math.min(...kept), 9);

    // One more iteration, unmeasured: the newest checkpoint is no longer the best, and eval
    // --checkpoint picks either by name.
    expect((await runTraining(file, { iterations: 4, resume: true })).status).toBe('done');
    const evalOf = (checkpoint?: 3 | 5 | 'best') =>
      evalAsMonitored(file, `report-${checkpoint ?? 'newest'}`, checkpoint === undefined ? {} : { checkpoint }).then((r) => ({ iteration: r.report.runs[0]!.iteration, fid: r.report.fid[0]!.value! }));
    expect((await evalOf()).iteration).toBe(4);
    for (const which of ['best', 3] as const) {
      const r = await evalOf(which);
      expect(r.iteration, String(which)).toBe(3);
      expect(r.fid, String(which)).toBeCloseTo(logged.eval_fid!, 6);
    }
    await expect(evalOf(5)).rejects.toThrow(/tiny\.train: no checkpoint of iteration 5; it keeps 3, 4 \(best: iter-000003\)/);
  }, 180_000);

  it('is set up by the engine for every front door that trains (modulargan train, the studio)', async () => {
    const file = tinyProject((p) => {
      for (const n of (p.graph as { nodes: { kind: string; params: Record<string, unknown> }[] }).nodes) if (n.kind !== 'transformer') n.params.imageSize = 16;
      (p.datasets as Record<string, unknown>[])[0]!.imageSize = 16;
      Object.assign(p.training as object, { iterations: 2, batchSize: 2, nCritic: 1, checkpointEvery: 100, sampleEvery: 100, dDepth: 2, monitor: { ...monitor, every: 2 } });
    });
    const lines: string[] = [];
    const out = await trainProject({ file, backend: 'cpu' }, { log: (l) => lines.push(l) });
    expect(out.engine).toBe('builtin');
    expect(lines.some((l) => /monitoring every 2 iterations/.test(l))).toBe(true);
    const log = readLog(join(dirname(file), 'tiny.train', 'log.jsonl'));
    expect(log.map((l) => typeof l.eval_fid === 'number')).toEqual([false, true]);
  }, 120_000);

  it("eval --checkpoint best compares every method at its own best: variants eval trains are monitored as the project asks, and a different criterion is noted", async () => {
    const file = tinyProject((p) => {
      asTranslation(p);
      for (const n of (p.graph as { nodes: { kind: string; params: Record<string, unknown> }[] }).nodes) if (n.kind !== 'transformer') n.params.imageSize = 16;
      (p.datasets as Record<string, unknown>[])[0]!.imageSize = 16;
      Object.assign(p.training as object, { iterations: 4, batchSize: 2, nCritic: 1, checkpointEvery: 2, sampleEvery: 100, dDepth: 2, monitor: { ...monitor, every: 2, best: 'fid' } });
    }, 'best');
    await trainProject({ file, backend: 'cpu' });
    const evalBest = (name: string) =>
      evalAsMonitored(file, name, { baseline: 'train', checkpoint: 'best', noCycle: 'train' }).then((r) => r.report);
    const first = await evalBest('report-1');
    const runOf = (report: typeof first, method: string) => report.runs.find((r) => r.method === method)!;
    expect(first.runs.filter((r) => r.note)).toEqual([]);
    for (const v of ['stargan', 'nocycle'] as const) {
      const runDir = variantFile(file, v).replace(/\.mgproj\.json$/, '.train');
      // Measured at 2 and 4 as the project's monitor asks.
      expect(readLog(join(runDir, 'log.jsonl')).map((l) => typeof l.eval_fid === 'number')).toEqual([false, true, false, true]);
      expect((await readIndex(join(runDir, 'checkpoints'))).best).toMatch(/^iter-00000[24]$/);
    }
    // One more baseline iteration, unmeasured: its newest is no longer a candidate, and best
    // still names the monitored one.
    const baselineFile = variantFile(file, 'stargan');
    const baselineDir = baselineFile.replace(/\.mgproj\.json$/, '.train');
    expect((await runTraining(baselineFile, { iterations: 5, resume: true })).status).toBe('done');
    const best = Number((await readIndex(join(baselineDir, 'checkpoints'))).best!.slice(5));
    const second = await evalBest('report-2');
    expect(runOf(second, 'StarGAN baseline').iteration).toBe(best);
    expect(runOf(second, 'StarGAN baseline').note).toBeUndefined();

    // A baseline trained without the monitor names its best by its losses: compared all the
    // same, with the difference said.
    const project = JSON.parse(readFileSync(baselineFile, 'utf8')) as { training: Record<string, unknown> };
    delete project.training.monitor;
    writeFileSync(baselineFile, JSON.stringify(project));
    expect((await runTraining(baselineFile, { restart: true })).status).toBe('done');
    const third = await evalBest('report-3');
    expect(runOf(third, 'StarGAN baseline').note).toMatch(/its best checkpoint is chosen by the reconstruction and cycle losses, the ModularGAN run's by the monitored FID/);
    expect(runOf(third, 'ModularGAN, λ_cyc = 0').note).toBeUndefined();
  }, 180_000);

  it('on synthetic faces also logs identity: the worst target\'s L1 to the exact counterfactual, as eval gives it', async () => {
    const file = tinyProject((p) => {
      asTranslation(p);
      p.datasets = [{ id: 'faces', source: 'synthetic-faces', imageSize: 16, seed: 1 }];
      for (const n of (p.graph as { nodes: { kind: string; params: Record<string, unknown> }[] }).nodes) if (n.kind !== 'transformer') n.params.imageSize = 16;
      Object.assign(p.training as object, { dataset: 'faces', iterations: 2, batchSize: 2, nCritic: 1, checkpointEvery: 100, sampleEvery: 100, dDepth: 2, monitor: { ...monitor, every: 2 } });
      const nodes = (p.graph as { nodes: { id: string; params: Record<string, unknown> }[] }).nodes;
      nodes.find((n) => n.id === 'T_color')!.params.attributes = [SYNTHETIC_FACES.hair];
      nodes.find((n) => n.id === 'T_background')!.params.attributes = [SYNTHETIC_FACES.smiling];
    }, 'faces-monitor');
    await trainProject({ file, backend: 'cpu' });
    const logged = readLog(join(dirname(file), 'faces-monitor.train', 'log.jsonl'))[1]!;
    expect(logged.eval_l1).toBeGreaterThan(0);
    const { report } = await evalAsMonitored(file, 'report');
    const l1 = report.counterfactual!.filter((c) => c.method === 'ModularGAN').map((c) => c.scores.l1);
    expect(l1).toHaveLength(3);
    expect(logged.eval_l1).toBeCloseTo(Math.max(...l1), 9);
  }, 180_000);
});
