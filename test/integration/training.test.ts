// Joint training end to end on a 32 px ColorMNIST project (wasm backend: the cpu one takes
// minutes here): losses finite and moving, checkpoints written and pruned, exact resume,
// translation mode, frozen modules untouched, NaN/Inf stopping.
import { appendFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readWeightsFile } from '../../core/files/weights-file';
import { initBackend } from '../../core/runtime/backends';
import { readIndex } from '../../core/train/checkpoint';
import { TrainSetupError, runTraining } from '../../core/train/run';
import { asTranslation, readLog, tinyProject } from '../helpers/training';

beforeAll(async () => {
  await initBackend('wasm', { probeAll: false });
}, 60_000);

const finite = (rows: Record<string, number>[]) => rows.every((r) => Object.values(r).every(Number.isFinite));

describe('training a 32 px ColorMNIST generation project', () => {
  const file = tinyProject();
  const full = join(dirname(file), 'full');
  const resumed = join(dirname(file), 'resumed');

  it('runs 24 iterations with finite, moving losses, samples and checkpoints', async () => {
    const result = await runTraining(file, { runDir: full });
    expect(result.status).toBe('done');
    const log = readLog(join(full, 'log.jsonl'));
    expect(log.map((r) => r.iteration)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(finite(log)).toBe(true);
    // nCritic 2: G is updated on every second iteration.
    expect(log.filter((r) => r.g_total !== undefined)).toHaveLength(12);
    expect(new Set(log.map((r) => r.d_total)).size).toBe(24);
    expect(Math.abs(log.at(-1)!.d_total! - log[0]!.d_total!)).toBeGreaterThan(1e-3);
    // The learning rate decays linearly from iteration 12 to 0 at 24.
    expect(log[11]!.lr).toBe(1e-3);
    expect(log[18]!.lr).toBeCloseTo(1e-3 * (6 / 12), 10);
    const index = await readIndex(join(full, 'checkpoints'));
    // The last three, plus the best when it is older.
    expect(index.checkpoints.map((c) => c.iteration)).toEqual(expect.arrayContaining([12, 18, 24]));
    expect(index.checkpoints.length).toBeGreaterThanOrEqual(3);
    expect(index.checkpoints.length).toBeLessThanOrEqual(4);
    expect(index.best).not.toBeNull();
    expect(existsSync(join(full, 'checkpoints', 'iter-000006'))).toBe(index.best === 'iter-000006');
    const ckpt = join(full, 'checkpoints', 'iter-000024');
    expect(readdirSync(ckpt).sort()).toEqual(
      ['D_G.mgw', 'D_T_background.mgw', 'D_T_color.mgw', 'G.mgw', 'R.mgw', 'T_background.mgw', 'T_color.mgw', 'manifest.json', 'optimizer-d.bin', 'optimizer-d.json', 'optimizer-g.bin', 'optimizer-g.json'].sort(),
    );
    expect(readdirSync(join(full, 'samples')).sort()).toEqual(['iter-000000.png', 'iter-000012.png', 'iter-000024.png']);
  });

  it('stopped at iteration 10 and resumed, logs the same losses as the uninterrupted run', async () => {
    const first = await runTraining(file, { runDir: resumed, stopAfter: 10 });
    expect(first.status).toBe('stopped');
    expect(first.lastCheckpoint).toMatch(/iter-000010$/);
    // A crash while appending leaves half a line; resuming drops it.
    appendFileSync(join(resumed, 'log.jsonl'), '{"iteration":10,"lr":0.0');
    const second = await runTraining(file, { runDir: resumed, resume: true });
    expect(second.status).toBe('done');
    const a = readLog(join(full, 'log.jsonl'));
    const b = readLog(join(resumed, 'log.jsonl'));
    expect(b.map((r) => r.iteration)).toEqual(a.map((r) => r.iteration));
    for (const [i, row] of a.entries())
      for (const [k, v] of Object.entries(row)) expect(b[i]![k], `iteration ${i} ${k}`).toBeCloseTo(v, 4);
    const wa = await readWeightsFile(join(full, 'checkpoints', 'iter-000024', 'T_color.mgw'));
    const wb = await readWeightsFile(join(resumed, 'checkpoints', 'iter-000024', 'T_color.mgw'));
    expect(wb.header.sha256).toBe(wa.header.sha256);
  });

  it('refuses to start over an earlier run unless asked to resume or restart', async () => {
    await expect(runTraining(file, { runDir: full, iterations: 2 })).rejects.toThrow(TrainSetupError);
    const again = await runTraining(file, { runDir: full, iterations: 2, restart: true });
    expect(again.status).toBe('done');
    expect(readLog(join(full, 'log.jsonl'))).toHaveLength(2);
  });
});

describe('translation mode and frozen modules', () => {
  it('trains E, T, R with reconstruction and cycle losses', async () => {
    const file = tinyProject(asTranslation);
    const result = await runTraining(file, { iterations: 4 });
    expect(result.status).toBe('done');
    const log = readLog(join(result.runDir, 'log.jsonl'));
    expect(finite(log)).toBe(true);
    const g = log.filter((r) => r.g_total !== undefined);
    expect(g.length).toBe(2);
    for (const r of g) {
      expect(r.g_rec).toBeGreaterThan(0);
      expect(r.g_cyc).toBeGreaterThan(0);
    }
  });

  it('a transformer added to a trained model trains alone; the others stay bit-identical', async () => {
    // First a model with the colour transformer only.
    const first = tinyProject((p) => {
      asTranslation(p);
      const graph = p.graph as { nodes: { id: string }[]; edges: { id: string; from: { node: string }; to: { node: string } }[] };
      graph.nodes = graph.nodes.filter((n) => n.id !== 'T_background');
      graph.edges = graph.edges.filter((e) => e.to.node !== 'T_background');
      graph.edges.find((e) => e.to.node === 'R')!.from.node = 'T_color';
    });
    const r1 = await runTraining(first, { iterations: 4 });
    const trained = r1.lastCheckpoint!;
    // Then T_background added, the trained modules loaded from their weights and frozen.
    const second = tinyProject((p) => {
      asTranslation(p);
      const nodes = (p.graph as { nodes: { id: string; params: Record<string, unknown> }[] }).nodes;
      for (const n of nodes) if (['E', 'T_color', 'R'].includes(n.id)) n.params.weights = join(trained, `${n.id}.mgw`);
      (p.training as Record<string, unknown>).frozen = ['E', 'T_color', 'R'];
    });
    const r2 = await runTraining(second, { iterations: 4 });
    expect(r2.status).toBe('done');
    for (const id of ['E', 'T_color', 'R', 'D_T_color']) {
      const before = await readWeightsFile(join(trained, `${id}.mgw`));
      const after = await readWeightsFile(join(r2.lastCheckpoint!, `${id}.mgw`));
      expect(after.header.sha256, id).toBe(before.header.sha256);
    }
    const log = readLog(join(r2.runDir, 'log.jsonl'));
    expect(finite(log)).toBe(true);
    const manifest = JSON.parse(readFileSync(join(r2.lastCheckpoint!, 'optimizer-g.json'), 'utf8')) as { tensors: { key: string }[] };
    expect(new Set(manifest.tensors.map((t) => t.key.split('/')[0]))).toEqual(new Set(['T_background']));
  });

  it('stops on a non-finite loss, naming it, without applying the update', async () => {
    const file = tinyProject((p) => {
      (p.training as Record<string, unknown>).lambdaGp = 1e300;
    });
    const result = await runTraining(file, { iterations: 3 });
    expect(result.status).toBe('non-finite');
    expect(result.message).toMatch(/loss 'd_total' is Infinity at iteration 0/);
    expect(result.message).toMatch(/no checkpoint was written yet/);
  });

  it('names the node when a transformer asks for an attribute the dataset lacks', async () => {
    const file = tinyProject((p) => {
      const ds = (p.datasets as Record<string, unknown>[])[0]!;
      ds.attributes = [{ name: 'digit', kind: 'onehot', values: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] }, { name: 'color', kind: 'onehot', values: ['red', 'blue', 'green', 'purple', 'brown'] }];
    });
    await expect(runTraining(file)).rejects.toThrow(/background \(node 'T_background'\): the dataset has no attribute 'background'/);
  });
});
