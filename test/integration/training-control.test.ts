// Training steered from the app: pausing between iterations leaves the losses exactly as an
// uninterrupted run's; the engine's startTraining, pause, resume and stop report through
// training events, write a checkpoint that lists and loads into a graph; and training
// started from the app logs the same losses as `modulargan train` on the same project.
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngineService } from '../../core/engine/service';
import type { RunEvent } from '../../core/api/types';
import { initBackend } from '../../core/runtime/backends';
import { runTraining } from '../../core/train/run';
import { trainCommand } from '../../cli/train';
import { readLog, tinyProject } from '../helpers/training';

const wasm = (p: Record<string, unknown>) => {
  Object.assign(p.training as Record<string, unknown>, { backend: 'wasm', iterations: 8, decayFrom: 4, checkpointEvery: 4, sampleEvery: 2 });
};

beforeAll(async () => {
  await initBackend('wasm', { probeAll: false });
}, 60_000);

describe('pausing runTraining', () => {
  it('logs the same losses as an uninterrupted run', async () => {
    const file = tinyProject(wasm);
    const a = await runTraining(file, { runDir: join(dirname(file), 'a') });
    let pauses = 0;
    const b = await runTraining(file, {
      runDir: join(dirname(file), 'b'),
      // A pause of 50 ms before iterations 3 and 5, as a user would.
      pause: async () => {
        pauses++;
        if (pauses === 4 || pauses === 6) await new Promise((ok) => setTimeout(ok, 50));
      },
    });
    expect(b.status).toBe('done');
    expect(pauses).toBe(8);
    expect(readLog(join(b.runDir, 'log.jsonl'))).toEqual(readLog(join(a.runDir, 'log.jsonl')));
  });
});

describe('training through the engine', () => {
  const file = tinyProject(wasm, 'app');
  const work = mkdtempSync(join(tmpdir(), 'mg-train-svc-'));
  const service = createEngineService({ stateDir: join(work, 'state'), demoPath: join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'demo', 'demo.mgproj.json'), host: 'test' });
  const events: RunEvent[] = [];
  service.onRunEvent((e) => events.push(e));
  const waitFor = async (ok: () => boolean, ms = 60_000) => {
    const t0 = Date.now();
    while (!ok()) {
      if (Date.now() - t0 > ms) throw new Error(`timed out; events: ${events.map((e) => e.type).join(', ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const of = <T extends RunEvent['type']>(type: T) => events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);

  it('starts, pauses, resumes and stops with a checkpoint that loads into a graph', async () => {
    const { runId } = await service.startTraining({ projectPath: file });
    await expect(service.startTraining({ projectPath: file })).rejects.toThrow(/already running/);
    await waitFor(() => of('training-progress').length >= 1);
    await service.pauseTraining(runId);
    await waitFor(() => of('training-state').some((e) => e.state === 'paused'));
    const at = of('training-progress').length;
    await new Promise((r) => setTimeout(r, 300));
    expect(of('training-progress').length).toBe(at);
    await service.resumeTraining(runId);
    await waitFor(() => of('training-progress').length > at);
    await waitFor(() => of('training-sample').length >= 1);
    await service.stopTraining(runId);
    const finished = of('training-finished')[0]!;
    expect(finished.status).toBe('stopped');
    const progress = of('training-progress');
    expect(progress[0]).toMatchObject({ iteration: 1, total: 8, lr: 1e-3 });
    expect(progress[0]!.losses.d_total).toBeTypeOf('number');
    expect(of('training-sample')[0]!.png).toMatch(/^data:image\/png;base64,/);
    const list = await service.listCheckpoints(file);
    expect(list.at(-1)!.iteration).toBe(finished.completed);
    expect(of('training-checkpoint').at(-1)!.checkpoint.id).toBe(list.at(-1)!.id);
    const graph = await service.loadCheckpointIntoGraph(file, list.at(-1)!.id);
    const weights = graph.nodes.filter((n) => typeof n.params.weights === 'string').map((n) => n.params.weights as string);
    expect(weights).toHaveLength(4);
    for (const w of weights) expect(existsSync(w)).toBe(true);
    await expect(service.loadCheckpointIntoGraph(file, '../x')).rejects.toThrow(/does not name a checkpoint/);

    // Resume from that checkpoint to the end.
    events.length = 0;
    await service.startTraining({ projectPath: file, resume: list.at(-1)!.id });
    await waitFor(() => of('training-finished').length === 1 || of('training-failed').length === 1);
    expect(of('training-failed')).toEqual([]);
    expect(of('training-finished')[0]!.status).toBe('done');
    expect((await service.listCheckpoints(file)).at(-1)!.iteration).toBe(8);
  }, 120_000);

  it('resuming from an earlier checkpoint forgets the later ones', async () => {
    const other = tinyProject(wasm, 'branch');
    await runTraining(other, {});
    const runDir = join(dirname(other), 'branch.train');
    const result = await runTraining(other, { from: join(runDir, 'checkpoints', 'iter-000004'), stopAfter: 6 });
    expect(result.status).toBe('stopped');
    const ids = (await service.listCheckpoints(other)).map((c) => c.iteration);
    expect(ids).toEqual([4, 6]);
    expect(existsSync(join(runDir, 'checkpoints', 'iter-000008'))).toBe(false);
    expect(readLog(join(runDir, 'log.jsonl')).map((r) => r.iteration)).toEqual([0, 1, 2, 3, 4, 5]);
  }, 120_000);

  it('closing the engine (quit, SIGINT) stops a training with a checkpoint', async () => {
    const quitting = tinyProject((p) => {
      wasm(p);
      (p.training as Record<string, unknown>).iterations = 400;
      (p.training as Record<string, unknown>).checkpointEvery = 1000;
    }, 'quit');
    const svc = createEngineService({ stateDir: join(work, 'state2'), demoPath: join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'demo', 'demo.mgproj.json'), host: 'test' });
    const seen: RunEvent[] = [];
    svc.onRunEvent((e) => seen.push(e));
    await svc.startTraining({ projectPath: quitting });
    const t0 = Date.now();
    while (!seen.some((e) => e.type === 'training-progress') && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 10));
    await svc.close();
    const done = seen.find((e) => e.type === 'training-finished');
    expect(done).toMatchObject({ status: 'stopped' });
    const list = await svc.listCheckpoints(quitting);
    expect(list).toHaveLength(1);
    expect(list[0]!.iteration).toBe((done as { completed: number }).completed);
  }, 120_000);

  it('gives the same losses as `modulargan train` on the same project', async () => {
    const cliFile = join(mkdtempSync(join(tmpdir(), 'mg-train-cli-')), 'app.mgproj.json');
    copyFileSync(file, cliFile);
    expect(await trainCommand(cliFile, { quiet: true }, () => {})).toBe(0);
    const app = readLog(join(dirname(file), 'app.train', 'log.jsonl'));
    const cli = readLog(join(dirname(cliFile), 'app.train', 'log.jsonl'));
    expect(app.map((r) => r.iteration)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(app).toEqual(cli);
    expect(readFileSync(join(dirname(file), 'app.train', 'log.jsonl'), 'utf8')).toBe(readFileSync(join(dirname(cliFile), 'app.train', 'log.jsonl'), 'utf8'));
  }, 120_000);
});
