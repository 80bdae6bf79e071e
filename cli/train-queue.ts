// `modulargan train p.mgproj.json --queue redis://…`: the training runs on a queue worker
// started with --train; its log lines and progress are printed here as they come, and the
// exit code is the one a local training would give. core/engine/queue does the rest.

import { runQueuedTraining } from '../core/engine/queue/train-submit';
import { errorLine } from './flags';
import { type TrainCommandOptions, trainRunOptions } from './train';

/** Exit codes as `modulargan train`: 0 finished or stopped as asked, 1 could not run, 3 NaN/Inf, 130 interrupted. */
export async function queuedTrainCommand(file: string, opts: TrainCommandOptions & { queue: string }, log: (line: string) => void, signal?: AbortSignal): Promise<number> {
  try {
    let lastLine = 0;
    const r = await runQueuedTraining(
      {
        file,
        queue: opts.queue,
        queueName: opts.queueName,
        ...trainRunOptions(opts, signal),
      },
      {
        onQueued: (q) => log(`queued as ${q.jobId} on ${q.queue}; Ctrl+C stops it (with a checkpoint once it runs)`),
        onNotice: log,
        log,
        onProgress: (p) => {
          if (opts.quiet || (Date.now() - lastLine < 10_000 && p.iteration < p.total)) return;
          lastLine = Date.now();
          const loss = (k: string) => (p.losses[k] === undefined ? '-' : p.losses[k]!.toFixed(3));
          log(`iteration ${p.iteration}/${p.total} on ${p.worker}, ${p.iterationsPerSecond.toFixed(2)} it/s, ${p.imagesPerSecond.toFixed(1)} img/s, D ${loss('d_total')}, G ${loss('g_total')}`);
        },
      },
    );
    if (r.status === 'exit') return r.exitCode ?? 1;
    if (r.status === 'non-finite') {
      log(`error: ${r.message ?? 'a loss became NaN or infinite'}`);
      return 3;
    }
    if (r.status === 'aborted') {
      log(`interrupted${r.completed !== undefined ? ` at iteration ${r.completed}` : ' before it started'}${r.lastCheckpoint ? `; --resume continues from ${r.lastCheckpoint}` : ''}`);
      return 130;
    }
    log(`${r.status === 'done' ? 'finished' : 'stopped'} at iteration ${r.completed} on ${r.worker}; log, samples and checkpoints in ${r.runDir}`);
    return 0;
  } catch (e) {
    return errorLine(e, log);
  }
}
