// The Training tab's calls with a queue, through the engine service as the studio makes them,
// against a real redis-server and a real `modulargan worker --train` process: the events are
// those of a run here (progress for every iteration with log.jsonl's losses, the worker's
// lines as notes, samples, checkpoints, finished); Pause is refused with the reason; Sample
// now gives the worker's newest grid; listJobs has the training; Stop is the command line's
// Ctrl+C (finished 'stopped', with a checkpoint); "Resume from it" reaches the worker by the
// checkpoint's name.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_CANNOT_PAUSE } from '../../core/api/training-engines';
import type { RunEvent } from '../../core/api/types';
import { createEngineService } from '../../core/engine/service';
import { type RedisServer, startRedis } from '../helpers/redis';
import { readLog, tinyProject } from '../helpers/training';

const root = new URL('../../', import.meta.url).pathname;
const DEMO = join(root, 'test', 'fixtures', 'demo', 'demo.mgproj.json');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Json = Record<string, unknown>;

/** The tiny project at 16 px (base 4, batch 2) on wasm: an iteration takes a few tens of milliseconds. */
const small = (training: Json, name: string) =>
  tinyProject((p) => {
    for (const n of (p.graph as { nodes: { kind: string; params: Json }[] }).nodes) if (n.kind !== 'transformer') n.params.imageSize = 16;
    (p.datasets as Json[])[0]!.imageSize = 16;
    Object.assign(p.training as Json, { batchSize: 2, backend: 'wasm', ...training });
  }, name);

let redis: RedisServer;
let worker: ChildProcess;
const workerLines: string[] = [];
const service = createEngineService({ stateDir: join(mkdtempSync(join(tmpdir(), 'mg-queue-svc-')), 'state'), demoPath: DEMO, host: 'test' });
const events: RunEvent[] = [];
service.onRunEvent((e) => events.push(e));

beforeAll(async () => {
  redis = await startRedis();
  worker = spawn(process.execPath, [join(root, 'bin/modulargan.mjs'), 'worker', '--queue', redis.url, '--name', 'w1', '--train'], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [worker.stdout!, worker.stderr!]) s.on('data', (d: Buffer) => workerLines.push(...d.toString().split('\n').filter(Boolean)));
  const t0 = Date.now();
  while (!workerLines.some((l) => /waiting for shares/.test(l))) {
    if (Date.now() - t0 > 30_000 || worker.exitCode !== null) throw new Error(`the worker did not start:\n${workerLines.join('\n')}`);
    await sleep(50);
  }
}, 40_000);
afterAll(async () => {
  await service.close();
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  await redis?.stop();
});

const ofRun = (runId: string) => {
  const mine = events.filter((e) => 'runId' in e && e.runId === runId);
  const of = <T extends RunEvent['type']>(type: T) => mine.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);
  return { of, types: mine.map((e) => e.type) };
};
const ended = async (runId: string, ms = 30_000) => {
  const t0 = Date.now();
  for (;;) {
    const end = events.find((e): e is Extract<RunEvent, { type: 'training-finished' | 'training-failed' }> => (e.type === 'training-finished' || e.type === 'training-failed') && e.runId === runId);
    if (end) return end;
    if (Date.now() - t0 > ms) throw new Error(`no end in ${ms} ms: ${ofRun(runId).types.join(', ')}\n${workerLines.join('\n')}`);
    await sleep(50);
  }
};

describe('training on a queue worker from the studio', () => {
  it('tells the run as a run here: every iteration with the log’s losses, notes, samples, checkpoints, finished; no pretend pause', async () => {
    const file = small({ iterations: 6, checkpointEvery: 3, sampleEvery: 3 }, 'queued');
    const run = join(dirname(file), 'queued.train');
    const { runId } = await service.startTraining({ projectPath: file, queue: redis.url });
    // The model is on another machine: Pause is refused with the reason, not pretended.
    await expect(service.pauseTraining(runId)).rejects.toThrow(QUEUE_CANNOT_PAUSE);
    // A page that reconnects finds it as any other training.
    expect((await service.listJobs()).find((j) => j.runId === runId)).toMatchObject({ kind: 'training', running: true, subject: file });
    const end = await ended(runId);
    const { of, types } = ofRun(runId);
    const notes = of('training-note').map((n) => n.message);
    expect(end, notes.join('\n')).toMatchObject({ type: 'training-finished', status: 'done', completed: 6, lastCheckpoint: join(run, 'checkpoints', 'iter-000006') });

    const log = readLog(join(run, 'log.jsonl'));
    const progress = of('training-progress');
    expect(progress.map((p) => p.iteration)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(progress.map(({ lr, losses }) => ({ lr, ...losses }))).toEqual(log.map(({ iteration: _, ...rest }) => rest));
    expect(progress.every((p) => p.total === 6)).toBe(true);

    expect(notes).toEqual(expect.arrayContaining([expect.stringMatching(/^queued as train-\S+ on modulargan-train/), '[w1] backend: wasm', expect.stringMatching(/^\[w1\] training .*queued\.mgproj\.json for /)]));
    // Its end is the finished event's to say.
    expect(notes.some((n) => /\] ended: /.test(n))).toBe(false);
    expect(of('training-sample').map((s) => s.iteration)).toEqual([0, 3, 6]);
    const withoutBest = ({ best: _, ...c }: { best: boolean }) => c;
    expect(of('training-checkpoint').map((c) => withoutBest(c.checkpoint))).toEqual((await service.listCheckpoints(file)).map(withoutBest));
    expect(of('training-checkpoint').map((c) => c.checkpoint.id)).toEqual(['iter-000003', 'iter-000006']);
    expect(types.at(-1)).toBe('training-finished');
    expect((await service.listJobs()).find((j) => j.runId === runId)).toMatchObject({ running: false });

    // "Resume from it" on an earlier checkpoint than the latest: the worker finds it by name in
    // the run folder as it sees it, and only the iterations after it are told again.
    const again = await service.startTraining({ projectPath: file, queue: redis.url, resume: 'iter-000003' });
    expect(await ended(again.runId)).toMatchObject({ type: 'training-finished', status: 'done', completed: 6 });
    expect(ofRun(again.runId).of('training-progress').map((p) => p.iteration)).toEqual([4, 5, 6]);
    expect(ofRun(again.runId).of('training-note').map((n) => n.message)).toEqual(expect.arrayContaining([`[w1] resumed from ${join(run, 'checkpoints', 'iter-000003')} at iteration 3`]));
    rmSync(dirname(file), { recursive: true, force: true });
  }, 40_000);

  it('stops as Ctrl+C does: the worker writes a checkpoint, finished says stopped', async () => {
    const file = small({ iterations: 400, checkpointEvery: 1000, sampleEvery: 1000 }, 'stop');
    const run = join(dirname(file), 'stop.train');
    const { runId } = await service.startTraining({ projectPath: file, queue: redis.url });
    const t0 = Date.now();
    while (!ofRun(runId).of('training-progress').length) {
      if (Date.now() - t0 > 20_000) throw new Error(`no progress: ${ofRun(runId).types.join(', ')}`);
      await sleep(50);
    }
    // Sample now: the model is on the worker, so the newest grid it wrote (iteration 0's).
    expect(await service.sampleNow(file)).toMatchObject({ iteration: 0, source: 'training', png: expect.stringMatching(/^data:image\/png;base64,/) });
    await expect(service.pauseTraining(runId)).rejects.toThrow(QUEUE_CANNOT_PAUSE);
    await service.stopTraining(runId);
    const end = await ended(runId);
    expect(end.type, JSON.stringify(end)).toBe('training-finished');
    if (end.type !== 'training-finished') return;
    expect(end.status).toBe('stopped');
    expect(end.completed).toBeGreaterThanOrEqual(1);
    expect(end.completed).toBeLessThan(400);
    const id = `iter-${String(end.completed).padStart(6, '0')}`;
    expect(end.lastCheckpoint).toBe(join(run, 'checkpoints', id));
    expect(ofRun(runId).of('training-checkpoint').map((c) => c.checkpoint.id)).toEqual([id]);
    expect(readLog(join(run, 'log.jsonl')).map((l) => l.iteration)).toEqual(Array.from({ length: end.completed }, (_, i) => i));
    expect(ofRun(runId).of('training-progress').at(-1)!.iteration).toBe(end.completed);
    rmSync(dirname(file), { recursive: true, force: true });
  }, 30_000);
});
