// One side of bench/peer-section.ts in a process of its own, so that its peak memory is its
// own: the project's trainer (bench/trainer.ts) or the harness of its kernel mix
// (bench/train-step.ts) on the native backend, or inference of E -> 3 T -> R on the engine
// the executor picks. Prints one JSON line.
//   tsx bench/peer-child.ts train|harness SIZE BASE RES_BLOCKS D_DEPTH BATCH ITERATIONS [profile]
//   tsx bench/peer-child.ts infer SIZE BASE RES_BLOCKS BATCH

import { CASES, benchInference } from './inference';
import { benchTrainer } from './trainer';
import { benchTrainingCase } from './training';
import { autoInferenceEngine } from '../core/runtime/executor';
import { initBackend } from '../core/runtime/backends';

const [mode, ...rest] = process.argv.slice(2);
const n = rest.filter((a) => /^\d+$/.test(a)).map(Number);
const peakRssMiB = () => Math.round(process.resourceUsage().maxRSS / 1024);

let out: Record<string, unknown>;
if (mode === 'train') {
  const [size, base, resBlocks, dDepth, batch, iterations] = n as [number, number, number, number, number, number];
  const r = await benchTrainer({ size, base, resBlocks, dDepth, batch, iterations, backend: 'native', profile: rest.includes('profile') });
  out = { imagesPerSecond: r.imagesPerSecond, secondsPerIteration: r.secondsPerIteration, backend: r.backend, ...(r.profile ? { profile: r.profile } : {}) };
} else if (mode === 'harness') {
  const [size, base, resBlocks, dDepth, batch, iterations] = n as [number, number, number, number, number, number];
  const r = await benchTrainingCase({ name: 'harness', config: { size, base, resBlocks, dDepth, batch }, backend: 'native', iterations, profile: rest.includes('profile') });
  out = { imagesPerSecond: r.imgPerSec, msPerIteration: r.msPerIteration, backend: r.backend, ...(r.error ? { error: r.error } : {}), ...(r.profile ? { profile: r.profile } : {}) };
} else if (mode === 'infer') {
  const [size, base, resBlocks, batch] = n as [number, number, number, number];
  await initBackend('auto', { gradients: false, probeAll: false });
  const engine = autoInferenceEngine();
  const c = CASES.find((k) => k.size === size && k.base === base && k.resBlocks === resBlocks) ?? { size, base, resBlocks };
  const [row] = await benchInference([engine], { cases: [c], batches: [batch], budgetMs: 4000 });
  out = { ...row };
} else throw new Error(`peer-child: mode must be train, harness or infer, not '${mode}'`);
process.stdout.write(`${JSON.stringify({ ...out, peakRssMiB: peakRssMiB() })}\n`);
