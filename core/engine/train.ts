// Training a project file, for every front door: which engine trains (the built-in one, or
// PyTorch through python/modulargan_torch), which backend the built-in one runs on (asked
// for, else the project's training.backend, else auto), and the run itself
// (core/train/run.ts, or core/train/torch-engine.ts). The studio's Training tab
// (training-service.ts) starts its backend the same way, so both give the same losses.

import type { Losses } from '../train/trainer';
import { type TrainProgress, type TrainRunResult, defaultRunDir, runTraining } from '../train/run';
import { runTorchTraining } from '../train/torch-engine';
import { parseTrainingBackend, startTrainingBackend } from './backends';
import { readProject } from './documents';
import { withTrainingMonitor } from './monitor';
import { RunError } from './errors';
import { TRAINING_ENGINES, isTrainingEngine } from '../api/training-engines';

export type { Losses, TrainProgress, TrainRunResult };
// Who trains: the engine in this process, or PyTorch; the one list is the contract's.
export { TRAINING_ENGINES, type TrainingEngine, isTrainingEngine } from '../api/training-engines';

export interface TrainJob {
  /** The project file; its run folder is "<project>.train" beside it. */
  readonly file: string;
  /** A TRAINING_ENGINES name (default builtin). */
  readonly engine?: string;
  /** The built-in engine's backend (default: training.backend, else auto). */
  readonly backend?: string;
  /** Overrides training.iterations. */
  readonly iterations?: number;
  /** Stop after this many iterations, with a checkpoint, as if interrupted. */
  readonly stopAfter?: number;
  readonly resume?: boolean;
  /** Resume from this checkpoint folder instead of the latest (later checkpoints are dropped). */
  readonly from?: string;
  readonly restart?: boolean;
  /** With the torch engine: data-parallel processes on this machine (torchrun). */
  readonly nproc?: number;
  /** Who writes the run folder, named in its lock ("modulargan train p.mgproj.json --resume"). */
  readonly command?: string;
  readonly signal?: AbortSignal;
}

export interface TrainEvents {
  /** Lines for the user: the backend, dataset notes, where it resumed, the PyTorch side's output. */
  readonly log?: (line: string) => void;
  /** The built-in engine's progress after each iteration. */
  readonly onProgress?: (p: TrainProgress) => void;
  /** The PyTorch engine's iterations, as they land in the run's log.jsonl. */
  readonly onTorchIteration?: (iteration: number, losses: Losses) => void;
  /** A sample grid was written (PNG bytes; the PyTorch engine's as it lands in samples/). */
  readonly onSample?: (png: Uint8Array, iteration: number) => void;
  /** A checkpoint was written (its folder; the PyTorch engine's once index.json lists it). */
  readonly onCheckpoint?: (dir: string, iteration: number) => void;
}

export type TrainOutcome = { readonly engine: 'builtin'; readonly backend: string; readonly result: TrainRunResult } | { readonly engine: 'torch'; readonly exitCode: number };

/** Trains a project; throws (DocumentError, RunError, or the trainer's setup errors) with a message for the user when it cannot start. */
export async function trainProject(job: TrainJob, events: TrainEvents = {}): Promise<TrainOutcome> {
  const engine = job.engine ?? 'builtin';
  const log = events.log ?? (() => {});
  if (!isTrainingEngine(engine)) throw new RunError(`--engine must be ${TRAINING_ENGINES.join(' or ')}, got '${engine}'`);
  if (job.nproc !== undefined && engine !== 'torch') throw new RunError('--nproc needs --engine torch (the built-in engine runs in one process)');
  if (engine === 'torch') {
    const exitCode = await runTorchTraining(job.file, defaultRunDir(job.file), {
      resume: !!job.resume,
      restart: !!job.restart,
      ...(job.from ? { from: job.from } : {}),
      ...(job.iterations ? { iterations: job.iterations } : {}),
      ...(job.stopAfter ? { stopAfter: job.stopAfter } : {}),
      ...(job.nproc ? { nproc: job.nproc } : {}),
      log,
      ...(job.signal ? { signal: job.signal } : {}),
      ...(events.onTorchIteration ? { onIteration: events.onTorchIteration } : {}),
      ...(events.onSample ? { onSample: events.onSample } : {}),
      ...(events.onCheckpoint ? { onCheckpoint: events.onCheckpoint } : {}),
    });
    return { engine, exitCode };
  }
  // A backend asked for by name is checked before the project is read: the flag is at fault, whatever the file holds.
  if (job.backend !== undefined) parseTrainingBackend(job.backend);
  const project = await readProject(job.file);
  const report = await startTrainingBackend(job.backend, { backend: project.training?.backend, file: job.file });
  log(`backend: ${report.active}`);
  const result = await withTrainingMonitor(job.file, project, log, (measure) =>
    runTraining(job.file, {
      ...(job.iterations ? { iterations: job.iterations } : {}),
      ...(job.stopAfter ? { stopAfter: job.stopAfter } : {}),
      resume: !!job.resume,
      restart: !!job.restart,
      ...(job.from ? { from: job.from } : {}),
      ...(job.command ? { command: job.command } : {}),
      ...(job.signal ? { signal: job.signal } : {}),
      log,
      ...(measure ? { measure } : {}),
      ...(events.onProgress ? { onProgress: events.onProgress } : {}),
      ...(events.onSample ? { onSample: events.onSample } : {}),
      ...(events.onCheckpoint ? { onCheckpoint: events.onCheckpoint } : {}),
    }),
  );
  return { engine, backend: report.active, result };
}
