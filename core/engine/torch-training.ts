// The Training tab's run on the PyTorch engine: started through trainProject, as
// `modulargan train --engine torch` starts it, and told as the built-in trainer's run is:
// training-progress per iteration as log.jsonl grows, training-sample per grid in samples/,
// training-checkpoint per checkpoint index.json lists, the Python side's lines as notes, and
// training-finished (stopped politely: SIGTERM, the Python side writes a checkpoint) or
// training-failed at the end.

import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { latestCheckpoint, readCheckpointManifest } from '../train/checkpoint';
import { defaultRunDir } from '../train/run';
import type { RunEvent, SampleInfo, TrainingRequest } from '../api/types';
import { checkpointEvents, pngUrl } from './checkpoint-info';
import { readProject } from './documents';
import { trainProject } from './train';

/** The Python side's last line, which training-finished says in its own words. */
const FINAL_LINE = /^(interrupted|finished|stopped) at iteration \d+/;
const ERROR_LINE = /^error: /;
/** Lines kept to say why a run failed when the Python side named no error (a traceback's end). */
const TAIL = 4;

/** The iteration a run continues from: the log's lines before it are rewritten, and come again. */
export async function resumesAt(root: string, resume: TrainingRequest['resume']): Promise<{ iteration: number; dir?: string }> {
  if (!resume) return { iteration: 0 };
  const dir = resume === 'latest' ? await latestCheckpoint(root).catch(() => undefined) : join(root, resume);
  if (!dir) return { iteration: 0 };
  const manifest = await readCheckpointManifest(dir).catch(() => null);
  return manifest ? { iteration: manifest.iteration, dir } : { iteration: 0 };
}

export async function trainWithTorch(runId: string, req: TrainingRequest, signal: AbortSignal, emit: (e: RunEvent) => void): Promise<void> {
  const file = resolve(req.projectPath);
  const note = (message: string) => emit({ type: 'training-note', runId, message: message.slice(0, 2000) });
  try {
    const project = await readProject(file);
    const total = req.iterations ?? project.training?.iterations ?? 0;
    const root = join(defaultRunDir(file), 'checkpoints');
    const from = await resumesAt(root, req.resume);
    let done = from.iteration;
    const checkpoints = checkpointEvents(root, runId, emit, from.dir);
    let firstSeen: { iteration: number; at: number } | undefined;
    const errors: string[] = [];
    const tail: string[] = [];
    const outcome = await trainProject(
      {
        file,
        engine: 'torch',
        ...(req.iterations ? { iterations: req.iterations } : {}),
        resume: req.resume !== undefined,
        ...(req.resume && req.resume !== 'latest' ? { from: join(root, req.resume) } : {}),
        restart: !!req.restart,
        ...(req.nproc ? { nproc: req.nproc } : {}),
        signal,
      },
      {
        log: (line) => {
          tail.push(line);
          if (tail.length > TAIL) tail.shift();
          if (ERROR_LINE.test(line)) errors.push(line.replace(ERROR_LINE, ''));
          else if (!FINAL_LINE.test(line)) note(line);
        },
        onTorchIteration: (k, all) => {
          if (k < done) return; // the lines before a resumed run's checkpoint, again
          done = k + 1;
          const now = performance.now();
          firstSeen ??= { iteration: k, at: now };
          // From the first iteration seen (starting Python and PyTorch is not training), once a
          // second has passed: lines are read in bursts, every half second.
          const seconds = (now - firstSeen.at) / 1000;
          const rate = seconds >= 1 ? (k - firstSeen.iteration) / seconds : 0;
          const { lr = 0, ...losses } = all;
          emit({ type: 'training-progress', runId, iteration: done, total, iterationsPerSecond: rate, etaSeconds: rate ? (total - done) / rate : Infinity, lr, losses });
        },
        onSample: (png, iteration) => emit({ type: 'training-sample', runId, iteration, png: pngUrl(png) }),
        onCheckpoint: checkpoints.onCheckpoint,
      },
    );
    await checkpoints.settled();
    const lastCheckpoint = checkpoints.last();
    const code = outcome.engine === 'torch' ? outcome.exitCode : 0;
    const checkpoint = lastCheckpoint ? { lastCheckpoint } : {};
    if (code === 0) emit({ type: 'training-finished', runId, status: 'done', completed: done, ...checkpoint });
    else if (code === 3) emit({ type: 'training-finished', runId, status: 'non-finite', completed: done, message: errors.join('\n') || 'a loss became NaN or infinite', ...checkpoint });
    else if (code === 130 && signal.aborted) emit({ type: 'training-finished', runId, status: 'stopped', completed: done, ...checkpoint });
    else {
      const why = errors.length ? errors.join('\n') : `the PyTorch process ended with ${code === 130 ? 'a signal it was not sent by the studio' : `exit code ${code}`} at iteration ${done}${tail.length ? `: ${tail.join(' | ')}` : ''}`;
      emit({ type: 'training-failed', runId, message: `${why}${lastCheckpoint && !errors.length ? `; its last checkpoint is ${lastCheckpoint}` : ''}` });
    }
  } catch (e) {
    emit({ type: 'training-failed', runId, message: e instanceof Error ? e.message : String(e) });
  }
}

/**
 * "Sample now" while PyTorch or a queue worker trains: its model is in another process, so
 * the newest grid it wrote (every training.sampleEvery iterations, and at iteration 0).
 */
export async function newestRunSample(projectPath: string): Promise<SampleInfo> {
  const dir = join(defaultRunDir(projectPath), 'samples');
  const iterations = (await readdir(dir).catch(() => [] as string[])).map((n) => /^iter-(\d{1,12})\.png$/.exec(n)?.[1]).filter((n) => n !== undefined);
  const newest = iterations.sort((a, b) => Number(a) - Number(b)).at(-1);
  if (newest === undefined) throw new Error('the run has written no sample grid yet: its first comes once it has started (iteration 0 of a fresh run)');
  const png = await readFile(join(dir, `iter-${newest}.png`));
  return { iteration: Number(newest), png: pngUrl(new Uint8Array(png)), source: 'training' };
}
