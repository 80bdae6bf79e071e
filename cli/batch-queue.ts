// `modulargan batch … --queue redis://…`: the same batch, spread over queue workers. Flags
// in; notices, per-worker progress and the merged report's lines out. Planning, queueing,
// following and merging are core/engine/queue's.

import { SingleBar } from 'cli-progress';
import { batchExitCode, describeBatchReport } from '../core/engine/batch';
import { RunError } from '../core/engine/errors';
import { runQueuedBatchJob } from '../core/engine/queue/batch-submit';
import { type BatchCommandOptions, batchFolderOptions } from './batch';
import { commandFailed, wholeNumber } from './flags';

export async function queuedBatchCommand(file: string, opts: BatchCommandOptions & { queue: string }, log: (line: string) => void, signal?: AbortSignal): Promise<number> {
  let bar: SingleBar | undefined;
  const say = (line: string) => {
    if (bar?.isActive) bar.stop();
    log(line);
  };
  try {
    if (opts.backend !== undefined && opts.backend !== 'auto') say(`note: --backend is each worker's choice with a queue (modulargan worker --backend ${opts.backend}); ignored here`);
    const jobSize = opts.jobSize === undefined ? undefined : wholeNumber(opts.jobSize, 'job-size', 0);
    if (jobSize === 0) throw new RunError('--job-size must be at least 1');
    const report = await runQueuedBatchJob(
      {
        file,
        queue: opts.queue,
        queueName: opts.queueName,
        jobSize,
        ...batchFolderOptions(opts),
        signal,
      },
      {
        onQueued: (q) => !opts.quiet && say(`queued ${q.files} files as ${q.shares} shares on ${q.queue} (run ${q.runId}); Ctrl+C removes the shares not started`),
        onNotice: say,
        onShare: (s) => {
          if (opts.quiet || process.stderr.isTTY) return;
          if (s.result) say(`share ${s.index + 1} done on ${s.result.worker}: ${s.result.processed} processed, ${s.result.skipped.length} skipped, ${s.result.failed.length} not written`);
          else if (s.failure) say(`share ${s.index + 1} failed${s.failure.worker ? ` on ${s.failure.worker}` : ''}: ${s.failure.reason}`);
        },
        onProgress: (p) => {
          if (opts.quiet || !process.stderr.isTTY) return;
          bar ??= new SingleBar({ format: 'batch {bar} {value}/{total} | {speed} img/s | {workers}', hideCursor: true });
          const workers = p.workers.map((w) => `${w.worker} ${w.done}`).join(', ') || 'no worker yet';
          if (!bar.isActive) bar.start(p.total, 0, { speed: '0', workers });
          bar.update(p.done, { speed: p.imagesPerSecond.toFixed(1), workers });
        },
      },
    );
    bar?.stop();
    describeBatchReport(report).forEach((l) => log(l));
    if (!opts.quiet) for (const w of report.workers) log(`worker ${w.worker}: ${w.shares} shares, ${w.done} images`);
    return batchExitCode(report, opts.stopOnError);
  } catch (e) {
    bar?.stop();
    return commandFailed(e, log);
  }
}
