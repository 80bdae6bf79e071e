// The Training tab's run on a queue worker (startTraining with a queue): submitted through
// runQueuedTraining, as `modulargan train --queue` submits it, and told as a run here is.
// The worker writes the run folder beside the project on shared storage, so progress comes
// per iteration from log.jsonl (with the worker's speed from the job's progress), samples
// from samples/ and checkpoints from index.json, followed as a PyTorch run's are; the
// worker's log lines are notes; its outcome is training-finished or training-failed. Stop is
// the command line's Ctrl+C: the worker stops with a checkpoint.

import { join, resolve } from 'node:path';
import { defaultRunDir } from '../train/run';
import { followRunFolder } from '../train/run-follow';
import type { RunEvent, TrainingRequest } from '../api/types';
import { checkpointEvents, pngUrl } from './checkpoint-info';
import { readProject } from './documents';
import { resumesAt } from './torch-training';
import { TRAIN_QUEUE, type TrainJobResult, type TrainQueueProgress } from './queue/train-job';

/** The worker's last lines, which training-finished and training-failed say in their own words. */
const END_LINE = /^\[[^\]]*\] (ended|failed): /;
const LOOK_EVERY_MS = 500;

type Finish = Extract<RunEvent, { type: 'training-finished' }>;

/** The worker's outcome as the built-in trainer's ends are told; undefined for a PyTorch run that failed. */
function finishedOf(r: TrainJobResult, done: number, lastCheckpoint: string | undefined, stopped: boolean): Omit<Finish, 'type' | 'runId'> | undefined {
  const checkpoint = (r.lastCheckpoint ?? lastCheckpoint) ? { lastCheckpoint: r.lastCheckpoint ?? lastCheckpoint! } : {};
  // A training taken off the queue before any worker had it (worker '') went nowhere past its start.
  const completed = r.worker ? (r.completed ?? done) : done;
  const message = r.message ? { message: r.message } : {};
  if (r.status === 'exit') {
    // A PyTorch run gives an exit code, as `modulargan train --engine torch` does.
    if (r.exitCode === 0) return { status: 'done', completed, ...checkpoint };
    if (r.exitCode === 3) return { status: 'non-finite', completed, message: 'a loss became NaN or infinite (the worker’s log above says where)', ...checkpoint };
    if (r.exitCode === 130 && stopped) return { status: 'stopped', completed, ...checkpoint };
    return undefined;
  }
  if (r.status === 'non-finite') return { status: 'non-finite', completed, ...message, ...checkpoint };
  return { status: r.status === 'done' ? 'done' : 'stopped', completed, ...message, ...checkpoint };
}

export async function trainOnQueue(runId: string, req: TrainingRequest & { readonly queue: string }, signal: AbortSignal, emit: (e: RunEvent) => void): Promise<void> {
  const file = resolve(req.projectPath);
  const note = (message: string) => emit({ type: 'training-note', runId, message: message.slice(0, 2000) });
  try {
    // Loaded only when asked: the queue client costs half a second at start.
    const { runQueuedTraining } = await import('./queue/train-submit');
    const project = await readProject(file);
    let total = req.iterations ?? project.training?.iterations ?? 0;
    const runDir = defaultRunDir(file);
    const root = join(runDir, 'checkpoints');
    const from = await resumesAt(root, req.resume);
    let done = from.iteration;
    const checkpoints = checkpointEvents(root, runId, emit, from.dir);
    /** The worker's latest word on its speed (job progress, every few seconds). */
    let speed: TrainQueueProgress | undefined;
    const progress = (iteration: number, all: Record<string, number>) => {
      done = iteration;
      const rate = speed?.iterationsPerSecond ?? 0;
      const { lr = 0, ...losses } = all;
      emit({ type: 'training-progress', runId, iteration, total, iterationsPerSecond: rate, etaSeconds: rate > 0 ? (total - iteration) / rate : Infinity, lr, losses });
    };
    // Started before the job is queued: what the folder holds now is an earlier run's.
    const look = await followRunFolder(runDir, {
      onIteration: (k, losses) => {
        if (k >= done) progress(k + 1, losses); // lines before a resumed run's checkpoint come again
      },
      onSample: (png, iteration) => emit({ type: 'training-sample', runId, iteration, png: pngUrl(png) }),
      onCheckpoint: checkpoints.onCheckpoint,
    });
    const timer = setInterval(() => void look(), LOOK_EVERY_MS);
    let result: TrainJobResult;
    try {
      result = await runQueuedTraining(
        {
          file,
          queue: req.queue,
          ...(req.queueName ? { queueName: req.queueName } : {}),
          ...(req.engine ? { engine: req.engine } : {}),
          ...(req.iterations ? { iterations: req.iterations } : {}),
          ...(req.nproc ? { nproc: req.nproc } : {}),
          resume: req.resume !== undefined,
          ...(req.resume && req.resume !== 'latest' ? { from: join(root, req.resume) } : {}),
          restart: !!req.restart,
          signal,
        },
        {
          onQueued: (q) => note(`queued as ${q.jobId} on ${q.queue}: a worker started with --train${q.queue === TRAIN_QUEUE ? '' : ` ${q.queue}`} takes it`),
          onNotice: note,
          log: (line) => {
            if (!END_LINE.test(line)) note(line);
          },
          onProgress: (p) => {
            speed = p;
            if (p.total > 0) total = p.total;
            // The log line of an iteration is written before its progress is sent: looked for
            // first. A worker whose run folder this machine does not see (a copy of the
            // project at the same path, not shared storage) is told from its progress alone.
            void look().then(() => {
              if (p.iteration > done) progress(p.iteration, p.losses);
            });
          },
        },
      );
    } finally {
      clearInterval(timer);
      await look();
      await checkpoints.settled();
    }
    const lastCheckpoint = checkpoints.last();
    const end = finishedOf(result, done, lastCheckpoint, signal.aborted);
    if (end) emit({ type: 'training-finished', runId, ...end });
    else emit({ type: 'training-failed', runId, message: `the PyTorch run on ${result.worker} ended with exit code ${result.exitCode ?? '?'} at iteration ${done}${lastCheckpoint ? `; its last checkpoint is ${lastCheckpoint}` : ''} (the worker's log above says why)` });
  } catch (e) {
    emit({ type: 'training-failed', runId, message: e instanceof Error ? e.message : String(e) });
  }
}
