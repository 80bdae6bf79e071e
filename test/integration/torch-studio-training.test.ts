// The Training tab's calls with the PyTorch engine, through the engine service as the studio
// makes them: the same events as the built-in trainer's (progress for every iteration with
// log.jsonl's losses, sample grids, checkpoints, finished), no pretend pause, and Stop as a
// polite stop whose checkpoint "Resume from it" continues without telling old iterations
// again. Skipped, with the reason, where no Python here imports torch.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/api/types';
import { createEngineService } from '../../core/engine/service';
import { TORCH_CANNOT_PAUSE } from '../../core/engine/training-engine-report';
import { readLog } from '../helpers/training';
import { tinyTorchProject, torchForTests } from '../helpers/torch-training';

// One thread per PyTorch process: vitest runs other files beside this one on two cores.
process.env.OMP_NUM_THREADS ??= '1';
const torch = torchForTests();
const DEMO = join(import.meta.dirname, '..', 'fixtures', 'demo', 'demo.mgproj.json');

describe.skipIf(!torch.python)(`training with PyTorch from the studio${torch.python ? '' : ` — skipped: ${torch.why}`}`, () => {
  const service = createEngineService({ stateDir: join(mkdtempSync(join(tmpdir(), 'mg-torch-svc-')), 'state'), demoPath: DEMO, host: 'test' });
  const events: RunEvent[] = [];
  service.onRunEvent((e) => events.push(e));
  afterAll(() => service.close());

  const ofRun = (runId: string) => {
    const mine = events.filter((e) => 'runId' in e && e.runId === runId);
    const of = <T extends RunEvent['type']>(type: T) => mine.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);
    return { of, types: mine.map((e) => e.type) };
  };
  const ended = (runId: string, ms = 50_000) =>
    new Promise<Extract<RunEvent, { type: 'training-finished' | 'training-failed' }>>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no end in ${ms} ms: ${ofRun(runId).types.join(', ')}`)), ms);
      const check = () => {
        const end = events.find((e): e is Extract<RunEvent, { type: 'training-finished' | 'training-failed' }> => (e.type === 'training-finished' || e.type === 'training-failed') && e.runId === runId);
        if (end) {
          clearTimeout(timer);
          ok(end);
        } else setTimeout(check, 50);
      };
      check();
    });

  it('says PyTorch can train here, and reports a run as the built-in trainer does: every iteration with the log’s losses, samples, checkpoints, finished', async () => {
    const engines = await service.trainingEngines();
    expect(engines.map((e) => e.name)).toEqual(['builtin', 'torch']);
    expect(engines[1]).toMatchObject({ available: true, reason: expect.stringContaining(torch.python!), cannotPause: TORCH_CANNOT_PAUSE });
    expect(engines[0]).toMatchObject({ available: true, maxProcesses: 1 });
    expect(engines[0]!.cannotPause).toBeUndefined();

    const file = await tinyTorchProject({ iterations: 4 });
    const { runId } = await service.startTraining({ projectPath: file, engine: 'torch' });
    // The model is in another process: Pause is refused with the reason, not pretended.
    await expect(service.pauseTraining(runId)).rejects.toThrow(TORCH_CANNOT_PAUSE);
    const end = await ended(runId);
    const { of } = ofRun(runId);
    expect(end, JSON.stringify(of('training-note'))).toMatchObject({ type: 'training-finished', status: 'done', completed: 4, lastCheckpoint: join(dirname(file), 'torch.train', 'checkpoints', 'iter-000004') });

    const log = readLog(join(dirname(file), 'torch.train', 'log.jsonl'));
    const progress = of('training-progress');
    expect(progress.map((p) => p.iteration)).toEqual([1, 2, 3, 4]);
    expect(progress.map(({ lr, losses }) => ({ lr, ...losses }))).toEqual(log.map(({ iteration: _, ...rest }) => rest));
    expect(progress.every((p) => p.total === 4)).toBe(true);

    const samples = of('training-sample');
    expect(samples.map((s) => s.iteration)).toEqual([0, 2, 4]);
    expect(samples[0]!.png).toMatch(/^data:image\/png;base64,iVBOR/);

    const listed = await service.listCheckpoints(file);
    // Which one is best can change as later ones come.
    const withoutBest = ({ best: _, ...c }: (typeof listed)[number]) => c;
    expect(of('training-checkpoint').map((c) => withoutBest(c.checkpoint))).toEqual(listed.map(withoutBest));
    expect(listed.map((c) => c.id)).toEqual(['iter-000002', 'iter-000004']);
    expect(of('training-note').map((n) => n.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^engine: PyTorch .* on cpu, 1 process$/)]));
    // Its last line is the finished event's to say.
    expect(of('training-note').some((n) => /^finished at iteration/.test(n.message))).toBe(false);
    expect(ofRun(runId).types.at(-1)).toBe('training-finished');
  }, 60_000);

  it('stops politely with a checkpoint, and resuming from it tells only the new iterations', async () => {
    const file = await tinyTorchProject({ iterations: 400, checkpointEvery: 1000, sampleEvery: 1000 }, 'stop');
    const { runId } = await service.startTraining({ projectPath: file, engine: 'torch' });
    const first = Date.now();
    while (!ofRun(runId).of('training-progress').length) {
      if (Date.now() - first > 40_000) throw new Error(`no progress: ${ofRun(runId).types.join(', ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await service.stopTraining(runId);
    const end = await ended(runId);
    expect(end.type).toBe('training-finished');
    if (end.type !== 'training-finished') return;
    expect(end.status).toBe('stopped');
    expect(end.completed).toBeGreaterThanOrEqual(1);
    expect(end.completed).toBeLessThan(400);
    const id = `iter-${String(end.completed).padStart(6, '0')}`;
    expect(end.lastCheckpoint).toBe(join(dirname(file), 'stop.train', 'checkpoints', id));
    expect((await service.listCheckpoints(file)).map((c) => c.id)).toEqual([id]);
    expect(ofRun(runId).of('training-checkpoint').map((c) => c.checkpoint.id)).toEqual([id]);
    expect(readLog(join(dirname(file), 'stop.train', 'log.jsonl')).map((l) => l.iteration)).toEqual(Array.from({ length: end.completed }, (_, i) => i));

    const again = await service.startTraining({ projectPath: file, engine: 'torch', resume: id, iterations: end.completed + 2 });
    const resumed = await ended(again.runId);
    expect(resumed).toMatchObject({ type: 'training-finished', status: 'done', completed: end.completed + 2 });
    expect(ofRun(again.runId).of('training-progress').map((p) => p.iteration)).toEqual([end.completed + 1, end.completed + 2]);
  }, 60_000);
});
