// A worker's side of a queued training: one project's training, run by the engine as
// `modulargan train` runs it, on this machine's paths, its log lines and progress sent back.
// A training whose worker died is taken over by the next worker that gets the job: it resumes
// from the run's latest checkpoint (whatever the job first asked: --restart must not throw
// away what the dead attempt trained), and takes over the run folder's lock when the lock
// names an earlier attempt at this same job, which the queue has declared dead.

import { stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultRunDir } from '../../train/run';
import { LOCK_FILE, runFolderHolder } from '../../train/run-lock';
import { trainProject } from '../train';
import { ShareUnreachableError } from './batch-share';
import type { PathMap } from './path-map';
import { type TrainJobData, type TrainJobResult, type TrainQueueProgress, queuedTrainingCommand } from './train-job';

export interface TrainWorkContext {
  readonly map: PathMap;
  readonly worker: string;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
  readonly onProgress: (p: TrainQueueProgress) => void;
}

export async function runQueuedTrainingHere(jobId: string, attempt: number, job: TrainJobData, ctx: TrainWorkContext): Promise<TrainJobResult> {
  const { map } = ctx;
  const file = map.toLocal(job.file);
  if (!(await stat(file).catch(() => null))?.isFile())
    throw new ShareUnreachableError(`the project ${file}${file === job.file ? '' : ` (${job.file} on the submitting machine)`} is not a file this worker can read; mount the shared storage or give --map REMOTE=LOCAL`);
  const again = attempt > 1;
  if (again) {
    const runDir = defaultRunDir(file);
    const holder = await runFolderHolder(runDir);
    if (holder?.command.startsWith(queuedTrainingCommand(jobId, ''))) {
      await unlink(join(runDir, LOCK_FILE)).catch(() => undefined);
      ctx.log(`took over ${runDir} from the earlier attempt on ${holder.host} (pid ${holder.pid}), whose worker stopped answering`);
    }
    ctx.log(`attempt ${attempt}: resuming from the latest checkpoint`);
  }
  const outcome = await trainProject(
    {
      file,
      engine: job.engine,
      backend: job.backend,
      ...(job.iterations ? { iterations: job.iterations } : {}),
      ...(job.stopAfter ? { stopAfter: job.stopAfter } : {}),
      ...(job.nproc ? { nproc: job.nproc } : {}),
      resume: again || job.resume,
      // A later attempt goes on from the latest checkpoint, which the dead attempt may have written after this one.
      ...(job.from && !again ? { from: join(defaultRunDir(file), 'checkpoints', job.from) } : {}),
      restart: !again && job.restart,
      command: queuedTrainingCommand(jobId, ctx.worker),
      signal: ctx.signal,
    },
    {
      log: (line) => ctx.log(map.textToRemote(line)),
      onProgress: (p) =>
        ctx.onProgress({
          worker: ctx.worker,
          iteration: p.done,
          total: p.total,
          iterationsPerSecond: p.iterationsPerSecond,
          imagesPerSecond: p.imagesPerSecond,
          etaSeconds: Number.isFinite(p.etaSeconds) ? p.etaSeconds : -1,
          losses: Object.fromEntries(Object.entries(p.losses).filter(([, v]) => typeof v === 'number' && Number.isFinite(v))) as Record<string, number>,
        }),
      onTorchIteration: (iteration, losses) =>
        ctx.onProgress({
          worker: ctx.worker,
          // Iterations completed, as the built-in trainer's progress counts them (log.jsonl numbers from 0).
          iteration: iteration + 1,
          total: job.iterations ?? 0,
          iterationsPerSecond: 0,
          imagesPerSecond: 0,
          etaSeconds: -1,
          losses: Object.fromEntries(Object.entries(losses).filter(([, v]) => typeof v === 'number' && Number.isFinite(v))) as Record<string, number>,
        }),
    },
  );
  if (outcome.engine === 'torch') return { kind: 'train', worker: ctx.worker, engine: 'torch', status: 'exit', exitCode: outcome.exitCode };
  const r = outcome.result;
  return {
    kind: 'train',
    worker: ctx.worker,
    engine: 'builtin',
    backend: outcome.backend,
    status: r.status,
    completed: r.completed,
    runDir: map.toRemote(r.runDir),
    ...(r.lastCheckpoint ? { lastCheckpoint: map.toRemote(r.lastCheckpoint) } : {}),
    ...(r.message ? { message: map.textToRemote(r.message) } : {}),
  };
}
