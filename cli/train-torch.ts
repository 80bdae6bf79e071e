// `modulargan train <project> --engine torch [--nproc N]`: the progress lines of a run trained
// by PyTorch (python/modulargan_torch), read from the run folder's log as it grows. Starting
// it is core/engine's trainProject.

import type { Losses } from '../core/engine/train';

/** A line every 10 s with the rate since the first iteration seen (starting Python and PyTorch is not training). */
export function torchProgress(quiet: boolean, log: (line: string) => void): (iteration: number, losses: Losses) => void {
  let t0 = 0;
  let first: number | undefined;
  let last = 0;
  return (k, l) => {
    if (first === undefined) {
      first = k;
      t0 = Date.now();
      last = t0;
    }
    if (quiet || Date.now() - last < 10_000) return;
    last = Date.now();
    const its = (k - first) / ((Date.now() - t0) / 1000);
    const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(3));
    log(`iteration ${k + 1}, ${its.toFixed(2)} it/s, D ${fmt(l.d_total)}, G ${fmt(l.g_total)}`);
  };
}
