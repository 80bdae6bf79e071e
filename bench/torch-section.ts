// The `torch` section of `npm run bench`: the PyTorch engine (python/modulargan_torch) beside
// the native backend on the same iteration (bench/trainer.ts: E, 3 T, R, 3 D, one D and one G
// update, WGAN-GP) for the standard configuration and the paper's (128 px, base 64, 6 residual
// blocks, 6-layer D, batch 8, what fits this machine). Skipped, with the reason, where no
// Python with torch is found. On a machine with a GPU, PyTorch runs there with AMP, and the
// row says which card.

import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { TorchUnavailableError, findTorchPython, torchEnv } from '../core/train/torch-engine';
import { benchTrainer } from './trainer';

interface Config {
  readonly name: string;
  readonly size: number;
  readonly base: number;
  readonly resBlocks: number;
  readonly dDepth: number;
  readonly batch: number;
  readonly iterations: number;
}

const load = () => loadavg().map((l) => Math.round(l * 100) / 100);

function torchRow(python: string, c: Config, threads: string | undefined): Record<string, unknown> {
  const args = ['-m', 'modulargan_torch', 'bench', '--size', String(c.size), '--base', String(c.base), '--res-blocks', String(c.resBlocks), '--d-depth', String(c.dDepth), '--batch', String(c.batch), '--iterations', String(c.iterations)];
  const loadBefore = load();
  const r = spawnSync(python, args, { encoding: 'utf8', env: torchEnv(threads ? { OMP_NUM_THREADS: threads } : {}), timeout: 1_800_000 });
  if (r.status !== 0) return { engine: 'pytorch', error: (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ') };
  return { ...(JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>), ...(threads ? { ompThreads: Number(threads) } : {}), loadavgBefore: loadBefore, loadavgAfter: load() };
}

export async function benchTorch(opts: { quick?: boolean }): Promise<Record<string, unknown>> {
  let python: string;
  let version: string;
  try {
    ({ python, torchVersion: version } = findTorchPython());
  } catch (e) {
    if (e instanceof TorchUnavailableError) return { skipped: e.message };
    throw e;
  }
  const configs: Config[] = [{ name: 'standard', size: 64, base: 32, resBlocks: 3, dDepth: 5, batch: 16, iterations: opts.quick ? 1 : 3 }];
  if (!opts.quick) configs.push({ name: 'paper, batch 8', size: 128, base: 64, resBlocks: 6, dDepth: 6, batch: 8, iterations: 1 });
  const rows: Record<string, unknown>[] = [];
  for (const c of configs) {
    const { name, iterations, ...shape } = c;
    const nativeBefore = load();
    const native = await benchTrainer({ ...shape, iterations, backend: 'native' }).catch((e: Error) => ({ error: e.message }));
    rows.push({ name, engine: 'native', ...native, loadavgBefore: nativeBefore, loadavgAfter: load() });
    // PyTorch's OpenMP threads spin while they wait: on a busy 2-core machine one thread can
    // beat two by 10x, so both are measured.
    for (const threads of [undefined, '1']) rows.push({ name, ...torchRow(python, c, threads) });
  }
  return {
    note: `the same iteration on both engines (bench/trainer.ts; python -m modulargan_torch bench), median images/s after one warm-up; PyTorch ${version} from ${python}; compare rows only at similar load`,
    rows,
  };
}
