// A queue worker (`modulargan worker --queue redis://…`): takes batch shares from BullMQ and
// runs them with the engine, on any machine that sees the same storage (or maps it, --map).
//
// Failures, and what happens: a share that throws (its folders not mounted here, say) is
// retried with backoff, by this or another worker; a worker killed mid-share loses its lock,
// and another worker's stalled-job check takes the share over after `lockSeconds` (its
// outputs already written are counted, not written again: batch-share.ts); a Redis that goes
// away is waited for (every client reconnects, commands wait), and a share finished meanwhile
// is delivered when it is back. A lock that lapses while Redis is away lets another worker
// take the share too: only one attempt's result is accepted, and outputs are written once.

import { hostname } from 'node:os';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { EngineChoice } from '../../runtime/executor';
import { type QueueAddress, connectionOptions } from './address';
import { BATCH_QUEUE, type BatchJobResult, type ShareProgress, batchJobSchema, cancelKey } from './batch-job';
import { createBundleCache, runShare } from './batch-share';
import type { PathMap } from './path-map';

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
  readonly log: (line: string) => void;
  /** Stops taking shares; the ones running finish first. */
  readonly signal: AbortSignal;
}

export const DEFAULT_LOCK_SECONDS = 15;
const PROGRESS_EVERY_MS = 500;
const CANCEL_CHECK_MS = 1000;

/** Runs a worker until `signal`; resolves once the shares it had have ended. */
export async function runWorkerHost(opts: WorkerHostOptions): Promise<void> {
  const name = opts.name ?? `${hostname()}:${process.pid}`;
  const queueName = opts.queueName ?? BATCH_QUEUE;
  const lockMs = Math.max(2, opts.lockSeconds ?? DEFAULT_LOCK_SECONDS) * 1000;
  const bundles = createBundleCache();
  const control = new Redis(connectionOptions(opts.queue, 'worker-control'));
  let lastError = '';
  const onError = (e: Error) => {
    // A share's end that Redis no longer knows (it restarted empty, or the lock ran out while
    // it was away): the submitter has it done again, and what this attempt wrote is kept.
    const gone = /^Missing (key|lock) for job (\S+)/.exec(e.message);
    if (gone) return opts.log(`job ${gone[2]}: Redis no longer holds it, so its result could not be delivered; the share will be done again (its outputs are kept)`);
    // A Redis that is away says so on every retry: once per cause is enough.
    if (e.message !== lastError) opts.log(`redis ${opts.queue.shown}: ${e.message}; retrying`);
    lastError = e.message;
  };
  control.on('error', onError);
  control.on('ready', () => {
    if (lastError) opts.log(`redis ${opts.queue.shown}: connected again`);
    lastError = '';
  });

  const processShare = async (job: Job, _token?: string, jobSignal?: AbortSignal): Promise<BatchJobResult> => {
    const parsed = batchJobSchema.safeParse(job.data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UnrecoverableError(`job ${job.id} is not a batch share this worker can run (${issue?.path.join('.') || 'data'}: ${issue?.message}); are submitter and worker the same version?`);
    }
    const share = parsed.data;
    const what = `share ${share.index + 1}/${share.shares} of run ${share.runId}`;
    const stop = new AbortController();
    jobSignal?.addEventListener('abort', () => stop.abort());
    const key = cancelKey(queueName, share.runId);
    if (await control.exists(key)) stop.abort();
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
    }
  };

  const worker = new Worker(queueName, processShare, {
    connection: connectionOptions(opts.queue, 'worker'),
    name,
    concurrency: Math.max(1, opts.concurrency ?? 1),
    lockDuration: lockMs,
    // Dead workers' shares are looked for this often (by every worker, at no cost when none died).
    stalledInterval: Math.max(1000, Math.round(lockMs / 3)),
    // A share survives this many of its workers dying before it is reported as failed.
    maxStalledCount: 3,
    autorun: false,
  });
  worker.on('error', onError);
  worker.on('failed', (job, e) => {
    if (job && !job.data?.runId) opts.log(`job ${job.id} failed: ${e.message}`);
  });
  worker.on('stalled', (jobId) => opts.log(`job ${jobId} was left by a worker that stopped answering; it is queued again`));

  const stopped = new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    else opts.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const running = worker.run();
  await worker.waitUntilReady().catch(() => undefined);
  opts.log(`worker ${name} on queue ${queueName} at ${opts.queue.shown}: waiting for shares (engine ${opts.engine}, ${Math.max(1, opts.concurrency ?? 1)} at a time)`);
  try {
    await Promise.race([stopped, running]);
  } finally {
    opts.log(`worker ${name}: stopping after the shares it has`);
    await worker.close();
    await running.catch(() => undefined);
    await control.quit().catch(() => control.disconnect());
    await bundles.dispose();
  }
}
