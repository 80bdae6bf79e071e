// `modulargan train <project>`: joint training from a project file, with a progress bar
// (iterations/s, ETA, the main losses) and a plain line per checkpoint when not on a TTY.

import { SingleBar } from 'cli-progress';
import { trainProject } from '../core/engine/train';
import { errorLine, optionalCount } from './flags';
import { torchProgress } from './train-torch';

export interface TrainCommandOptions {
  iterations?: string;
  resume?: boolean;
  restart?: boolean;
  backend?: string;
  stopAfter?: string;
  quiet?: boolean;
  /** One of TRAINING_ENGINES (core/engine/train.ts): builtin (default) or torch (python/modulargan_torch). */
  engine?: string;
  /** With --engine torch: local processes (torchrun). */
  nproc?: string;
  /** redis://host:port[/db]: train on a queue worker started with --train (cli/train-queue.ts). */
  queue?: string;
  queueName?: string;
}

/** What a training is asked, from the flags, the same here and through a queue (cli/train-queue.ts). */
export function trainRunOptions(opts: TrainCommandOptions, signal?: AbortSignal) {
  const iterations = optionalCount(opts.iterations, 'iterations');
  const stopAfter = optionalCount(opts.stopAfter, 'stop-after');
  const nproc = optionalCount(opts.nproc, 'nproc');
  return {
    engine: opts.engine,
    backend: opts.backend,
    ...(iterations ? { iterations } : {}),
    ...(stopAfter ? { stopAfter } : {}),
    ...(nproc ? { nproc } : {}),
    resume: !!opts.resume,
    restart: !!opts.restart,
    ...(signal ? { signal } : {}),
  };
}

/** "1 h 05 min", "3 min 20 s", "12 s": our own ETA (cli-progress's is unsteady on resume). */
function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

/**
 * Returns the exit code: 0 finished (or stopped as asked), 1 could not start, 3 a loss became
 * NaN/Inf, 130 interrupted through `signal` (Ctrl+C) after writing a checkpoint.
 */
export async function trainCommand(file: string, opts: TrainCommandOptions, log: (line: string) => void, signal?: AbortSignal): Promise<number> {
  // Loaded only when asked: the queue client adds half a second to every start.
  if (opts.queue !== undefined) return (await import('./train-queue')).queuedTrainCommand(file, { ...opts, queue: opts.queue }, log, signal);
  let bar: SingleBar | undefined;
  try {
    const tty = !opts.quiet && process.stderr.isTTY;
    let lastLine = 0;
    const outcome = await trainProject(
      {
        file,
        ...trainRunOptions(opts, signal),
        // Named in the run folder's lock, for whoever is refused while this run writes it.
        command: ['modulargan train', file, ...(opts.resume ? ['--resume'] : []), ...(opts.restart ? ['--restart'] : [])].join(' '),
      },
      {
        log,
        onTorchIteration: torchProgress(!!opts.quiet, log),
        onProgress: (p) => {
          const l = p.losses;
          const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(3));
          const payload = { left: duration(p.etaSeconds), its: p.iterationsPerSecond.toFixed(2), speed: p.imagesPerSecond.toFixed(1), d: fmt(l.d_total), g: fmt(l.g_total) };
          if (tty) {
            bar ??= new SingleBar({ format: 'training {bar} {value}/{total} | {its} it/s, {speed} img/s | ETA {left} | D {d} G {g}', hideCursor: true, etaBuffer: 20 });
            if (!bar.isActive) bar.start(p.total, p.done, payload);
            bar.update(p.done, payload);
          } else if (!opts.quiet && (Date.now() - lastLine > 10_000 || p.done === p.total)) {
            lastLine = Date.now();
            log(`iteration ${p.done}/${p.total}, ${payload.its} it/s, ${payload.speed} img/s, ETA ${payload.left}, D ${payload.d}, G ${payload.g}`);
          }
        },
      },
    );
    if (outcome.engine === 'torch') return outcome.exitCode;
    const { result } = outcome;
    bar?.stop();
    if (result.status === 'non-finite') {
      log(`error: ${result.message}`);
      return 3;
    }
    if (result.status === 'aborted') {
      const resume = result.lastCheckpoint ? `; --resume continues from ${result.lastCheckpoint}` : '';
      log(`interrupted at iteration ${result.completed}${resume}`);
      return 130;
    }
    log(`${result.status === 'done' ? 'finished' : 'stopped'} at iteration ${result.completed}; log, samples and checkpoints in ${result.runDir}`);
    return 0;
  } catch (e) {
    bar?.stop();
    // Setup problems (files, datasets, graph, backend) carry messages meant for the user.
    return errorLine(e, log);
  }
}
