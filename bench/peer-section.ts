// The PyTorch 2.x peer beside the native backend, part of `npm run bench -- training`: the
// harness of the training kernel mix (bench/train-step.ts, the iteration the issue measured)
// and the project's trainer (bench/trainer.ts), each beside PyTorch's ordinary best on the
// same modules (bench/torch_peer.py) for the training configurations, and inference of
// E -> 3 T -> R at 64 and 128 px on the engine the executor picks. Each run is a process of
// its own, so each peak memory (resident set) is its own, and they alternate ours, peer,
// ours, so a change in the machine's load between them shows instead of passing for a
// difference. Skipped, with the reason, where no PyTorch 2.x is importable.

import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { TorchUnavailableError, findTorchPython, torchEnv } from '../core/train/torch-engine';

export interface PeerTrainingConfig {
  readonly name: string;
  readonly size: number;
  readonly base: number;
  readonly resBlocks: number;
  readonly dDepth: number;
  readonly batch: number;
  /** Timed iterations after one warm-up. */
  readonly iterations: number;
}

/** The configurations: where we stood against PyTorch 2.13 when they were set. */
export const PEER_TRAINING: readonly PeerTrainingConfig[] = [
  { name: '32 px, base 32, D 4 layers', size: 32, base: 32, resBlocks: 3, dDepth: 4, batch: 16, iterations: 5 },
  { name: '64 px standard', size: 64, base: 32, resBlocks: 3, dDepth: 5, batch: 16, iterations: 3 },
  { name: '128 px paper, batch 8', size: 128, base: 64, resBlocks: 6, dDepth: 6, batch: 8, iterations: 2 },
  { name: '128 px paper, batch 16', size: 128, base: 64, resBlocks: 6, dDepth: 6, batch: 16, iterations: 1 },
];

export const PEER_INFERENCE = [
  { name: '64 px, batch 8', size: 64, base: 32, resBlocks: 3, batch: 8 },
  { name: '128 px, batch 8', size: 128, base: 64, resBlocks: 6, batch: 8 },
] as const;

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const load = () => loadavg().map((l) => round(l));
const TSX_CHILD = join(import.meta.dirname, 'peer-child.ts');
const PEER = join(import.meta.dirname, 'torch_peer.py');

type Row = Record<string, unknown>;

/** Runs one side; its last stdout line is its JSON. Both sides get the same thread count. */
function side(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Row {
  const loadavgBefore = load();
  const r = spawnSync(command, args, { cwd: join(import.meta.dirname, '..'), encoding: 'utf8', env, timeout: 3_600_000, maxBuffer: 64 * 2 ** 20 });
  const lines = (r.stdout ?? '').trim().split('\n');
  let parsed: Row | undefined;
  try {
    parsed = JSON.parse(lines.at(-1) ?? '') as Row;
  } catch {
    parsed = undefined;
  }
  if (r.status !== 0 || !parsed) {
    const why = r.error?.message ?? (`${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').slice(-3).join(' ') || `exit ${r.status ?? r.signal}`);
    return { error: why, loadavgBefore, loadavgAfter: load() };
  }
  return { ...parsed, loadavgBefore, loadavgAfter: load() };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const num = (r: Row, k: string) => (typeof r[k] === 'number' ? (r[k] as number) : undefined);

export type PeerIteration = 'harness' | 'trainer';

export async function benchPeer(opts: { quick?: boolean; training?: readonly PeerTrainingConfig[]; iterations?: readonly PeerIteration[]; inference?: boolean } = {}): Promise<Row> {
  let python: string;
  let torchVersion: string;
  try {
    ({ python, torchVersion } = findTorchPython());
  } catch (e) {
    if (e instanceof TorchUnavailableError) return { skipped: e.message };
    throw e;
  }
  if (Number(torchVersion.split('.')[0]) < 2) return { skipped: `${python} has PyTorch ${torchVersion}; the peer is PyTorch 2.x (pip install torch, or MODULARGAN_PYTHON)` };
  const threads = String(availableParallelism());
  // One thread pool of the same size on both sides (OpenMP reads this in either process).
  const env = torchEnv({ OMP_NUM_THREADS: threads });
  const tsx = [process.execPath, ['--import', 'tsx', TSX_CHILD]] as const;

  const training: Row[] = [];
  const configs = opts.training ?? (opts.quick ? PEER_TRAINING.slice(0, 2).map((c) => ({ ...c, iterations: 2 })) : PEER_TRAINING);
  const runs = configs.flatMap((c) => (opts.iterations ?? (['harness', 'trainer'] as const)).map((iteration) => ({ c, iteration })));
  for (const { c, iteration } of runs) {
    const shape = [c.size, c.base, c.resBlocks, c.dDepth, c.batch, c.iterations].map(String);
    const ours = (profile: boolean) => side(tsx[0], [...tsx[1], iteration === 'trainer' ? 'train' : 'harness', ...shape, ...(profile ? ['profile'] : [])], env);
    const first = ours(false);
    const peer = side(python, [PEER, 'train', '--iteration', iteration, '--size', shape[0]!, '--base', shape[1]!, '--res-blocks', shape[2]!, '--d-depth', shape[3]!, '--batch', shape[4]!, '--iterations', shape[5]!], env);
    // The second run of ours also times every kernel of one more iteration: where the time goes.
    const second = ours(!opts.quick);
    const oursRate = [first, second].map((r) => num(r, 'imagesPerSecond')).filter((x): x is number => x !== undefined);
    const peerRate = num(peer, 'imagesPerSecond');
    const oursMem = Math.max(...[first, second].map((r) => num(r, 'peakRssMiB') ?? 0));
    const peerMem = num(peer, 'peakRssMiB');
    training.push({
      config: `${c.name}, ${iteration}`,
      shape: { size: c.size, base: c.base, resBlocks: c.resBlocks, dDepth: c.dDepth, batch: c.batch },
      ours: [first, second],
      peer,
      ...(oursRate.length && peerRate ? { speedRatio: round(mean(oursRate) / peerRate) } : {}),
      ...(oursMem && peerMem ? { oursPeakMiB: oursMem, peerPeakMiB: peerMem, memoryRatio: round(oursMem / peerMem) } : {}),
    });
  }

  const inference: Row[] = [];
  for (const c of opts.inference === false ? [] : opts.quick ? PEER_INFERENCE.slice(1) : PEER_INFERENCE) {
    const shape = [c.size, c.base, c.resBlocks, c.batch].map(String);
    const ours = () => side(tsx[0], [...tsx[1], 'infer', ...shape], env);
    const first = ours();
    const peer = side(python, [PEER, 'infer', '--size', shape[0]!, '--base', shape[1]!, '--res-blocks', shape[2]!, '--batch', shape[3]!, '--iterations', '6'], env);
    const second = ours();
    const oursMs = [first, second].map((r) => num(r, 'msPerImage')).filter((x): x is number => x !== undefined);
    const peerMs = num(peer, 'msPerImage');
    inference.push({ config: c.name, ours: [first, second], peer, ...(oursMs.length && peerMs ? { speedRatio: round(peerMs / mean(oursMs)) } : {}) });
  }

  return {
    note:
      `ours: the project's trainer on the native backend (bench/trainer.ts) and the executor's inference engine; peer: PyTorch ${torchVersion} ` +
      `(${python}) on the same modules (bench/torch_peer.py); ${threads} threads each; alternated ours, peer, ours, each in its own process; ` +
      'speedRatio > 1: ours faster (images/s of ours, mean of both runs, over the peer\'s; inference: the peer\'s ms per image over ours); ' +
      'memoryRatio: the larger peak resident memory of ours over the peer\'s; compare only at low load (loadavg)',
    ratios: Object.fromEntries([
      ...training.map((r) => [`train ${r.config}`, { speed: r.speedRatio, memory: r.memoryRatio }]),
      ...inference.map((r) => [`infer ${r.config}`, { speed: r.speedRatio }]),
    ]),
    training,
    inference,
  };
}
