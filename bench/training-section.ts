// The `training` section of `npm run bench`: the standard and the paper configuration on the
// native backend, wasm for the number before it (fewer iterations: it is ~10x slower, and the
// paper configuration does not fit wasm's 4 GB heap), and the sgemm ceiling to read them against.

import { benchCeiling } from './ceiling';
import { type TrainingCase, benchTrainingCase } from './training';
import { PAPER, STANDARD } from './train-step';

export async function benchTraining(opts: { quick?: boolean; only?: readonly string[] | undefined }): Promise<Record<string, unknown>> {
  const cases: TrainingCase[] = [
    { name: 'standard', config: STANDARD, backend: 'native', iterations: opts.quick ? 2 : 4, profile: true },
    { name: 'standard', config: STANDARD, backend: 'wasm', iterations: 1 },
  ];
  if (!opts.quick) {
    cases.push({ name: 'paper', config: PAPER, backend: 'native', iterations: 1, profile: true });
    // The paper trained at batch 16; 8 is what fits this 24 GB machine beside the rest.
    cases.push({ name: 'paper, batch 8', config: { ...PAPER, batch: 8 }, backend: 'native', iterations: 1 });
  }
  const rows: Record<string, unknown>[] = [];
  for (const c of cases) if (!opts.only || opts.only.includes(c.backend)) rows.push(await benchTrainingCase(c));
  const ceiling = await benchCeiling().catch((e: Error) => ({ error: e.message }));
  return {
    note: 'bench/train-step.ts: E, 3 T, R, 3 D; one D update (WGAN-GP, BCE) + one G update (adversarial, BCE, L1 reconstruction, cycle L1), Adam; imgPerSec is the median; loadavg is the 1/5/15-minute load on a 2-core machine',
    targets: { standard: '>= 3 img/s (PyTorch 1.13: 5.8)', paper: '>= 0.25 img/s (PyTorch 1.13: 0.43)' },
    before: { 'wasm standard (ENVIRONMENT.md)': '0.73-0.84 img/s, 1.54 with per-shape kernel choice' },
    ceiling,
    rows,
  };
}
