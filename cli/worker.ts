// `modulargan worker --queue redis://…`: flags in, the worker's log lines out. Taking shares,
// running them with the engine and giving results back is core/engine/queue/worker.ts.

import { chooseInferenceEngine } from '../core/engine/backends';
import { RunError, userErrorMessage } from '../core/engine/errors';
import { parseQueueAddress } from '../core/engine/queue/address';
import { QUEUE_NAME } from '../core/engine/queue/batch-job';
import { parsePathMaps } from '../core/engine/queue/path-map';
import { TRAIN_QUEUE } from '../core/engine/queue/train-job';
import { runWorkerHost } from '../core/engine/queue/worker';
import { wholeNumber } from './flags';

export interface WorkerCommandOptions {
  queue: string;
  map?: string[];
  concurrency?: string;
  backend?: string;
  name?: string;
  queueName?: string;
  lockSeconds?: string;
  /** true, or the training queue's name. */
  train?: boolean | string;
  trainLockSeconds?: string;
}

/** Exit codes: 0 stopped when asked; 1 could not start (a bad flag, a backend that does not load). */
export async function workerCommand(opts: WorkerCommandOptions, log: (line: string) => void, signal: AbortSignal): Promise<number> {
  try {
    const queue = parseQueueAddress(opts.queue);
    const map = parsePathMaps(opts.map ?? []);
    const concurrency = wholeNumber(opts.concurrency, 'concurrency', 1);
    if (concurrency < 1) throw new RunError('--concurrency must be at least 1');
    const lockSeconds = opts.lockSeconds === undefined ? undefined : wholeNumber(opts.lockSeconds, 'lock-seconds', 15);
    if (lockSeconds !== undefined && lockSeconds < 2) throw new RunError('--lock-seconds must be at least 2');
    if (opts.queueName !== undefined && !QUEUE_NAME.test(opts.queueName)) throw new RunError(`--queue-name must be 1-64 letters, digits, '.', '_' or '-', got '${opts.queueName}'`);
    const trainQueue = opts.train === undefined || opts.train === false ? undefined : opts.train === true ? TRAIN_QUEUE : opts.train;
    if (trainQueue !== undefined && !QUEUE_NAME.test(trainQueue)) throw new RunError(`--train takes a queue name of 1-64 letters, digits, '.', '_' or '-', got '${trainQueue}'`);
    const trainLockSeconds = opts.trainLockSeconds === undefined ? undefined : wholeNumber(opts.trainLockSeconds, 'train-lock-seconds', 300);
    if (trainLockSeconds !== undefined && trainLockSeconds < 2) throw new RunError('--train-lock-seconds must be at least 2');
    const engine = await chooseInferenceEngine(opts.backend ?? 'auto');
    for (const p of map.pairs) log(`paths under ${p.remote} are read as ${p.local}`);
    const train = trainQueue === undefined ? undefined : { queueName: trainQueue, lockSeconds: trainLockSeconds };
    await runWorkerHost({ queue, queueName: opts.queueName, map, concurrency, engine, name: opts.name, lockSeconds, train, log, signal });
    return 0;
  } catch (e) {
    const message = userErrorMessage(e);
    if (message === undefined) throw e;
    log(`error: ${message}`);
    return 1;
  }
}
