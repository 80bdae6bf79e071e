// The submitting side of a queued training (`modulargan train p.mgproj.json --queue …`): the
// project is checked here, the training is queued as one job for a worker started with
// --train (a GPU machine, one with the native backend), and its log lines and progress come
// back (a Redis stream and job progress) until it ends. Ctrl+C removes a training not yet
// started, or has the worker stop it with a checkpoint. A Redis that restarted empty has the
// job queued again, resuming from the run's latest checkpoint.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { parseTrainingBackend } from '../backends';
import { defaultRunDir } from '../../train/run';
import { readProject } from '../documents';
import { RunError } from '../errors';
import { type TrainJob, TRAINING_ENGINES, isTrainingEngine } from '../train';
import { connectionOptions, parseQueueAddress } from './address';
import { QUEUE_NAME, cancelKey } from './batch-job';
import { TRAIN_QUEUE, type TrainJobData, type TrainJobResult, type TrainQueueProgress, trainLogKey, trainProgressSchema, trainResultSchema } from './train-job';

export interface QueuedTrainJob extends Omit<TrainJob, 'command'> {
  /** redis://host:port[/db] */
  readonly queue: string;
  /** The training queue (default modulargan-train): workers started with --train listen on it. */
  readonly queueName?: string;
}

export interface QueuedTrainEvents {
  readonly onQueued?: (q: { jobId: string; queue: string }) => void;
  /** The worker's log lines, as they come. */
  readonly log?: (line: string) => void;
  readonly onProgress?: (p: TrainQueueProgress) => void;
  /** Redis lost and back, the job queued again, no worker yet. */
  readonly onNotice?: (line: string) => void;
}

/** Retries of a training whose worker stopped or failed: each goes on from the latest checkpoint. */
export const TRAIN_ATTEMPTS = 5;
const NO_WORKER_NOTICE_MS = 15_000;
const CHECKPOINT_NAME = /^iter-\d{1,12}$/;

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T | undefined> =>
  Promise.race([p.catch(() => undefined), new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);

export async function runQueuedTraining(job: QueuedTrainJob, events: QueuedTrainEvents = {}): Promise<TrainJobResult & { readonly jobId: string }> {
  const address = parseQueueAddress(job.queue);
  const queueName = job.queueName ?? TRAIN_QUEUE;
  if (!QUEUE_NAME.test(queueName)) throw new RunError(`the queue name must be 1-64 letters, digits, '.', '_' or '-', got '${queueName}'`);
  if (job.engine !== undefined && !isTrainingEngine(job.engine)) throw new RunError(`--engine must be ${TRAINING_ENGINES.join(' or ')}, got '${job.engine}'`);
  if (job.backend !== undefined) parseTrainingBackend(job.backend);
  if (job.resume && job.restart) throw new RunError('--resume and --restart cannot be given together');
  const file = resolve(job.file);
  // Checked here, where the user is: a project that cannot train fails now, not on a worker.
  const project = await readProject(file);
  if (!project.training) throw new RunError(`${file} has no "training" section: nothing to train`);
  // A checkpoint to resume from travels by name: the worker finds it in the run folder as it sees it.
  let from: string | undefined;
  if (job.from !== undefined) {
    const dir = resolve(job.from);
    const root = join(defaultRunDir(file), 'checkpoints');
    from = basename(dir);
    if (dirname(dir) !== root || !CHECKPOINT_NAME.test(from)) throw new RunError(`${dir} is not a checkpoint of ${file}'s run folder (${root}/iter-NNNNNN)`);
    if (!(await stat(join(dir, 'manifest.json')).catch(() => null))?.isFile()) throw new RunError(`checkpoint ${from} is not in ${root}`);
  }

  const jobId = `train-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const data: TrainJobData = {
    kind: 'train',
    file,
    ...(job.engine ? { engine: job.engine } : {}),
    ...(job.backend ? { backend: job.backend } : {}),
    ...(job.iterations ? { iterations: job.iterations } : {}),
    ...(job.stopAfter ? { stopAfter: job.stopAfter } : {}),
    ...(job.nproc ? { nproc: job.nproc } : {}),
    resume: !!job.resume || from !== undefined,
    ...(from ? { from } : {}),
    restart: !!job.restart,
    by: `${hostname()}:${process.pid}`,
  };
  const jobOptions = { jobId, attempts: TRAIN_ATTEMPTS, backoff: { type: 'exponential' as const, delay: 5000 }, removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 } };
  const notice = (line: string) => events.onNotice?.(line);
  const queue = new Queue(queueName, { connection: connectionOptions(address, 'train-submit') });
  const control = new Redis(connectionOptions(address, 'train-control'));
  const reader = new Redis(connectionOptions(address, 'train-log'));
  let lost: number | undefined;
  const onError = (e: Error) => {
    if (lost !== undefined) return;
    lost = Date.now();
    notice(`lost the connection to Redis at ${address.shown} (${e.message}); waiting for it to come back`);
  };
  for (const c of [queue, control, reader]) c.on('error', onError);
  control.on('ready', () => {
    if (lost === undefined) return;
    notice(`Redis at ${address.shown} is back after ${((Date.now() - lost) / 1000).toFixed(1)} s`);
    lost = undefined;
  });
  let aborted = !!job.signal?.aborted;
  const onAbort = () => {
    aborted = true;
  };
  job.signal?.addEventListener('abort', onAbort);
  const logKey = trainLogKey(queueName, jobId);
  let lastLine = '0';
  /** The lines after the last one read, waiting up to `blockMs` for one (0: not at all; Redis's BLOCK 0 would wait for ever). */
  const readLines = async (blockMs: number) => {
    const wait = blockMs > 0 ? ['BLOCK', blockMs] : [];
    const got = (await reader.xread('COUNT', 500, ...(wait as ['BLOCK', number]), 'STREAMS', logKey, lastLine)) as [string, [string, string[]][]][] | null;
    for (const [, entries] of got ?? [])
      for (const [id, fields] of entries) {
        lastLine = id;
        const at = fields.indexOf('line');
        if (at >= 0 && fields[at + 1] !== undefined) events.log?.(fields[at + 1]!);
      }
  };
  const t0 = Date.now();
  try {
    await queue.add('train', data, jobOptions);
    events.onQueued?.({ jobId, queue: queueName });
    let cancelSent = false;
    let started = false;
    let noWorkerTold = false;
    let lastProgress = '';
    for (;;) {
      if (aborted && !cancelSent) {
        cancelSent = true;
        await control.set(cancelKey(queueName, jobId), '1', 'EX', 7 * 24 * 3600);
        if ((await queue.remove(jobId)) === 1 && !started) return { jobId, kind: 'train', worker: '', engine: job.engine ?? 'builtin', status: 'aborted', completed: 0 };
      }
      await readLines(1000);
      const j: Job | undefined = await queue.getJob(jobId);
      if (!j) {
        if (aborted) return { jobId, kind: 'train', worker: '', engine: job.engine ?? 'builtin', status: 'aborted' };
        // Redis forgot it (restarted without its data): queued again, to go on from its checkpoint.
        notice(`the training was lost by Redis; queued again (it resumes from its latest checkpoint)`);
        lastLine = '0';
        await queue.add('train', { ...data, resume: true, restart: false, from: undefined }, jobOptions);
        continue;
      }
      if (j.processedOn) started = true;
      const p = trainProgressSchema.safeParse(j.progress);
      if (p.success && JSON.stringify(p.data) !== lastProgress) {
        lastProgress = JSON.stringify(p.data);
        events.onProgress?.(p.data);
      }
      if (!started && !noWorkerTold && Date.now() - t0 > NO_WORKER_NOTICE_MS) {
        noWorkerTold = true;
        notice(`no worker has taken the training yet; start one with: modulargan worker --queue ${address.shown} --train${queueName === TRAIN_QUEUE ? '' : ` ${queueName}`}`);
      }
      if (!j.finishedOn) continue;
      const state = await j.getState();
      if (state !== 'completed' && state !== 'failed') continue;
      await readLines(0).catch(() => undefined);
      if (state === 'failed') throw new RunError(`the queued training failed${j.processedBy ? ` on ${j.processedBy}` : ''} after ${j.attemptsMade} attempts: ${j.failedReason || 'no reason given'}`);
      const r = trainResultSchema.safeParse(j.returnvalue);
      if (!r.success) throw new RunError(`the queued training's worker returned no valid result (${r.error.issues[0]?.message ?? 'unreadable'})`);
      return { ...r.data, jobId };
    }
  } finally {
    job.signal?.removeEventListener('abort', onAbort);
    await withTimeout(Promise.all([control.del(cancelKey(queueName, jobId), logKey)]), 2000);
    await withTimeout(Promise.all([queue.close(), control.quit(), reader.quit()]), 3000);
    control.disconnect();
    reader.disconnect();
  }
}
