// Kernel throughput for `npm run bench`: the backend report and, per backend that loads, the
// conv forward / backprop-input / backprop-filter and matMul GFLOP/s from core's microbench.

import { initBackend } from '../core/runtime/backends';
import { microbenchAll } from '../core/runtime/microbench';

export async function benchKernels(): Promise<Record<string, unknown>> {
  const report = await initBackend('auto', { gradients: false });
  const microbench = await microbenchAll(report);
  return { active: report.active, candidates: report.candidates, microbench };
}
