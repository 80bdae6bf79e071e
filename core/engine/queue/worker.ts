// A queue worker (`modulargan worker --queue redis://…`): takes batch shares from BullMQ and
// runs them with the engine, on any machine that sees the same storage (or maps it, --map);
// with `train`, also takes queued trainings (one project's training a job) from their queue.
//
// Failures, and what happens: a job that throws (its folders not mounted here, say) is retried
// with backoff, by this or another worker; a worker killed mid-job loses its lock, and another
// worker's stalled-job check takes the job over once the lock has run out (a share's outputs
// already written are counted, not written again: batch-share.ts; a training resumes from its
// latest checkpoint: train-work.ts); a Redis that goes away is waited for (every client
// reconnects, commands wait), and a job finished meanwhile is delivered when it is back. A
// job whose lock could not be renewed for its whole duration is stopped here (a training with
// a checkpoint), since another worker may have taken it over: one job never runs twice at once
// for long.

import { hostname } from 'node:os';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { EngineChoice } from '../../runtime/executor';
import { type QueueAddress, connectionOptions } from './address';
import { BATCH_QUEUE, type BatchJobResult, type ShareProgress, batchJobSchema, cancelKey } from './batch-job';
import { createBundleCache, runShare } from './batch-share';
import type { PathMap } from './path-map';
import { TRAIN_LOG_LINES, type TrainJobResult, type TrainQueueProgress, trainJobSchema, trainLogKey } from './train-job';
import { runQueuedTrainingHere } from './train-work';

export interface WorkerHostOptions {
  readonly queue: QueueAddress;
  readonly queueName?: string;
  readonly map: PathMap;
  /** Shares run at once in this process (default 1). */
  readonly concurrency?: number;
  /** What computes: the engine started once for every share. */
  readonly engine: EngineChoice;
  /** Shown in the submitter's progress and the jobs (default host:pid). */
  readonly name?: string;
  /**
   * How long a share's lock lasts without renewal (default 15 s): a killed worker's share is
   * taken over this long after it died. Renewed every half of it while the share runs.
   */
  readonly lockSeconds?: number;
  /** Also take queued trainings, from this queue (TRAIN_QUEUE, or a pool's own: GPU machines'). */
  readonly train?: { readonly queueName: string; readonly lockSeconds?: number };
  readonly log: (line: string) => void;
  /** Stops taking jobs; the ones running finish first (a training stops at its next iteration, with a checkpoint). */
  readonly signal: AbortSignal;
}

export const DEFAULT_LOCK_SECONDS = 15;
/** A training iteration may hold the event loop for long: its lock is renewed less eagerly. */
export const DEFAULT_TRAIN_LOCK_SECONDS = 300;
const PROGRESS_EVERY_MS = 500;
const CANCEL_CHECK_MS = 1000;

/**
 * Stops jobs whose lock this worker could not renew for a whole lock duration: another worker
 * may be running them by now.
 */
function watchLocks(worker: Worker, lockMs: number, log: (line: string) => void) {
  const jobs = new Map<string, { stop: AbortController; renewed: number }>();
  const lost = (id: string, why: string) => {
    const j = jobs.get(id);
    if (!j || j.stop.signal.aborted) return;
    log(`job ${id}: ${why}; stopping it here, another worker may have taken it over`);
    j.stop.abort();
  };
  worker.on('locksRenewed', ({ jobIds }) => {
    for (const id of jobIds) {
      const j = jobs.get(id);
      if (j) j.renewed = Date.now();
    }
  });
  worker.on('lockRenewalFailed', (ids) => ids.forEach((id) => lost(id, 'its lock could not be renewed')));
  const timer = setInterval(() => {
    for (const [id, j] of jobs) if (Date.now() - j.renewed > lockMs) lost(id, `no contact with the queue for ${Math.round(lockMs / 1000)} s, its lock has run out`);
  }, 1000);
  timer.unref();
  return {
    /** A controller aborted when the job's lock is lost; forget it with the returned function. */
    track(id: string): { signal: AbortSignal; done: () => void } {
      const stop = new AbortController();
      jobs.set(id, { stop, renewed: Date.now() });
      return { signal: stop.signal, done: () => jobs.delete(id) };
    },
    close: () => clearInterval(timer),
  };
}

/** Runs a worker until `signal`; resolves once the jobs it had have ended. */
export async function runWorkerHost(opts: WorkerHostOptions): Promise<void> {
  const name = opts.name ?? `${hostname()}:${process.pid}`;
  const queueName = opts.queueName ?? BATCH_QUEUE;
  const lockMs = Math.max(2, opts.lockSeconds ?? DEFAULT_LOCK_SECONDS) * 1000;
  const bundles = createBundleCache();
  const control = new Redis(connectionOptions(opts.queue, 'worker-control'));
  let lastError = '';
  const onError = (e: Error) => {
    // A job's end that Redis no longer knows (it restarted empty, or the lock ran out while
    // it was away): the submitter has it done again, and what this attempt wrote is kept.
    const gone = /^Missing (key|lock) for job (\S+)/.exec(e.message);
    if (gone) return opts.log(`job ${gone[2]}: Redis no longer holds it, so its result could not be delivered; it will be done again (what it wrote is kept)`);
    if (/^could not renew lock for job/.test(e.message)) return;
    // A Redis that is away says so on every retry: once per cause is enough.
    if (e.message !== lastError) opts.log(`redis ${opts.queue.shown}: ${e.message}; retrying`);
    lastError = e.message;
  };
  control.on('error', onError);
  control.on('ready', () => {
    if (lastError) opts.log(`redis ${opts.queue.shown}: connected again`);
    lastError = '';
  });
  const workerOptions = (lock: number, concurrency: number) => ({
    connection: connectionOptions(opts.queue, 'worker'),
    name,
    concurrency,
    lockDuration: lock,
    // Dead workers' jobs are looked for this often (by every worker, at no cost when none died).
    stalledInterval: Math.max(1000, Math.round(lock / 3)),
    // A job survives this many of its workers dying before it is reported as failed.
    maxStalledCount: 3,
    autorun: false,
  });
  const refuse = (job: Job, what: string, issue: { path: PropertyKey[]; message: string } | undefined) =>
    new UnrecoverableError(`job ${job.id} is not a ${what} this worker can run (${issue?.path.join('.') || 'data'}: ${issue?.message}); are submitter and worker the same version?`);

  const processShare = async (job: Job, _token?: string, jobSignal?: AbortSignal): Promise<BatchJobResult> => {
    const parsed = batchJobSchema.safeParse(job.data);
    if (!parsed.success) throw refuse(job, 'batch share', parsed.error.issues[0]);
    const share = parsed.data;
    const what = `share ${share.index + 1}/${share.shares} of run ${share.runId}`;
    const watch = batchLocks.track(job.id!);
    const stop = new AbortController();
    for (const s of [jobSignal, watch.signal]) s?.addEventListener('abort', () => stop.abort());
    const key = cancelKey(queueName, share.runId);
    const poll = setInterval(() => {
      control.exists(key).then(
        (n) => n && stop.abort(),
        () => undefined,
      );
    }, CANCEL_CHECK_MS);
    let lastProgress = 0;
    const onProgress = (p: ShareProgress) => {
      if (Date.now() - lastProgress < PROGRESS_EVERY_MS && p.done < p.total) return;
      lastProgress = Date.now();
      // Never waited for: a Redis that is away must not hold the images up.
      job.updateProgress(p).catch(() => undefined);
    };
    opts.log(`${what}: ${share.files.length} files${job.attemptsStarted > 1 ? ` (attempt ${job.attemptsStarted})` : ''}`);
    try {
      if (await control.exists(key)) stop.abort();
      const result = await runShare(share, { map: opts.map, engine: opts.engine, worker: name, bundles, signal: stop.signal, onProgress });
      opts.log(
        `${what} ${result.cancelled ? 'cancelled' : 'done'}: ${result.processed} processed, ${result.skipped.length} skipped, ${result.failed.length} not written ` +
          `(${(result.processed / Math.max(result.seconds, 1e-9)).toFixed(1)} img/s with ${result.engine || 'no engine'})`,
      );
      return result;
    } catch (e) {
      opts.log(`${what} failed: ${(e as Error).message ?? String(e)}`);
      throw e instanceof Error ? e : new Error(String(e));
    } finally {
      clearInterval(poll);
      watch.done();
    }
  };

  let trainLocks: ReturnType<typeof watchLocks> | undefined;
  const processTraining = async (job: Job, _token?: string, jobSignal?: AbortSignal): Promise<TrainJobResult> => {
    const parsed = trainJobSchema.safeParse(job.data);
    if (!parsed.success) throw refuse(job, 'queued training', parsed.error.issues[0]);
    const id = job.id!;
    const logKey = trainLogKey(opts.train!.queueName, id);
    // Lines go out in order on one connection, never waited for: training does not wait on Redis.
    const send = (line: string) => {
      control.xadd(logKey, 'MAXLEN', '~', String(TRAIN_LOG_LINES), '*', 'line', `[${name}] ${line}`).catch(() => undefined);
      opts.log(`training ${id}: ${line}`);
    };
    control.expire(logKey, 7 * 24 * 3600).catch(() => undefined);
    const watch = trainLocks!.track(id);
    const stop = new AbortController();
    // Why it stops early: the submitter's Ctrl+C ends the job as interrupted; this worker
    // stopping (or losing the job's lock) hands it back, to go on from its checkpoint elsewhere.
    let cancelled = false;
    for (const s of [jobSignal, watch.signal, opts.signal]) s?.addEventListener('abort', () => stop.abort());
    const key = cancelKey(opts.train!.queueName, id);
    const poll = setInterval(() => {
      control.exists(key).then(
        (n) => {
          if (!n) return;
          cancelled = true;
          stop.abort();
        },
        () => undefined,
      );
    }, CANCEL_CHECK_MS);
    let lastProgress = 0;
    const onProgress = (p: TrainQueueProgress) => {
      if (Date.now() - lastProgress < PROGRESS_EVERY_MS && p.iteration < p.total) return;
      lastProgress = Date.now();
      job.updateProgress(p).catch(() => undefined);
    };
    send(`training ${parsed.data.file} for ${parsed.data.by}${job.attemptsStarted > 1 ? ` (attempt ${job.attemptsStarted})` : ''}`);
    try {
      if (await control.exists(key)) {
        cancelled = true;
        stop.abort();
      }
      const result = await runQueuedTrainingHere(id, job.attemptsStarted, parsed.data, { map: opts.map, worker: name, signal: stop.signal, log: send, onProgress });
      if (result.status === 'aborted' && !cancelled) throw new Error(`stopped on ${name} at iteration ${result.completed ?? 0}; it goes on from its checkpoint on the next worker`);
      send(`ended: ${result.status}${result.completed !== undefined ? ` at iteration ${result.completed}` : ''}${result.exitCode !== undefined ? ` (exit code ${result.exitCode})` : ''}`);
      return result;
    } catch (e) {
      send(`failed: ${(e as Error).message ?? String(e)}`);
      throw e instanceof Error ? e : new Error(String(e));
    } finally {
      clearInterval(poll);
      watch.done();
    }
  };

  const workers: Worker[] = [];
  const batch = new Worker(queueName, processShare, workerOptions(lockMs, Math.max(1, opts.concurrency ?? 1)));
  const batchLocks = watchLocks(batch, lockMs, opts.log);
  workers.push(batch);
  if (opts.train) {
    const trainLockMs = Math.max(2, opts.train.lockSeconds ?? DEFAULT_TRAIN_LOCK_SECONDS) * 1000;
    const trainer = new Worker(opts.train.queueName, processTraining, workerOptions(trainLockMs, 1));
    trainLocks = watchLocks(trainer, trainLockMs, opts.log);
    workers.push(trainer);
  }
  for (const w of workers) {
    w.on('error', onError);
    w.on('stalled', (jobId) => opts.log(`job ${jobId} was left by a worker that stopped answering; it is queued again`));
  }

  const stopped = new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    else opts.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const running = workers.map((w) => w.run());
  await Promise.all(workers.map((w) => w.waitUntilReady().catch(() => undefined)));
  opts.log(
    `worker ${name} on queue ${queueName}${opts.train ? ` and trainings from ${opts.train.queueName}` : ''} at ${opts.queue.shown}: waiting for shares ` +
      `(engine ${opts.engine}, ${Math.max(1, opts.concurrency ?? 1)} at a time)`,
  );
  try {
    await Promise.race([stopped, ...running]);
  } finally {
    opts.log(`worker ${name}: stopping after the jobs it has`);
    await Promise.all(workers.map((w) => w.close()));
    await Promise.all(running.map((r) => r.catch(() => undefined)));
    batchLocks.close();
    trainLocks?.close();
    await control.quit().catch(() => control.disconnect());
    await bundles.dispose();
  }
}
