// The submitting side of a distributed batch (`modulargan batch --queue`, the studio's Batch
// panel with a queue URL): the folder is listed and screened once, here, exactly as a local
// batch does (core/runtime/batch.ts planBatch); the inputs to run are split into shares of N
// files queued on BullMQ; workers on any machine run them; this side follows them and merges
// their parts into the report a local run writes.
//
// The submitter keeps the books, not Redis: it knows every share it queued, so a Redis that
// restarted empty (its jobs forgotten) has them queued again, and a share's result counts once
// whichever attempt delivered it. Job ids are fixed per share, so queueing one twice adds it
// once. Ctrl+C removes the shares not started and tells running ones to stop after their
// batch in flight, as a local run stops.

import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { writeFileAtomic } from '../../files/atomic';
import { readFileHead } from '../../files/documents';
import { sweepStaleTemporaries } from '../../files/stale-temporaries';
import type { Graph } from '../../graph/graph';
import { expandPresetNodes } from '../../graph/preset-node';
import { type BatchOptions, type BatchPlan, type BatchReport, planBatch } from '../../runtime/batch';
import { type RunItem, RunError, type RunProgress } from '../../runtime/executor';
import { outputPath, writeErrorReason } from '../../runtime/output-writer';
import type { BatchJob } from '../batch';
import { requireDocument } from '../documents';
import { type QueueAddress, connectionOptions, parseQueueAddress } from './address';
import {
  BATCH_QUEUE,
  QUEUE_NAME,
  type BatchJobData,
  SHARE_ATTEMPTS,
  SHARE_BACKOFF_MS,
  batchResultSchema,
  cancelKey,
  fileIdentity,
  shareJobId,
  shareProgressSchema,
} from './batch-job';
import { type ShareOutcome, mergeBatchReport } from './batch-merge';

export interface QueuedBatchOptions extends Omit<BatchOptions, 'share' | 'engine'> {
  readonly queue: QueueAddress;
  /** The BullMQ queue (default modulargan-batch): workers listen on the same name. */
  readonly queueName?: string;
  /** Files per queued share (default 4 batches). A multiple of batchSize keeps the batches a local run makes. */
  readonly jobSize?: number;
  /** The preset bundle the graph came from, as this machine sees it: workers unpack it for the weights. */
  readonly bundle?: string;
  /** How often the books are checked against Redis when no event says so (ms). */
  readonly checkEveryMs?: number;
}

/** One worker's part in the run so far. */
export interface WorkerProgress {
  readonly worker: string;
  /** Images its finished shares processed, plus where its running ones are. */
  readonly done: number;
  readonly shares: number;
  readonly running: number;
  readonly imagesPerSecond: number;
}

export interface QueuedBatchProgress extends RunProgress {
  readonly workers: readonly WorkerProgress[];
  readonly shares: { readonly total: number; readonly finished: number; readonly running: number };
}

export interface QueuedBatchEvents {
  /** Once the shares are queued: the run's id (named in every job) and how it was split. */
  readonly onQueued?: (q: { runId: string; queue: string; shares: number; files: number }) => void;
  readonly onProgress?: (p: QueuedBatchProgress) => void;
  /** A share finished for good, with its result or its failure. */
  readonly onShare?: (s: ShareOutcome & { readonly worker?: string }) => void;
  /** Something the user should know while it runs: Redis lost and back, shares queued again, no worker yet. */
  readonly onNotice?: (line: string) => void;
}

export interface QueuedBatchReport extends BatchReport {
  readonly runId: string;
  readonly workers: readonly WorkerProgress[];
}

const REPORT_EVERY_MS = 1000;
/** Tell the user once when no worker has taken a share this long after queueing. */
const NO_WORKER_NOTICE_MS = 15_000;
/** A closing client that cannot reach Redis is dropped after this long. */
const CLOSE_TIMEOUT_MS = 3000;

/** A temporary file this old, once every share has ended, was left by a writer that died. */
const SWEEP_GRACE_MS = 2000;

/** Whether any of `dirs` holds a file named like a whole-file write's temporary. */
async function anyTemporaries(dirs: Iterable<string>): Promise<boolean> {
  for (const d of dirs) if ((await readdir(d).catch(() => [] as string[])).some((n) => n.startsWith('.') && n.endsWith('.tmp'))) return true;
  return false;
}

const newRunId = () => `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;

const chunks = <T>(xs: readonly T[], n: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

async function inBatches<T>(xs: readonly T[], n: number, f: (x: T) => Promise<void>): Promise<void> {
  for (const part of chunks(xs, n)) await Promise.all(part.map(f));
}

/** Outputs of `files` there now, by path relative to the output folder, with their identity. */
async function outputsThere(plan: BatchPlan, files: readonly string[]): Promise<Record<string, string>> {
  const before: Record<string, string> = {};
  const rels = files.flatMap((f, index) => {
    const item: RunItem = { index, files: { src: join(plan.input, f) }, names: { src: f } };
    return plan.outputs.map((o) => outputPath(item, o, plan.outputs));
  });
  await inBatches(rels, 64, async (rel) => {
    const st = await lstat(join(plan.output, rel)).catch(() => null);
    if (st?.isFile()) before[rel] = fileIdentity(st);
  });
  return before;
}

/** Folders the shares write into: their leftover temporaries are swept when every share has ended. */
function outputFolders(plan: BatchPlan): Set<string> {
  const dirs = new Set<string>([plan.output]);
  plan.files.forEach((f, index) => {
    const item: RunItem = { index, files: { src: join(plan.input, f) }, names: { src: f } };
    for (const o of plan.outputs) dirs.add(dirname(join(plan.output, outputPath(item, o, plan.outputs))));
  });
  return dirs;
}

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T | undefined> =>
  Promise.race([p.catch(() => undefined), new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);

/**
 * Plans `graph` over `opts.input` as a local batch would, queues it in shares and follows them
 * to the end. Throws RunError when it cannot start (as runBatch does); every file that could not
 * be processed is in the report instead.
 */
export async function runQueuedBatch(graph: Graph, opts: QueuedBatchOptions, events: QueuedBatchEvents = {}): Promise<QueuedBatchReport> {
  const t0 = performance.now();
  const plan = await planBatch(graph, opts);
  if (!(await stat(plan.input)).isDirectory()) throw new RunError(`${plan.input}: a queued batch takes a folder of images, not one file`);
  const batchSize = opts.batchSize ?? 8;
  const jobSize = opts.jobSize ?? 4 * batchSize;
  if (!Number.isInteger(jobSize) || jobSize < 1) throw new RunError(`the job size must be a whole number of files above 0, got ${jobSize}`);
  const queueName = opts.queueName ?? BATCH_QUEUE;
  const runId = newRunId();
  const shares = chunks(plan.files, jobSize).map((files, index) => ({ index, files, id: shareJobId(runId, index) }));
  const outcomes = new Map<number, ShareOutcome & { worker?: string }>();
  const running = new Map<number, { worker: string; done: number; total: number; imagesPerSecond: number }>();
  let aborted = !!opts.signal?.aborted;
  let stoppedBy: string | undefined;

  // A local run with stopOnError stops at the first file it skips, before running any.
  if (opts.stopOnError && plan.skipped.length && shares.length) aborted = true;

  let reportError: string | undefined;
  const report = (end: boolean): BatchReport => {
    const seconds = (performance.now() - t0) / 1000;
    const merged = mergeBatchReport(plan, [...outcomes.values()], { aborted, stoppedBy, seconds, reportError });
    return end ? merged : { ...merged, finished: false, cancelled: false };
  };
  let reporting = Promise.resolve();
  let lastReport = 0;
  const saveReport = (end: boolean): Promise<void> => {
    lastReport = Date.now();
    reporting = reporting.then(async () => {
      try {
        await mkdir(dirname(plan.reportPath), { recursive: true });
        await writeFileAtomic(plan.reportPath, `${JSON.stringify({ ...report(end), reportError: undefined }, null, 2)}\n`, { backup: false });
        reportError = undefined;
      } catch (e) {
        reportError = `${plan.reportPath}: ${writeErrorReason(e)}`;
      }
    });
    return reporting;
  };
  const workerStats = (): WorkerProgress[] => {
    const by = new Map<string, { done: number; shares: number; running: number; imagesPerSecond: number }>();
    const get = (w: string) => by.get(w) ?? (by.set(w, { done: 0, shares: 0, running: 0, imagesPerSecond: 0 }), by.get(w)!);
    for (const o of outcomes.values())
      if (o.result) {
        const s = get(o.result.worker);
        s.done += o.result.processed;
        s.shares += 1;
      }
    for (const r of running.values()) {
      const s = get(r.worker);
      s.done += r.done;
      s.running += 1;
      s.imagesPerSecond += r.imagesPerSecond;
    }
    return [...by].map(([worker, s]) => ({ worker, ...s, imagesPerSecond: Math.round(s.imagesPerSecond * 100) / 100 })).sort((a, b) => (a.worker < b.worker ? -1 : 1));
  };
  const finish = async (): Promise<QueuedBatchReport> => {
    await saveReport(true);
    await reporting;
    return { ...report(true), runId, workers: workerStats() };
  };

  if (!shares.length || aborted) return finish();

  const existing = opts.skipExisting ? 'keep' : opts.overwrite ? 'replace' : 'refuse';
  const queuedAt = Date.now();
  // Made once per share: what was there before must stay what was there when the batch was
  // planned, or a share queued again would take its own earlier outputs for the user's.
  const made = new Map<number, Promise<BatchJobData>>();
  const jobData = (s: (typeof shares)[number]): Promise<BatchJobData> => {
    let data = made.get(s.index);
    if (!data) made.set(s.index, (data = makeJobData(s)));
    return data;
  };
  const makeJobData = async (s: (typeof shares)[number]): Promise<BatchJobData> => ({
    kind: 'batch',
    runId,
    index: s.index,
    shares: shares.length,
    graph: plan.graph as BatchJobData['graph'],
    baseDir: opts.baseDir,
    ...(opts.bundle ? { bundle: opts.bundle } : {}),
    input: plan.input,
    output: plan.output,
    masks: opts.masks ?? false,
    seed: opts.seed ?? 0,
    batchSize,
    existing,
    stopOnError: opts.stopOnError ?? false,
    files: s.files,
    before: await outputsThere(plan, s.files),
    queuedAt,
  });
  const jobOptions = (s: (typeof shares)[number]) => ({
    jobId: s.id,
    attempts: SHARE_ATTEMPTS,
    backoff: { type: 'exponential' as const, delay: SHARE_BACKOFF_MS },
    // Read and removed by this side; kept a day for a submitter that died before it could.
    removeOnComplete: { age: 24 * 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  });

  const notice = (line: string) => events.onNotice?.(line);
  const queue = new Queue(queueName, { connection: connectionOptions(opts.queue, 'batch-submit') });
  const follow = new QueueEvents(queueName, { connection: connectionOptions(opts.queue, 'batch-follow') });
  const control = new Redis(connectionOptions(opts.queue, 'batch-control'));
  let lost: number | undefined;
  const onError = (e: Error) => {
    if (lost === undefined) {
      lost = Date.now();
      notice(`lost the connection to Redis at ${opts.queue.shown} (${e.message}); waiting for it to come back`);
    }
  };
  queue.on('error', onError);
  follow.on('error', onError);
  control.on('error', onError);

  // Wakes the follow loop early: an event, a reconnect, Ctrl+C.
  let wake: () => void = () => undefined;
  const touched = new Set<number>();
  let checkAll = true;
  const byId = new Map(shares.map((s) => [s.id, s]));
  control.on('ready', () => {
    if (lost !== undefined) {
      notice(`Redis at ${opts.queue.shown} is back after ${((Date.now() - lost) / 1000).toFixed(1)} s; checking every queued share`);
      lost = undefined;
    }
    checkAll = true;
    wake();
  });
  const ended = ({ jobId }: { jobId: string }) => {
    const s = byId.get(jobId);
    if (!s) return;
    touched.add(s.index);
    wake();
  };
  follow.on('completed', ended);
  follow.on('failed', ended);
  follow.on('progress', ({ jobId, data }) => {
    const s = byId.get(jobId);
    const p = shareProgressSchema.safeParse(data);
    if (s && p.success && !outcomes.has(s.index)) running.set(s.index, p.data);
    wake();
  });
  const onAbort = () => {
    aborted = true;
    wake();
  };
  opts.signal?.addEventListener('abort', onAbort);

  try {
    await follow.waitUntilReady();
    for (const part of chunks(shares, 200)) {
      if (aborted) break;
      const jobs = await Promise.all(part.map(async (s) => ({ name: 'share', data: await jobData(s), opts: jobOptions(s) })));
      await queue.addBulk(jobs);
    }
    events.onQueued?.({ runId, queue: queueName, shares: shares.length, files: plan.files.length });

    const open = new Set(shares.map((s) => s.index));
    let cancelSent = false;
    let startedAny = false;
    let noWorkerTold = false;
    const requeue = async (s: (typeof shares)[number]) => {
      await queue.add('share', await jobData(s), jobOptions(s));
    };
    const settle = (index: number, outcome: ShareOutcome & { worker?: string }) => {
      open.delete(index);
      running.delete(index);
      outcomes.set(index, outcome);
      events.onShare?.(outcome);
      const r = outcome.result;
      if (r?.stoppedBy && !stoppedBy) stoppedBy = r.stoppedBy;
      if (r && (r.stoppedBy || (opts.stopOnError && (r.skipped.length || r.failed.length)))) aborted = true;
    };
    const check = async (index: number) => {
      const s = shares[index]!;
      const job: Job | undefined = await queue.getJob(s.id);
      if (!job) {
        // Redis forgot it (restarted without its data): queue it again, unless stopping.
        if (aborted) open.delete(index);
        else {
          notice(`share ${index + 1}/${shares.length} was lost by Redis; queued again`);
          await requeue(s);
        }
        return;
      }
      if (job.processedOn) startedAny = true;
      if (!job.finishedOn) return;
      const state = await job.getState();
      if (state === 'completed') {
        const r = batchResultSchema.safeParse(job.returnvalue);
        if (r.success && r.data.cancelled && !aborted) {
          // Stopped on its worker though nobody cancelled the run (its lock was lost): not done.
          notice(`share ${index + 1}/${shares.length} was stopped on ${r.data.worker} before its end; queued again`);
          await job.remove().catch(() => undefined);
          await requeue(s);
        } else if (r.success) settle(index, { index, files: s.files, result: r.data, worker: r.data.worker });
        else settle(index, { index, files: s.files, failure: { reason: `its worker returned no valid result (${r.error.issues[0]?.message ?? 'unreadable'})`, worker: job.processedBy } });
      } else if (state === 'failed') settle(index, { index, files: s.files, failure: { reason: job.failedReason || 'no reason given', worker: job.processedBy } });
    };
    const cancelRest = async () => {
      cancelSent = true;
      await control.set(cancelKey(queueName, runId), '1', 'EX', 7 * 24 * 3600);
      // Shares not started are removed; running ones stop after their batch in flight.
      await inBatches([...open], 50, async (index) => {
        if ((await queue.remove(shares[index]!.id)) === 1) {
          const job = await queue.getJob(shares[index]!.id);
          if (!job) open.delete(index);
        }
      });
    };

    while (open.size) {
      if (aborted && !cancelSent) await cancelRest();
      const which = checkAll ? [...open] : [...touched].filter((i) => open.has(i));
      checkAll = false;
      touched.clear();
      await inBatches(which, 100, check);
      if (!open.size) break;
      if (!startedAny && running.size) startedAny = true;
      if (!startedAny && !noWorkerTold && performance.now() - t0 > NO_WORKER_NOTICE_MS) {
        noWorkerTold = true;
        const workers = await withTimeout(queue.getWorkersCount(), 2000);
        notice(
          `no worker has taken a share yet (${workers ?? 'unknown number of'} worker${workers === 1 ? '' : 's'} on queue ${queueName}); start one with: modulargan worker --queue ${opts.queue.shown}`,
        );
      }
      const doneFiles = [...outcomes.values()].reduce((n, o) => n + o.files.length, 0) + [...running.values()].reduce((n, r) => n + r.done, 0);
      const seconds = (performance.now() - t0) / 1000;
      const processed = [...outcomes.values()].reduce((n, o) => n + (o.result?.processed ?? 0), 0) + [...running.values()].reduce((n, r) => n + r.done, 0);
      const rate = processed / Math.max(seconds, 1e-9);
      events.onProgress?.({
        done: Math.min(doneFiles, plan.files.length),
        total: plan.files.length,
        imagesPerSecond: Math.round(rate * 100) / 100,
        etaSeconds: (plan.files.length - doneFiles) / Math.max(rate, 1e-9),
        workers: workerStats(),
        shares: { total: shares.length, finished: outcomes.size, running: running.size },
      });
      if (Date.now() - lastReport >= REPORT_EVERY_MS) void saveReport(false);
      await new Promise<void>((r) => {
        const t = setTimeout(r, opts.checkEveryMs ?? 2000);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
      wake = () => undefined;
    }

    // Every share has ended: what is left of a killed writer's temporary files is a leftover.
    // One younger than the grace period (its worker was killed just before the end) is
    // waited for: the folder must hold the outputs and nothing else, as after a local run.
    const folders = outputFolders(plan);
    await sweepStaleTemporaries(folders, Date.now(), { writersDoneAfterMs: SWEEP_GRACE_MS });
    if (await anyTemporaries(folders)) {
      await new Promise((r) => setTimeout(r, SWEEP_GRACE_MS));
      await sweepStaleTemporaries(folders, Date.now(), { writersDoneAfterMs: SWEEP_GRACE_MS });
    }
    // The books are closed: the jobs and the cancel flag go.
    await withTimeout(
      Promise.all([inBatches(shares, 100, async (s) => void (await queue.remove(s.id).catch(() => 0))), control.del(cancelKey(queueName, runId))]),
      CLOSE_TIMEOUT_MS,
    );
    return await finish();
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await withTimeout(Promise.all([queue.close(), follow.close(), control.quit()]), CLOSE_TIMEOUT_MS);
    control.disconnect();
    await withTimeout(Promise.all([queue.disconnect(), follow.disconnect()]), 500);
  }
}

/** A batch for the queue, from any front door: the engine's BatchJob with where to queue it. */
export interface QueuedBatchJob extends Omit<BatchJob, 'backend' | 'share'> {
  /** redis://host:port[/db] */
  readonly queue: string;
  readonly queueName?: string;
  readonly jobSize?: number;
}

/**
 * Opens the document (or takes the graph), checks the queue URL, and runs the batch through
 * the queue. Throws RunError or DocumentError when it cannot start, as runBatchJob does.
 */
export async function runQueuedBatchJob(job: QueuedBatchJob, events: QueuedBatchEvents = {}): Promise<QueuedBatchReport> {
  if ((job.file === undefined) === (job.graph === undefined)) throw new RunError('a batch runs either a document (file) or a graph (graph and baseDir)');
  const queue = parseQueueAddress(job.queue);
  if (job.queueName !== undefined && !QUEUE_NAME.test(job.queueName)) throw new RunError(`the queue name must be 1-64 letters, digits, '.', '_' or '-', got '${job.queueName}'`);
  const doc = job.file !== undefined ? await requireDocument(job.file) : undefined;
  try {
    const graph = doc?.graph ?? job.graph!;
    const baseDir = doc?.baseDir ?? job.baseDir;
    if (baseDir === undefined) throw new RunError('a batch of a graph needs the folder its relative paths resolve against (baseDir)');
    // A bundle's weights are in a folder only this machine has: each worker unpacks the bundle itself.
    const bundle = job.file !== undefined && (await readFileHead(job.file, 2))?.toString('latin1') === 'PK' ? resolve(job.file) : undefined;
    return await runQueuedBatch(
      expandPresetNodes(graph).graph,
      {
        ...job,
        baseDir: resolve(baseDir),
        bundle,
        queue,
        seed: job.seed ?? 0,
        batchSize: job.batchSize ?? 8,
        report: job.report === undefined ? undefined : resolve(job.report),
      },
      events,
    );
  } finally {
    await doc?.cleanup();
  }
}
