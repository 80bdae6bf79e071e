// `modulargan train <project>`: joint training from a project file, with a progress bar
// (iterations/s, ETA, the main losses) and a plain line per checkpoint when not on a TTY.

import { SingleBar } from 'cli-progress';
import { isBackendPreference } from '../core/runtime/backend-report';
import { initBackend } from '../core/runtime/backends';
import { TrainSetupError, runTraining } from '../core/train/run';
import { readProjectFile } from '../core/files/documents';

export interface TrainCommandOptions {
  iterations?: string;
  resume?: boolean;
  restart?: boolean;
  backend?: string;
  stopAfter?: string;
  quiet?: boolean;
}

const count = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new TrainSetupError(`--${name} must be a whole number of at least 1, got '${v}'`);
  return n;
};

/** Returns the exit code: 0 finished (or stopped as asked), 1 could not start, 3 a loss became NaN/Inf. */
export async function trainCommand(file: string, opts: TrainCommandOptions, log: (line: string) => void): Promise<number> {
  let bar: SingleBar | undefined;
  try {
    const iterations = count(opts.iterations, 'iterations');
    const stopAfter = count(opts.stopAfter, 'stop-after');
    const read = await readProjectFile(file);
    const fromProject = read.ok ? read.value.value.training?.backend : undefined;
    const backend = opts.backend ?? fromProject ?? 'auto';
    if (!isBackendPreference(backend)) throw new TrainSetupError(`--backend must be auto, tfjs-node-gpu, webgpu, wasm or cpu, got '${backend}'`);
    const report = await initBackend(backend, { probeAll: false });
    log(`backend: ${report.active}`);
    const tty = !opts.quiet && process.stderr.isTTY;
    let lastLine = 0;
    const result = await runTraining(file, {
      ...(iterations ? { iterations } : {}),
      ...(stopAfter ? { stopAfter } : {}),
      resume: !!opts.resume,
      restart: !!opts.restart,
      log,
      onProgress: (p) => {
        const l = p.losses;
        const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(3));
        const payload = { speed: (p.imagesPerSecond / 1).toFixed(2), d: fmt(l.d_total), g: fmt(l.g_total) };
        if (tty) {
          bar ??= new SingleBar({ format: 'training {bar} {value}/{total} | {speed} img/s | ETA {eta_formatted} | D {d} G {g}', hideCursor: true, etaBuffer: 20 });
          if (!bar.isActive) bar.start(p.total, p.done, payload);
          bar.update(p.done, payload);
        } else if (!opts.quiet && (Date.now() - lastLine > 10_000 || p.done === p.total)) {
          lastLine = Date.now();
          log(`iteration ${p.done}/${p.total}, ${payload.speed} img/s, ETA ${Math.round(p.etaSeconds)} s, D ${payload.d}, G ${payload.g}`);
        }
      },
    });
    bar?.stop();
    if (result.status === 'non-finite') {
      log(`error: ${result.message}`);
      return 3;
    }
    log(`${result.status === 'done' ? 'finished' : 'stopped'} at iteration ${result.completed}; log, samples and checkpoints in ${result.runDir}`);
    return 0;
  } catch (e) {
    bar?.stop();
    // Setup problems (files, datasets, graph, backend) carry messages meant for the user.
    if (e instanceof Error) {
      log(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
