// `modulargan worker --queue redis://…`: flags in, the worker's log lines out. Taking shares,
// running them with the engine and giving results back is core/engine/queue/worker.ts.

import { chooseInferenceEngine } from '../core/engine/backends';
import { RunError, userErrorMessage } from '../core/engine/errors';
import { parseQueueAddress } from '../core/engine/queue/address';
import { QUEUE_NAME } from '../core/engine/queue/batch-job';
import { parsePathMaps } from '../core/engine/queue/path-map';
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
    const engine = await chooseInferenceEngine(opts.backend ?? 'auto');
    for (const p of map.pairs) log(`paths under ${p.remote} are read as ${p.local}`);
    await runWorkerHost({ queue, queueName: opts.queueName, map, concurrency, engine, name: opts.name, lockSeconds, log, signal });
    return 0;
  } catch (e) {
    const message = userErrorMessage(e);
    if (message === undefined) throw e;
    log(`error: ${message}`);
    return 1;
  }
}
