// `modulargan batch`: flags in, a progress bar and the report's lines out. The batch itself
// (document, backend, report) is core/engine's runBatchJob, which the studio's Batch panel
// and queue workers call too.

import { SingleBar } from 'cli-progress';
import { type BatchReport, batchExitCode, describeBatchReport, runBatchJob } from '../core/engine/batch';
import { commandFailed, wholeNumber } from './flags';

export type { BatchReport };

export interface BatchCommandOptions {
  input: string;
  output: string;
  recursive?: boolean;
  glob?: string;
  skipExisting?: boolean;
  stopOnError?: boolean;
  overwrite?: boolean;
  masks?: boolean;
  seed?: string;
  backend?: string;
  batch?: string;
  report?: string;
  quiet?: boolean;
  /** redis://host:port[/db]: spread the batch over queue workers (cli/batch-queue.ts). */
  queue?: string;
  queueName?: string;
  jobSize?: string;
}

/**
 * Exit codes: 0 all done; 1 could not run (a bad argument or graph, an output folder that cannot
 * take files or whose outputs would land on an input); 2 some files skipped or not written, a
 * full or read-only disk stopped the run, or the report could not be written; 130 cancelled.
 */
/** The batch's folders, filters and resume flags as the engine takes them, local or queued. */
export function batchFolderOptions(opts: BatchCommandOptions) {
  return {
    input: opts.input,
    output: opts.output,
    recursive: opts.recursive,
    glob: opts.glob,
    skipExisting: opts.skipExisting,
    stopOnError: opts.stopOnError,
    overwrite: opts.overwrite,
    masks: opts.masks,
    seed: wholeNumber(opts.seed, 'seed', 0),
    batchSize: wholeNumber(opts.batch, 'batch', 8) || 1,
    report: opts.report,
  };
}

export async function batchCommand(file: string, opts: BatchCommandOptions, log: (line: string) => void, signal?: AbortSignal): Promise<number> {
  // Loaded only when asked: the queue client adds half a second to every start.
  if (opts.queue !== undefined) return (await import('./batch-queue')).queuedBatchCommand(file, { ...opts, queue: opts.queue }, log, signal);
  let bar: SingleBar | undefined;
  try {
    const report = await runBatchJob(
      { file, ...batchFolderOptions(opts), backend: opts.backend, signal },
      {
        onProgress: (p) => {
          if (opts.quiet || !process.stderr.isTTY) return;
          bar ??= new SingleBar({ format: 'batch {bar} {value}/{total} | {speed} img/s | ETA {eta_formatted}', hideCursor: true });
          if (!bar.isActive) bar.start(p.total, 0, { speed: '0' });
          bar.update(p.done, { speed: p.imagesPerSecond.toFixed(1) });
        },
      },
    );
    bar?.stop();
    describeBatchReport(report).forEach((l) => log(l));
    return batchExitCode(report, opts.stopOnError);
  } catch (e) {
    bar?.stop();
    return commandFailed(e, log);
  }
}
