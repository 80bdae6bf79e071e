// Checkpoints: one folder per checkpoint, <run>/checkpoints/iter-000120/, holding one .mgw
// per module, both optimisers' state, and manifest.json (iteration, random-generator state,
// recent losses). A checkpoint is written into a hidden temporary folder and renamed into
// place, so a crash never leaves a half checkpoint under a real name. index.json lists the
// checkpoints and names the best; the last `keep` and the best survive pruning.
//
// Crash safety: every file in the folder is flushed (temp + fsync + rename), the manifest is
// written last, the folder is renamed into place and the parent flushed, and only then does
// index.json (itself written atomically) list it. So a checkpoint the index lists is whole,
// even after a power cut; a kill at any moment leaves at worst a hidden temporary folder
// (removed when the next run starts) or a whole folder the index does not list yet.

import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir, writeFileAtomic } from '../files/atomic';
import { parseJson } from '../graph/format/json';
import { readWeightsFile, writeWeightsFile } from '../files/weights-file';
import { loadWeightsInto } from '../modules/weights';
import type { AdamState } from './adam';
import type { TrainModel } from './model';
import type { Losses, Trainer } from './trainer';

export const CHECKPOINT_FORMAT = 'modulargan-checkpoint';

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  version: 1;
  /** Iterations completed: a resumed run continues with this iteration. */
  iteration: number;
  createdAt: string;
  /**
   * Every draw of a run is a function of (seed, iteration) (batch order, flips, targets,
   * noise, penalty mixing), so the generators' state is exactly this pair.
   */
  rng: { kind: 'counter'; seed: number; next: number };
  modules: Record<string, string>;
  /**
   * With training.ema: the generator side's averaged weights, by module (ema-<id>.mgw). What
   * samples, evaluation, export and "load into graph" use; `modules` stays what training resumes.
   */
  ema?: Record<string, string>;
  optimizers: Record<'d' | 'g', string>;
  /** Means over the recent window, and the window itself (so "best" continues exactly). */
  losses: Losses;
  window: Losses[];
  /** Lower is better; see bestScore. */
  score: number | null;
}

export interface CheckpointEntry {
  iteration: number;
  path: string;
  createdAt: string;
  score: number | null;
}

export interface CheckpointIndex {
  checkpoints: CheckpointEntry[];
  best: string | null;
}

export const checkpointName = (iteration: number): string => `iter-${String(iteration).padStart(6, '0')}`;
const fileSafe = (id: string): string => id.replace(/[^\w.-]+/g, '_');
/** The one name a module's weights have in a checkpoint folder. */
export const checkpointWeightsName = (id: string): string => `${fileSafe(id)}.mgw`;
/** A module's averaged weights in a checkpoint (training.ema). */
export const checkpointAverageName = (id: string): string => `ema-${fileSafe(id)}.mgw`;

/** The weights file of each module to run or show a checkpoint with: the average where there is one. */
export const inferenceWeights = (m: CheckpointManifest): Record<string, string> => ({ ...m.modules, ...m.ema });
/** What index.json may name: a checkpoint folder of this run, nothing else. */
const CHECKPOINT_FOLDER = /^iter-\d{6,12}$/;
const OPTIMIZER_NAMES = { d: 'optimizer-d', g: 'optimizer-g' } as const;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A value from a file, quoted and cut for a message. */
const shown = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
};

/**
 * Reads a checkpoint's manifest and checks every name in it: the manifest is read from disk,
 * and its names are joined to the folder and copied or loaded, so each must be the file the
 * checkpoint writer gives that module (a plain name in the folder itself, never a path).
 */
export async function readCheckpointManifest(dir: string): Promise<CheckpointManifest> {
  const file = join(dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found (not a checkpoint folder, or an incomplete one)' : (e as Error).message}`, { cause: e });
  }
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const e = parsed.errors[0]!;
    throw new Error(`${file}${e.line ? `:${e.line}:${e.column ?? 1}` : ''}: ${e.message}`);
  }
  const m = parsed.value;
  if (!isRecord(m) || m.format !== CHECKPOINT_FORMAT) throw new Error(`${file}: not a ModularGAN checkpoint manifest`);
  if (!isRecord(m.modules)) throw new Error(`${file}: "modules" must map each module to its weights file`);
  for (const [id, name] of Object.entries(m.modules))
    if (name !== checkpointWeightsName(id))
      throw new Error(`${file}: refused: module '${id}' names ${shown(name)} as its weights; a checkpoint holds them in its own folder as '${checkpointWeightsName(id)}'`);
  if (m.ema !== undefined) {
    if (!isRecord(m.ema)) throw new Error(`${file}: "ema" must map each averaged module to its weights file`);
    for (const [id, name] of Object.entries(m.ema))
      if (name !== checkpointAverageName(id) || !Object.hasOwn(m.modules, id))
        throw new Error(`${file}: refused: module '${id}' names ${shown(name)} as its averaged weights; a checkpoint holds them in its own folder as '${checkpointAverageName(id)}'`);
  }
  if (!isRecord(m.optimizers)) throw new Error(`${file}: "optimizers" must name the optimiser state files`);
  for (const k of ['d', 'g'] as const)
    if (m.optimizers[k] !== OPTIMIZER_NAMES[k])
      throw new Error(`${file}: refused: optimizer '${k}' names ${shown(m.optimizers[k])}; a checkpoint holds it in its own folder as '${OPTIMIZER_NAMES[k]}'`);
  if (!Number.isInteger(m.iteration) || (m.iteration as number) < 0) throw new Error(`${file}: "iteration" must be a whole number, got ${shown(m.iteration)}`);
  return m as unknown as CheckpointManifest;
}

/**
 * The weights files a checkpoint's manifest lists, each checked to be a regular file in the
 * checkpoint's own folder (a symbolic link there could point anywhere), by module id: the files
 * to run the checkpoint with (averaged weights where the run kept an average), or with
 * `which: 'trained'` the weights training resumes from.
 */
export async function checkpointWeightsFiles(dir: string, manifest: CheckpointManifest, which: 'inference' | 'trained' = 'inference'): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [id, name] of Object.entries(which === 'inference' ? inferenceWeights(manifest) : manifest.modules)) {
    const path = join(dir, name);
    const st = await lstat(path).catch(() => undefined);
    if (!st) throw new Error(`${join(dir, 'manifest.json')}: module '${id}': its weights '${name}' are missing from the checkpoint folder`);
    if (!st.isFile()) throw new Error(`${join(dir, 'manifest.json')}: refused: module '${id}': '${name}' in the checkpoint folder is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}, not weights the checkpoint wrote`);
    out.set(id, path);
  }
  return out;
}

/**
 * The criterion for "best": the mean reconstruction plus feature-cycle loss over the recent
 * window in translation mode (how faithfully images survive E, T and R), the mean attribute
 * loss of the generator side in generation mode. Null until a G update has been seen.
 */
export function bestScore(mode: 'translation' | 'generation', window: readonly Losses[]): number | null {
  const rows = window.filter((l) => l.g_total !== undefined);
  if (!rows.length) return null;
  const v = (l: Losses) => (mode === 'translation' ? l.g_rec! + l.g_cyc! : l.g_cls!);
  return rows.reduce((a, l) => a + v(l), 0) / rows.length;
}

export function meanLosses(window: readonly Losses[]): Losses {
  const sums: Record<string, [number, number]> = {};
  for (const l of window)
    for (const [k, v] of Object.entries(l)) {
      const acc = (sums[k] ??= [0, 0]);
      acc[0] += v;
      acc[1]++;
    }
  return Object.fromEntries(Object.entries(sums).map(([k, [s, n]]) => [k, s / n]));
}

/** Optimiser state as JSON (keys, lengths, step) plus raw little-endian float32: m then v. */
async function writeAdam(dir: string, name: string, s: AdamState): Promise<void> {
  const keys = [...s.m.keys()];
  const total = keys.reduce((a, k) => a + s.m.get(k)!.length, 0);
  const data = new Float32Array(2 * total);
  let at = 0;
  for (const src of [s.m, s.v])
    for (const k of keys) {
      data.set(src.get(k)!, at);
      at += src.get(k)!.length;
    }
  await writeFileAtomic(join(dir, `${name}.bin`), new Uint8Array(data.buffer), { backup: false });
  const header = { step: s.step, tensors: keys.map((k) => ({ key: k, length: s.m.get(k)!.length })) };
  await writeFileAtomic(join(dir, `${name}.json`), JSON.stringify(header), { backup: false });
}

async function readAdam(dir: string, name: string): Promise<AdamState> {
  const file = join(dir, `${name}.json`);
  const parsed = parseJson(await readFile(file, 'utf8'));
  const header = (parsed.ok ? parsed.value : null) as { step: number; tensors: { key: string; length: number }[] } | null;
  if (!isRecord(header) || !Number.isInteger(header.step) || !Array.isArray(header.tensors) || !header.tensors.every((t) => isRecord(t) && typeof t.key === 'string' && Number.isInteger(t.length) && t.length >= 0))
    throw new Error(`${file}: not an optimiser state header${parsed.ok ? '' : ` (${parsed.errors[0]!.message})`}`);
  const bytes = await readFile(join(dir, `${name}.bin`));
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const total = header.tensors.reduce((a, t) => a + t.length, 0);
  if (data.length !== 2 * total) throw new Error(`${file}: the state data holds ${data.length} values, the header lists ${2 * total}`);
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  let at = 0;
  for (const target of [m, v])
    for (const t of header.tensors) {
      target.set(t.key, data.slice(at, at + t.length));
      at += t.length;
    }
  return { step: header.step, m, v };
}

/**
 * Reads index.json. Its paths are joined to the run folder and its dropped entries removed
 * recursively, so every one must name a checkpoint folder of this run (iter-NNNNNN), or the
 * index is refused: a damaged or hostile index never deletes or loads anything elsewhere.
 */
export async function readIndex(root: string): Promise<CheckpointIndex> {
  const file = join(root, 'index.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { checkpoints: [], best: null };
    throw new Error(`${file}: ${(e as Error).message}`, { cause: e });
  }
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const e = parsed.errors[0]!;
    throw new Error(`${file}${e.line ? `:${e.line}:${e.column ?? 1}` : ''}: ${e.message}`);
  }
  const index = parsed.value;
  if (!isRecord(index) || !Array.isArray(index.checkpoints)) throw new Error(`${file}: not a checkpoint index (it has no "checkpoints" list)`);
  index.checkpoints.forEach((c: unknown, i) => {
    if (!isRecord(c) || typeof c.path !== 'string' || !CHECKPOINT_FOLDER.test(c.path))
      throw new Error(`${file}: refused: checkpoints[${i}] names ${shown(isRecord(c) ? c.path : c)}, not a checkpoint folder of this run (iter-NNNNNN)`);
    if (!Number.isInteger(c.iteration)) throw new Error(`${file}: checkpoints[${i}] has no whole-number "iteration"`);
  });
  if (index.best !== null && index.best !== undefined && (typeof index.best !== 'string' || !CHECKPOINT_FOLDER.test(index.best)))
    throw new Error(`${file}: refused: "best" names ${shown(index.best)}, not a checkpoint folder of this run (iter-NNNNNN)`);
  return { checkpoints: index.checkpoints as CheckpointEntry[], best: (index.best as string | undefined) ?? null };
}

export interface SaveOptions {
  root: string;
  iteration: number;
  seed: number;
  window: readonly Losses[];
  /** How many of the latest checkpoints to keep besides the best (default 3). */
  keep?: number;
  /** The checkpoint's score for "best" (lower is better; null: not a candidate); default: bestScore of the window. */
  score?: number | null;
  /** Written into every module's weights metadata (what the run trained on: core/runtime/training-fit.ts reads it). */
  meta?: Readonly<Record<string, unknown>>;
}

/** Writes a checkpoint atomically, updates the index and prunes; returns its folder. */
export async function saveCheckpoint(trainer: Trainer, opts: SaveOptions): Promise<string> {
  const { root, iteration } = opts;
  const model = trainer.model;
  await mkdir(root, { recursive: true });
  const name = checkpointName(iteration);
  const tmp = join(root, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
  await mkdir(tmp);
  try {
    const modules: Record<string, string> = {};
    for (const p of model.all) {
      modules[p.id] = checkpointWeightsName(p.id);
      await writeWeightsFile(join(tmp, modules[p.id]!), p.module, { ...opts.meta, iteration, node: p.id });
    }
    // The generator side's average, written from the modules while they hold it.
    const ema: Record<string, string> = {};
    const average = trainer.ema;
    if (average)
      await average.withAverage(async () => {
        for (const p of [model.base, ...model.transformers, model.reconstructor]) {
          ema[p.id] = checkpointAverageName(p.id);
          await writeWeightsFile(join(tmp, ema[p.id]!), p.module, { ...opts.meta, iteration, node: p.id, ema: average.decay });
        }
      });
    await writeAdam(tmp, OPTIMIZER_NAMES.d, trainer.dOpt.getState());
    await writeAdam(tmp, OPTIMIZER_NAMES.g, trainer.gOpt.getState());
    const manifest: CheckpointManifest = {
      format: CHECKPOINT_FORMAT,
      version: 1,
      iteration,
      createdAt: new Date().toISOString(),
      rng: { kind: 'counter', seed: opts.seed, next: iteration },
      modules,
      ...(average ? { ema } : {}),
      optimizers: { ...OPTIMIZER_NAMES },
      losses: meanLosses(opts.window),
      window: [...opts.window],
      score: opts.score === undefined ? bestScore(model.mode, opts.window) : opts.score,
    };
    // Last, and flushed: a folder with a readable manifest has all its other files.
    await writeFileAtomic(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2), { backup: false });
    // A checkpoint of the same iteration from an earlier, interrupted run is replaced.
    await rm(join(root, name), { recursive: true, force: true });
    await rename(tmp, join(root, name));
    await syncDir(root);
    const index = await readIndex(root);
    index.checkpoints = index.checkpoints.filter((c) => c.iteration !== iteration);
    index.checkpoints.push({ iteration, path: name, createdAt: manifest.createdAt, score: manifest.score });
    index.checkpoints.sort((a, b) => a.iteration - b.iteration);
    const scored = index.checkpoints.filter((c) => c.score !== null);
    index.best = scored.length ? scored.reduce((a, b) => (b.score! < a.score! ? b : a)).path : null;
    const keep = new Set(index.checkpoints.slice(-(opts.keep ?? 3)).map((c) => c.path));
    if (index.best) keep.add(index.best);
    const dropped = index.checkpoints.filter((c) => !keep.has(c.path));
    index.checkpoints = index.checkpoints.filter((c) => keep.has(c.path));
    await writeFileAtomic(join(root, 'index.json'), JSON.stringify(index, null, 2), { backup: false });
    for (const c of dropped) await rm(join(root, c.path), { recursive: true, force: true });
    return join(root, name);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Forgets the checkpoints after `iteration` (a run resumed from an earlier checkpoint takes
 * a new path from there): out of the index and off the disk, so "latest" and "best" are of
 * the new path only.
 */
export async function dropCheckpointsAfter(root: string, iteration: number): Promise<void> {
  const index = await readIndex(root);
  const later = index.checkpoints.filter((c) => c.iteration > iteration);
  if (!later.length) return;
  index.checkpoints = index.checkpoints.filter((c) => c.iteration <= iteration);
  if (index.best && later.some((c) => c.path === index.best)) {
    const scored = index.checkpoints.filter((c) => c.score !== null);
    index.best = scored.length ? scored.reduce((a, b) => (b.score! < a.score! ? b : a)).path : null;
  }
  await writeFileAtomic(join(root, 'index.json'), JSON.stringify(index, null, 2), { backup: false });
  for (const c of later) await rm(join(root, c.path), { recursive: true, force: true });
}

/** Whether a checkpoint folder is whole: its manifest (written last) is there and parses. */
async function isComplete(dir: string): Promise<boolean> {
  try {
    return (JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as CheckpointManifest).format === CHECKPOINT_FORMAT;
  } catch {
    return false;
  }
}

/**
 * The newest complete checkpoint folder the index lists or, with no index yet (a crash
 * before the first one was listed), the newest complete folder there is. An entry whose
 * folder is gone or not whole (a crash while it was being replaced) is passed over.
 */
export async function latestCheckpoint(root: string): Promise<string | undefined> {
  const index = await readIndex(root);
  const names = index.checkpoints.length
    ? index.checkpoints.map((c) => c.path)
    : (await readdir(root).catch(() => [] as string[])).filter((n) => /^iter-\d+$/.test(n)).sort();
  for (const n of names.reverse()) if (await isComplete(join(root, n))) return join(root, n);
  return undefined;
}

/** Loads weights and optimiser state into a freshly built trainer; returns the manifest. */
export async function loadCheckpoint(dir: string, trainer: Trainer): Promise<CheckpointManifest> {
  const file = join(dir, 'manifest.json');
  const manifest = await readCheckpointManifest(dir);
  const files = await checkpointWeightsFiles(dir, manifest, 'trained');
  const model: TrainModel = trainer.model;
  if (trainer.ema && manifest.ema) {
    // The average goes through the modules (the file format is per module), then the trained weights go in.
    const averaged = await checkpointWeightsFiles(dir, manifest);
    for (const p of model.all) {
      const f = manifest.ema[p.id] ? averaged.get(p.id) : undefined;
      if (f) loadWeightsInto(p.module, await readWeightsFile(f));
    }
    trainer.ema.setValues(new Map([...trainer.ema.vars].map(([k, v]) => [k, v.dataSync<'float32'>().slice()])));
  }
  for (const p of model.all) {
    const f = files.get(p.id);
    if (!f) throw new Error(`${file}: the checkpoint has no weights for module '${p.id}'`);
    try {
      loadWeightsInto(p.module, await readWeightsFile(f));
    } catch (e) {
      throw new Error(`module '${p.id}': ${(e as Error).message}`, { cause: e });
    }
  }
  // A run that turns the average on when resuming starts it from the weights it resumes.
  if (trainer.ema && !manifest.ema) trainer.ema.reset();
  trainer.dOpt.setState(await readAdam(dir, manifest.optimizers.d));
  trainer.gOpt.setState(await readAdam(dir, manifest.optimizers.g));
  return manifest;
}
