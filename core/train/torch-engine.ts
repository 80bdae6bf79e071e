// The PyTorch engine (python/modulargan_torch) as the command line starts it: find a Python
// that imports torch, export a rendered dataset (ColorMNIST, synthetic faces) the first time
// it is needed, start `python -m modulargan_torch train` (under torchrun for several
// processes) and follow the run folder's log.jsonl as it grows, so progress reads as it does
// for the built-in trainer. The run folder, its lock, log and checkpoints are the same.

import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DATASET_EXPORT_FORMAT, defaultExportFolder, exportDatasetRef, refGroups } from '../files/dataset-export';
import { formatFileError, readProjectFile } from '../files/documents';
import { sameGroups } from '../graph/ports';
import { type RunFolderEvents, followRunFolder } from './run-follow';

/** The repository's python/ folder (the package's source), where this checkout has one. */
export const TORCH_PACKAGE_DIR = resolve(import.meta.dirname, '..', '..', 'python');

export interface TorchPython {
  readonly python: string;
  readonly torchVersion: string;
  /** torchrun of PyTorch 1.x fails on Python 3.11 (its elastic agent); 2.x works. */
  readonly torchrun: boolean;
}

/** Why no usable Python was found, with what to do. */
export class TorchUnavailableError extends Error {}

const PROBE = ['-c', 'import torch, modulargan_torch; print(torch.__version__)'];

const pythonCandidates = () =>
  [process.env.MODULARGAN_PYTHON, join(TORCH_PACKAGE_DIR, '.venv', 'bin', 'python'), 'python3', '/usr/bin/python3'].filter((p): p is string => !!p && (!p.includes('/') || existsSync(p)));

const found = (python: string, stdout: string): TorchPython => {
  const torchVersion = stdout.trim().split('\n').at(-1) ?? '?';
  return { python, torchVersion, torchrun: Number(torchVersion.split('.')[0]) >= 2 };
};

const unavailable = (tried: readonly string[]) =>
  new TorchUnavailableError(
    `no Python here imports torch and modulargan_torch (tried ${tried.join('; ')}). Install PyTorch (pip install torch, or apt install python3-torch) ` +
      `and this package (pip install -e ${TORCH_PACKAGE_DIR}), or point MODULARGAN_PYTHON at a Python that has them`,
  );

/**
 * The first of $MODULARGAN_PYTHON, python/.venv/bin/python and python3 that imports torch
 * with this checkout's package on its path.
 */
export function findTorchPython(): TorchPython {
  const tried: string[] = [];
  for (const python of pythonCandidates()) {
    const r = spawnSync(python, PROBE, { encoding: 'utf8', env: torchEnv(), timeout: 60_000 });
    if (r.status === 0) return found(python, r.stdout);
    tried.push(`${python}: ${(r.error?.message ?? r.stderr.trim().split('\n').at(-1)) || `exit ${r.status}`}`);
  }
  throw unavailable(tried);
}

/**
 * findTorchPython without blocking: importing torch takes seconds, and the studio's engine
 * answers other calls meanwhile.
 */
export async function probeTorchPython(): Promise<TorchPython> {
  const tried: string[] = [];
  for (const python of pythonCandidates()) {
    try {
      const r = await promisify(execFile)(python, PROBE, { encoding: 'utf8', env: torchEnv(), timeout: 60_000 });
      return found(python, r.stdout);
    } catch (e) {
      const err = e as { stderr?: string; code?: number | string; message: string };
      tried.push(`${python}: ${err.stderr?.trim().split('\n').at(-1) || (typeof err.code === 'string' ? err.message : `exit ${err.code}`)}`);
    }
  }
  throw unavailable(tried);
}

/** The environment for the Python side: this checkout's package importable, one thread pool per process. */
export function torchEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const path = [TORCH_PACKAGE_DIR, process.env.PYTHONPATH].filter(Boolean).join(':');
  return { ...process.env, PYTHONPATH: path, PYTHONUNBUFFERED: '1', ...extra };
}

/**
 * Makes sure a project's rendered dataset has a current export in <project>.data/<id>/
 * (written when missing or made for other settings); returns a line to show, if one was written.
 */
export async function ensureTorchDataset(projectFile: string): Promise<string | undefined> {
  const read = await readProjectFile(projectFile);
  if (!read.ok) throw new Error(read.errors.map((e) => formatFileError(projectFile, e)).join('\n'));
  const project = read.value.value;
  const ref = project.datasets.find((d) => d.id === project.training?.dataset);
  if (!ref || (ref.source !== 'colormnist' && ref.source !== 'synthetic-faces')) return undefined;
  const folder = defaultExportFolder(projectFile, ref.id);
  try {
    const d = JSON.parse(await readFile(join(folder, 'dataset.json'), 'utf8')) as Record<string, unknown>;
    const current =
      d.format === DATASET_EXPORT_FORMAT &&
      d.source === ref.source &&
      d.imageSize === ref.imageSize &&
      d.seed === (ref.seed ?? 0) &&
      sameGroups((d.attributes ?? []) as never, refGroups(ref));
    if (current) return undefined;
  } catch {
    // none yet, or unreadable: written below
  }
  const r = await exportDatasetRef(ref, dirname(resolve(projectFile)), folder);
  return `exported dataset '${ref.id}' for PyTorch: ${r.count} images in ${folder}`;
}

export interface TorchTrainOptions extends RunFolderEvents {
  nproc?: number;
  iterations?: number;
  resume?: boolean;
  restart?: boolean;
  stopAfter?: number;
  runDir?: string;
  /** Continue from this checkpoint folder (later ones are dropped) instead of the latest. */
  from?: string;
  device?: 'auto' | 'cpu' | 'cuda';
  /** Lines the Python side prints (notes, checkpoints, the final line). */
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** The command line that trains `projectFile` with `nproc` local processes. */
export function torchTrainArgs(py: TorchPython, projectFile: string, o: Omit<TorchTrainOptions, 'log'>): string[] {
  const n = o.nproc ?? 1;
  const launcher = n > 1 ? ['-m', 'torch.distributed.run', '--standalone', `--nproc_per_node=${n}`] : [];
  return [
    ...launcher,
    '-m',
    'modulargan_torch',
    'train',
    resolve(projectFile),
    ...(o.iterations ? ['--iterations', String(o.iterations)] : []),
    ...(o.resume && !o.from ? ['--resume'] : []),
    ...(o.from ? ['--from', resolve(o.from)] : []),
    ...(o.restart ? ['--restart'] : []),
    ...(o.stopAfter ? ['--stop-after', String(o.stopAfter)] : []),
    ...(o.runDir ? ['--run-dir', resolve(o.runDir)] : []),
    ...(o.device ? ['--device', o.device] : []),
    // The command line follows log.jsonl for progress; the Python side's own lines would repeat it.
    '--quiet',
  ];
}

/** Trains with PyTorch; resolves to the Python side's exit code (0, 1, 3 or 130 as the built-in trainer's). */
export async function runTorchTraining(projectFile: string, runDir: string, o: TorchTrainOptions): Promise<number> {
  const py = await probeTorchPython();
  const n = o.nproc ?? 1;
  if (n > 1 && !py.torchrun)
    throw new TorchUnavailableError(`--nproc ${n} needs torchrun, which PyTorch ${py.torchVersion} cannot run on this Python; use PyTorch 2 (MODULARGAN_PYTHON=...) or --nproc 1`);
  const note = await ensureTorchDataset(projectFile);
  if (note) o.log(note);
  o.log(`engine: PyTorch ${py.torchVersion} (${py.python})${n > 1 ? `, ${n} processes` : ''}`);
  // What the run folder holds before the run starts is an earlier run's.
  const look = await followRunFolder(runDir, o);
  if (o.signal?.aborted) return 130;
  // Its own process group: a terminal's Ctrl+C reaches only us, and we ask once (SIGTERM),
  // so the Python side finishes its iteration and writes a checkpoint; a second signal there
  // would stop it at once.
  const child: ChildProcess = spawn(py.python, torchTrainArgs(py, projectFile, { ...o, runDir }), {
    // The run stops itself (with a checkpoint, releasing the run folder) if this process dies:
    // it runs detached, so nothing else would tell it.
    env: { ...torchEnv(), MODULARGAN_PARENT_PID: String(process.pid) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const orphaned = () => child.kill('SIGKILL');
  process.once('exit', orphaned);
  const relay = (stream: NodeJS.ReadableStream | null) => {
    let rest = '';
    stream?.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) if (l.trim() && !/^\s*(warnings\.warn|W\d{4} )/.test(l)) o.log(l);
    });
    stream?.on('end', () => rest.trim() && o.log(rest));
  };
  relay(child.stdout);
  relay(child.stderr);
  const stop = () => child.kill('SIGTERM');
  o.signal?.addEventListener('abort', stop, { once: true });
  const timer = setInterval(() => void look(), 500);
  try {
    return await new Promise<number>((ok, fail) => {
      child.on('error', fail);
      child.on('close', (code, signal) => ok(code ?? (signal ? 130 : 1)));
    });
  } finally {
    clearInterval(timer);
    process.removeListener('exit', orphaned);
    await look();
    o.signal?.removeEventListener('abort', stop);
  }
}
