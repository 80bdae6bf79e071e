// training.ema through a whole run: checkpoints hold the average beside the trained weights,
// a resumed run continues the same average, and everything that runs a checkpoint (load into
// graph, export, evaluation) takes the average.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readWeightsFile } from '../../../core/files/weights-file';
import { readProjectFile } from '../../../core/files/documents';
import { colorMnist } from '../../../core/data/colormnist';
import { checkpointWeightsFiles, inferenceWeights, latestCheckpoint, readCheckpointManifest } from '../../../core/train/checkpoint';
import { exportTrainedModules } from '../../../core/train/export';
import { runTraining } from '../../../core/train/run';
import { disposeModel } from '../../../core/train/model';
import { loadRun } from '../../../core/eval/runs';
import { tinyProject } from '../../helpers/training';
import { useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

const tiny = (ema?: number) =>
  tinyProject((p) => {
    for (const n of (p.graph as { nodes: { kind: string; params: Record<string, unknown> }[] }).nodes) if (n.kind !== 'transformer') n.params.imageSize = 16;
    (p.datasets as Record<string, unknown>[])[0]!.imageSize = 16;
    Object.assign(p.training as object, { batchSize: 2, nCritic: 1, checkpointEvery: 3, sampleEvery: 100, dDepth: 2, ...(ema ? { ema } : {}) });
  });

const values = async (file: string) => [...(await readWeightsFile(file)).tensors.values()].map((t) => Array.from(t.values));

describe('weight average in checkpoints', () => {
  it('writes ema-<id>.mgw for the generator side, resumes the average exactly, and runs the checkpoint with it', async () => {
    const file = tiny(0.9);
    const dir = dirname(file);
    await runTraining(file, { runDir: join(dir, 'a'), iterations: 6 });
    await runTraining(file, { runDir: join(dir, 'b'), iterations: 6, stopAfter: 3 });
    await runTraining(file, { runDir: join(dir, 'b'), iterations: 6, resume: true });
    const a = (await latestCheckpoint(join(dir, 'a', 'checkpoints')))!;
    const b = (await latestCheckpoint(join(dir, 'b', 'checkpoints')))!;
    const manifest = await readCheckpointManifest(a);
    // Generator side only: G, the transformers and R; discriminators keep no average.
    expect(Object.keys(manifest.ema ?? {}).sort()).toEqual(['G', 'R', 'T_background', 'T_color']);
    expect(manifest.ema!.T_color).toBe('ema-T_color.mgw');
    // The average is not the trained weights, and the interrupted run's average equals the uninterrupted one's.
    expect(await values(join(a, 'ema-T_color.mgw'))).not.toEqual(await values(join(a, 'T_color.mgw')));
    expect(await values(join(b, 'ema-T_color.mgw'))).toEqual(await values(join(a, 'ema-T_color.mgw')));
    expect(await values(join(b, 'R.mgw'))).toEqual(await values(join(a, 'R.mgw')));
    // What runs the checkpoint takes the average.
    expect(inferenceWeights(manifest).T_color).toBe('ema-T_color.mgw');
    expect(inferenceWeights(manifest).D_T_color).toBe('D_T_color.mgw');
    expect((await checkpointWeightsFiles(a, manifest)).get('G')).toBe(join(a, 'ema-G.mgw'));
    const exported = await exportTrainedModules(file, { runDir: join(dir, 'a'), out: join(dir, 'export') });
    const t = exported.modules.find((m) => m.node === 'T_color')!;
    expect(await values(join(dir, 'export', t.file))).toEqual(await values(join(a, 'ema-T_color.mgw')));
  }, 120_000);

  it('without training.ema the manifest has no average and the checkpoint runs with the trained weights', async () => {
    const file = tiny();
    const dir = dirname(file);
    await runTraining(file, { runDir: join(dir, 'a'), iterations: 3 });
    const a = (await latestCheckpoint(join(dir, 'a', 'checkpoints')))!;
    const manifest = await readCheckpointManifest(a);
    expect(manifest.ema).toBeUndefined();
    expect(inferenceWeights(manifest).T_color).toBe('T_color.mgw');
  }, 60_000);

  it('refuses a manifest whose average names a file other than its own', async () => {
    const file = tiny(0.5);
    const dir = dirname(file);
    await runTraining(file, { runDir: join(dir, 'a'), iterations: 3 });
    const a = (await latestCheckpoint(join(dir, 'a', 'checkpoints')))!;
    const m = JSON.parse(readFileSync(join(a, 'manifest.json'), 'utf8')) as { ema: Record<string, string> };
    m.ema.R = '../../../R.mgw';
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(a, 'manifest.json'), JSON.stringify(m));
    await expect(readCheckpointManifest(a)).rejects.toThrow(/module 'R' names "\.\.\/\.\.\/\.\.\/R\.mgw" as its averaged weights|refused: module 'R'/);
  }, 60_000);
});

describe('evaluating a project whose modules name their weights files', () => {
  it('loads those files when the project has no run folder, with the iteration they record', async () => {
    const file = tiny();
    const dir = dirname(file);
    await runTraining(file, { iterations: 3 });
    const exported = await exportTrainedModules(file, { out: join(dir, 'shipped') });
    const read = await readProjectFile(exported.project);
    if (!read.ok) throw new Error('export wrote an unreadable project');
    const project = read.value.value;
    const ref = project.datasets[0]!;
    const dataset = colorMnist({ imageSize: ref.imageSize, seed: ref.seed ?? 0, ...(ref.attributes?.length ? { groups: ref.attributes as never } : {}) });
    const run = await loadRun(exported.project, dataset);
    expect(run).toBeDefined();
    expect(run!.iteration).toBe(3);
    expect(run!.checkpoint).toBe(exported.project);
    // The model holds the exported weights.
    const t = exported.modules.find((m) => m.node === 'T_color')!;
    const fromFile = await values(join(dirname(exported.project), project.graph.nodes.find((n) => n.id === 'T_color')!.params.weights as string));
    const inModel = Object.values(run!.model.transformers.find((p) => p.id === 'T_color')!.module.variables).map((v) => Array.from(v.dataSync()));
    const sorted = (xs: number[][]) => xs.flat().sort((x, y) => x - y);
    expect(sorted(inModel)).toEqual(sorted(fromFile));
    expect(t.file).toMatch(/T_color\.mgw$/);
    disposeModel(run!.model);
    // Asked for its best (eval --checkpoint best), shipped weights are taken as they are: they
    // are what their run's best was exported as, and the runs compared with them go to their best.
    const best = await loadRun(exported.project, dataset, 'best');
    expect([best!.checkpoint, best!.iteration, best!.best]).toEqual([exported.project, 3, true]);
    disposeModel(best!.model);
  }, 120_000);
});
