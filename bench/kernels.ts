// Kernel throughput for `npm run bench`: the backend report and, per backend that loads, the
// conv forward / backprop-input / backprop-filter and matMul GFLOP/s from core's microbench.

import { initBackend } from '../core/runtime/backends';
import { microbenchAll } from '../core/runtime/microbench';

/** `only`: the tfjs backends to time (default: every one that loads). */
export async function benchKernels(only?: readonly string[]): Promise<Record<string, unknown>> {
  const report = await initBackend('auto', { gradients: false });
  const timed = only ? { ...report, candidates: report.candidates.filter((c) => only.includes(c.name)) } : report;
  const microbench = await microbenchAll(timed);
  return { active: report.active, candidates: report.candidates, microbench };
}
