// `modulargan train <project> --engine torch [--nproc N]`: the same run trained by PyTorch
// (python/modulargan_torch), started here, with progress read from the run folder's log.

import { defaultRunDir } from '../core/train/run';
import { runTorchTraining } from '../core/train/torch-engine';

export interface TorchTrainCommandOptions {
  iterations?: number;
  stopAfter?: number;
  resume?: boolean;
  restart?: boolean;
  nproc?: number;
  quiet?: boolean;
}

export async function torchTrainCommand(file: string, opts: TorchTrainCommandOptions, log: (line: string) => void, signal?: AbortSignal): Promise<number> {
  try {
    // The rate counts from the first iteration seen: starting Python and PyTorch is not training.
    let t0 = 0;
    let first: number | undefined;
    let last = 0;
    const code = await runTorchTraining(file, defaultRunDir(file), {
      ...opts,
      log,
      ...(signal ? { signal } : {}),
      onIteration: (k, l) => {
        if (first === undefined) {
          first = k;
          t0 = Date.now();
          last = t0;
        }
        if (opts.quiet || Date.now() - last < 10_000) return;
        last = Date.now();
        const its = (k - first) / ((Date.now() - t0) / 1000);
        const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(3));
        log(`iteration ${k + 1}, ${its.toFixed(2)} it/s, D ${fmt(l.d_total)}, G ${fmt(l.g_total)}`);
      },
    });
    return code;
  } catch (e) {
    if (e instanceof Error) {
      log(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
