// A whole training run from a project file: open the dataset, build the model from the
// graph, resume from the latest checkpoint if asked, then iterate with batches loaded ahead,
// logging every iteration's losses as JSONL, writing sample grids and checkpoints. Outputs
// go to "<project name>.train/" beside the project file:
//   log.jsonl, samples/iter-000500.png, checkpoints/iter-001000/, checkpoints/index.json

import { appendFile, mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type ImageStats, imageFeatures, imageStats } from '../data/image-stats';
import { BatchLoader, requireLoadableItem } from '../data/loader';
import { openDataset } from '../data/open';
import { removeStaleTemporaries, writeFileAtomic } from '../files/atomic';
import { formatFileError, readProjectFile } from '../files/documents';
import type { Project } from '../graph/format/project';
import { groupsLength } from '../graph/ports';
import type { Generator } from '../modules/generator';
import { gaussian } from '../runtime/noise';
import { type CheckpointManifest, dropCheckpointsAfter, latestCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint';
import { type ModelOptions, type TrainModel, type TrainModelPlan, buildPlannedModel, buildTrainModel, disposeModel, planTrainModel } from './model';
import { LOCK_FILE, lockRunFolder } from './run-lock';
import { checkTrainingMemory, trainingTerms } from './memory';
import { memoryBudget } from '../runtime/memory-budget';
import { hasFusedInstanceNorm } from '../modules/fused-norm';
import { sampleGrid } from './samples';
import { type Losses, NonFiniteLossError, Trainer, type TrainSettings } from './trainer';

export interface TrainProgress {
  /** Iterations completed. */
  readonly done: number;
  readonly total: number;
  readonly losses: Losses;
  readonly iterationsPerSecond: number;
  readonly imagesPerSecond: number;
  readonly etaSeconds: number;
}

export interface TrainRunOptions {
  /** Overrides training.iterations (the total, which also sets the learning-rate decay). */
  iterations?: number;
  /** Continue from the latest checkpoint in the run folder. */
  resume?: boolean;
  /** Discard an earlier run's checkpoints, samples and log instead of refusing to start. */
  restart?: boolean;
  /** Stop after this many iterations (a checkpoint is written), as if interrupted. */
  stopAfter?: number;
  /** Default "<project file without .mgproj.json>.train" beside the project. */
  runDir?: string;
  /** Latest checkpoints kept besides the best (default 3). */
  keep?: number;
  /** Iterations whose losses make the window for the "best" criterion (default 50). */
  window?: number;
  /** Continue from this checkpoint folder instead of the latest (implies resume). */
  from?: string;
  /** Who writes the run folder, for the lock another writer is refused with ("modulargan train p --resume"). */
  command?: string;
  /**
   * training.monitor's measurement of the model (eval's FID and accuracies, made by the engine:
   * training does not import evaluation), run with the averaged weights when there is an average.
   */
  measure?: (model: TrainModel) => Promise<Record<string, number>>;
  onProgress?: (p: TrainProgress) => void;
  /** A sample grid was written (PNG bytes): at iteration 0 of a fresh run, then every sampleEvery. */
  onSample?: (png: Uint8Array, iteration: number) => void;
  /**
   * While the model is in memory: a function that writes a sample grid of the current state
   * at once (between iterations) and gives it back; null once the model is gone. What a
   * front end's "Sample now" calls during a run.
   */
  onSampler?: (sample: SampleNow | null) => void;
  /** A checkpoint was written (its folder). */
  onCheckpoint?: (dir: string, iteration: number) => void;
  /**
   * Awaited before every iteration: a front end pauses training by returning a promise that
   * settles on resume. The model and optimisers stay in memory, so losses continue exactly.
   */
  pause?: () => Promise<void>;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export type SampleNow = () => Promise<{ readonly png: Uint8Array; readonly iteration: number }>;

export interface TrainRunResult {
  readonly status: 'done' | 'stopped' | 'non-finite' | 'aborted';
  readonly completed: number;
  readonly runDir: string;
  readonly lastCheckpoint?: string;
  readonly message?: string;
}

/** A problem with the project or run folder the user must fix; the message says how. */
export class TrainSetupError extends Error {}

export const defaultRunDir = (projectFile: string): string =>
  join(dirname(resolve(projectFile)), `${basename(projectFile).replace(/(\.mgproj)?\.json$/, '')}.train`);

export function trainSettings(project: Project, iterations?: number): TrainSettings & { checkpointEvery: number; sampleEvery: number; monitor?: NonNullable<Project['training']>['monitor'] } {
  const t = project.training;
  if (!t) throw new TrainSetupError('the project has no "training" section');
  return {
    iterations: iterations ?? t.iterations,
    batchSize: t.batchSize,
    learningRate: t.learningRate,
    beta1: t.beta1,
    beta2: t.beta2,
    nCritic: t.nCritic,
    ...(t.decayFrom === undefined ? {} : { decayFrom: t.decayFrom }),
    lambdaGp: t.lambdaGp,
    lambdaCls: t.lambdaCls,
    lambdaRec: t.lambdaRec,
    lambdaCyc: t.lambdaCyc,
    lambdaAdv: t.lambdaAdv,
    ...(t.chainProbability === undefined ? {} : { chainProbability: t.chainProbability }),
    ...(t.lambdaKeep === undefined ? {} : { lambdaKeep: t.lambdaKeep }),
    ...(t.lambdaChain === undefined ? {} : { lambdaChain: t.lambdaChain }),
    ...(t.lambdaClsFake === undefined ? {} : { lambdaClsFake: t.lambdaClsFake }),
    ...(t.clsFakeOthers ? { clsFakeOthers: true } : {}),
    ...(t.clsFakeBinary === undefined ? {} : { clsFakeBinary: t.clsFakeBinary }),
    ...(t.lambdaRoundTrip === undefined ? {} : { lambdaRoundTrip: t.lambdaRoundTrip }),
    ...(t.lambdaIdentity === undefined ? {} : { lambdaIdentity: t.lambdaIdentity }),
    ...(t.lambdaUnmasked === undefined ? {} : { lambdaUnmasked: t.lambdaUnmasked }),
    ...(t.lambdaMask === undefined ? {} : { lambdaMask: t.lambdaMask }),
    ...(t.augment?.length ? { augment: t.augment } : {}),
    ...(t.ema === undefined ? {} : { ema: t.ema }),
    seed: t.seed,
    frozen: t.frozen,
    checkpointEvery: t.checkpointEvery,
    sampleEvery: t.sampleEvery,
    ...(t.monitor ? { monitor: t.monitor } : {}),
  };
}

/**
 * Below this mean over the sample rows a transformer's mask counts as closed. A closed tanh
 * mask is saturated: it gets almost no gradient to open again, so the transformer stays a
 * no-op for the rest of the run (the 11,000-iteration ColorMNIST run lost its style
 * transformer this way by iteration 3,000), and the user should hear of it early.
 */
const CLOSED_MASK = 0.01;

const closedMaskNote = (id: string, mean: number, iteration: number): string =>
  `iteration ${iteration}: the mask of transformer '${id}' is closed on every sample image (mean ${mean.toFixed(4)}): ` +
  'it passes its input through unchanged, and a saturated mask gets almost no gradient to open again. ' +
  "If it stays closed, give it a mask gain below 1 (its 'maskGain' parameter) and train it again from a fresh start on a checkpoint of the others.";

/** Keeps the log lines of iterations before `start`: a resumed run rewrites what follows. */
async function truncateLog(file: string, start: number): Promise<void> {
  const text = await readFile(file, 'utf8').catch(() => '');
  // A line cut short by a crash parses as nothing and goes too.
  const iterationOf = (l: string): number => {
    try {
      return (JSON.parse(l) as { iteration: number }).iteration;
    } catch {
      return Infinity;
    }
  };
  const kept = text.split('\n').filter((l) => l.trim() && iterationOf(l) < start);
  // Atomically: a crash while rewriting must not lose the lines before `start`.
  await writeFileAtomic(file, kept.map((l) => `${l}\n`).join(''), { backup: false });
}

/** How a project's training builds its model (also what a sample of its run is made with). */
export function trainModelOptions(project: Project, dataset: Awaited<ReturnType<typeof openDataset>>, baseDir: string): ModelOptions {
  const t = project.training;
  if (!t) throw new TrainSetupError('the project has no "training" section');
  return {
    mode: t.mode,
    imageSize: dataset.imageSize,
    datasetGroups: dataset.groups,
    seed: t.seed,
    baseDir,
    ...(t.dBaseChannels === undefined ? {} : { dBaseChannels: t.dBaseChannels }),
    ...(t.dDepth === undefined ? {} : { dDepth: t.dDepth }),
    ...(t.sharedDiscriminator ? { sharedDiscriminator: true } : {}),
    ...(t.discriminatorWeights === undefined ? {} : { discriminatorWeights: t.discriminatorWeights }),
  };
}

export async function runTraining(projectFile: string, opts: TrainRunOptions = {}): Promise<TrainRunResult> {
  const say = opts.log ?? (() => {});
  const read = await readProjectFile(projectFile);
  if (!read.ok) throw new TrainSetupError(read.errors.map((e) => formatFileError(projectFile, e)).join('\n'));
  const project = read.value.value;
  const baseDir = dirname(resolve(projectFile));
  const cfg = trainSettings(project, opts.iterations);
  const t = project.training!;
  const ref = project.datasets.find((d) => d.id === t.dataset);
  if (!ref) throw new TrainSetupError(`training.dataset '${t.dataset}' is not one of the project's datasets (${project.datasets.map((d) => d.id).join(', ') || 'none'})`);
  const dataset = await openDataset(ref, baseDir);
  for (const n of dataset.notes) say(n);

  // The modules are planned, and their memory estimated, from parameters alone: a model the
  // machine cannot hold is refused before a single weight is allocated, not by the
  // out-of-memory killer after it has taken every byte.
  const plan = await planTrainModel(project.graph, trainModelOptions(project, dataset, baseDir));
  const memory = checkTrainingMemory(plan, cfg.batchSize, dataset.imageSize, memoryBudget(), hasFusedInstanceNorm(), trainingTerms(cfg));
  if (!memory.ok) throw new TrainSetupError(memory.message);
  if (memory.warning) say(memory.warning);
  // A dataset none of whose images loads is refused now, with the reasons, not mid-setup.
  const datasetName = `dataset '${ref.id}' (${dataset.title})`;
  await requireLoadableItem(dataset, { name: datasetName });

  const runDir = opts.runDir ?? defaultRunDir(projectFile);
  await mkdir(runDir, { recursive: true });
  // One writer per run folder: everything below writes it.
  const lock = await lockRunFolder(runDir, opts.command ?? `training of ${basename(projectFile)}`);
  try {
    return await trainLocked(opts, { baseDir, cfg, dataset, datasetName, plan, runDir });
  } finally {
    await lock.release();
  }
}

interface Prepared {
  readonly baseDir: string;
  readonly cfg: ReturnType<typeof trainSettings>;
  readonly dataset: Awaited<ReturnType<typeof openDataset>>;
  /** "dataset 'faces' (image folder /data/faces)", for the loader's messages. */
  readonly datasetName: string;
  readonly plan: TrainModelPlan;
  readonly runDir: string;
}

/** Removes what an earlier run left in `runDir`, but not the lock this run holds. */
async function clearRunFolder(runDir: string): Promise<void> {
  for (const name of await readdir(runDir)) if (!name.startsWith(LOCK_FILE) && !name.startsWith(`.${LOCK_FILE}`)) await rm(join(runDir, name), { recursive: true, force: true });
}

async function trainLocked(opts: TrainRunOptions, { cfg, dataset, datasetName, plan, runDir, baseDir }: Prepared): Promise<TrainRunResult> {
  const say = opts.log ?? (() => {});
  const ckptRoot = join(runDir, 'checkpoints');
  const logFile = join(runDir, 'log.jsonl');
  let resumeFrom: string | undefined;
  if (opts.from) {
    resumeFrom = resolve(opts.from);
  } else if (opts.resume) {
    resumeFrom = await latestCheckpoint(ckptRoot);
    if (!resumeFrom) say(`no checkpoint in ${ckptRoot}: starting from iteration 0`);
  } else if (await latestCheckpoint(ckptRoot)) {
    if (!opts.restart)
      throw new TrainSetupError(`${runDir} already holds checkpoints of an earlier run: use --resume to continue it or --restart to discard it`);
    await clearRunFolder(runDir);
  }
  await mkdir(join(runDir, 'samples'), { recursive: true });
  // What a killed run was writing (a half checkpoint, a half log or sample) goes.
  for (const d of [runDir, ckptRoot, join(runDir, 'samples')]) await removeStaleTemporaries(d);

  const model = await buildPlannedModel(plan, { seed: cfg.seed, baseDir });
  const trainer = new Trainer(model, cfg);
  try {
    let start = 0;
    let window: Losses[] = [];
    let lastCheckpoint: string | undefined;
    if (resumeFrom) {
      const m: CheckpointManifest = await loadCheckpoint(resumeFrom, trainer);
      if (m.rng.seed !== cfg.seed) throw new TrainSetupError(`${resumeFrom}: was made with seed ${m.rng.seed}, the project now says ${cfg.seed}`);
      start = m.iteration;
      window = m.window;
      if (opts.from) await dropCheckpointsAfter(ckptRoot, start);
      lastCheckpoint = resumeFrom;
      say(`resumed from ${resumeFrom} at iteration ${start}`);
    }
    await truncateLog(logFile, start);

    const skipped: string[] = [];
    const loader = new BatchLoader(dataset, { batchSize: cfg.batchSize, seed: cfg.seed, name: datasetName, onSkip: (m) => (skipped.push(m), say(m)) });
    const samples = await fixedSamples(dataset, model, cfg.seed);
    const writeSample = async (done: number) => {
      // With training.ema the grid shows the averaged weights: what evaluation and export will use.
      const make = () => sampleGrid(model, samples, dataset.imageSize);
      const grid = await (trainer.ema ? trainer.ema.withAverage(make) : make());
      await writeFileAtomic(join(runDir, 'samples', `iter-${String(done).padStart(6, '0')}.png`), grid.png, { backup: false });
      opts.onSample?.(grid.png, done);
      return grid;
    };
    // Before the first step: what the model makes untrained (or with the weights it starts
    // from), so a person sees images within seconds rather than after sampleEvery iterations.
    if (start === 0) await writeSample(0);
    let completed = start;
    opts.onSampler?.(async () => {
      const at = completed;
      return { png: (await writeSample(at)).png, iteration: at };
    });
    const end = Math.min(cfg.iterations, opts.stopAfter ?? Infinity);
    const windowSize = opts.window ?? 50;
    const t0 = performance.now();
    // Every weights file says what it was trained on, so a run can warn when fed something else.
    const trainedOn = await trainedOnSummary(dataset);
    const monitor = cfg.monitor && opts.measure ? { ...cfg.monitor, measure: opts.measure } : undefined;
    const checkpoint = async (done: number, measured?: Record<string, number>) => {
      // With best: 'fid' only measured checkpoints are candidates, scored by their FID.
      const score = monitor?.best === 'fid' ? (measured?.eval_fid ?? null) : undefined;
      lastCheckpoint = await saveCheckpoint(trainer, { root: ckptRoot, iteration: done, seed: cfg.seed, window, keep: opts.keep ?? 3, meta: { trainedOn }, ...(score === undefined ? {} : { score }) });
      opts.onCheckpoint?.(lastCheckpoint, done);
    };
    let pausedSeconds = 0;
    const closedNoted = new Set<string>();
    for (let k = start; k < end; k++) {
      // tfjs steps are synchronous: give the event loop a turn so a host's replies and
      // events (progress, samples, a pause or stop request) go out between iterations.
      await new Promise((ok) => setImmediate(ok));
      if (opts.pause) {
        const p0 = performance.now();
        await opts.pause();
        pausedSeconds += (performance.now() - p0) / 1000;
      }
      if (opts.signal?.aborted) {
        if (k > start) await checkpoint(k);
        return { status: 'aborted', completed: k, runDir, ...(lastCheckpoint ? { lastCheckpoint } : {}) };
      }
      const batch = await loader.get(k);
      let losses: Losses;
      try {
        losses = trainer.step(k, batch);
      } catch (e) {
        if (!(e instanceof NonFiniteLossError)) throw e;
        const keep = lastCheckpoint ? `; the last good checkpoint is ${lastCheckpoint}` : '; no checkpoint was written yet';
        return { status: 'non-finite', completed: k, runDir, message: `${e.message}${keep}`, ...(lastCheckpoint ? { lastCheckpoint } : {}) };
      }
      const done = k + 1;
      // Measured on the model as it is after this iteration, logged on this iteration's line,
      // and checkpointed, so `modulargan eval` of that checkpoint gives the same numbers.
      let measured: Record<string, number> | undefined;
      if (monitor && done % monitor.every === 0) {
        const measure = () => monitor.measure(model);
        measured = await (trainer.ema ? trainer.ema.withAverage(measure) : measure());
      }
      await appendFile(logFile, `${JSON.stringify({ iteration: k, ...losses, ...measured })}\n`);
      window = [...window, losses].slice(-windowSize);
      completed = done;
      if (done % cfg.sampleEvery === 0 || done === end) {
        const grid = await writeSample(done);
        for (const { id, mean } of grid.maskMeans) {
          if (mean >= CLOSED_MASK || trainer.frozen.has(id) || closedNoted.has(id)) continue;
          closedNoted.add(id);
          say(closedMaskNote(id, mean, done));
        }
      }
      if (done % cfg.checkpointEvery === 0 || done === end || measured) await checkpoint(done, measured);
      const seconds = (performance.now() - t0) / 1000 - pausedSeconds;
      const rate = (done - start) / seconds;
      opts.onProgress?.({ done, total: cfg.iterations, losses: { ...losses, ...measured }, iterationsPerSecond: rate, imagesPerSecond: rate * cfg.batchSize, etaSeconds: (cfg.iterations - done) / rate });
    }
    const status = end < cfg.iterations ? 'stopped' : 'done';
    return { status, completed: end, runDir, ...(lastCheckpoint ? { lastCheckpoint } : {}) };
  } finally {
    opts.onSampler?.(null);
    trainer.dispose();
    disposeModel(model);
  }
}

/**
 * What a run trains on, as its weights files record it (meta.trainedOn): the dataset, its
 * image size and its images' statistics. core/runtime/training-fit.ts reads it back.
 */
export async function trainedOnSummary(dataset: Awaited<ReturnType<typeof openDataset>>): Promise<{ dataset: string; imageSize: number; images: ImageStats }> {
  return { dataset: dataset.title, imageSize: dataset.imageSize, images: await datasetImageStats(dataset) };
}

/** Statistics of up to 64 training images (spread over the set), for the weights' trainedOn. */
export async function datasetImageStats(dataset: Awaited<ReturnType<typeof openDataset>>): Promise<ImageStats> {
  const items = dataset.train.length ? dataset.train : dataset.test;
  const step = Math.max(1, Math.floor(items.length / 64));
  const features: number[][] = [];
  for (let i = 0; i < items.length && features.length < 64; i += step) {
    const s = await dataset.load(items[i]!).catch(() => undefined);
    if (s) features.push(imageFeatures(s.image, dataset.imageSize));
  }
  return imageStats(features);
}

/** Images in a sample grid. */
export const SAMPLE_ITEMS = 8;

/** The first test items (and fixed noise) every sample grid shows. */
export async function fixedSamples(dataset: Awaited<ReturnType<typeof openDataset>>, model: Awaited<ReturnType<typeof buildTrainModel>>, seed: number) {
  const s = dataset.imageSize;
  const len = groupsLength(dataset.groups);
  const images = new Float32Array(SAMPLE_ITEMS * s * s * 3);
  const labels = new Float32Array(SAMPLE_ITEMS * len);
  let n = 0;
  // Test items first; past unreadable ones, training items (runTraining checked that one loads).
  for (const i of [...dataset.test, ...dataset.train]) {
    if (n === SAMPLE_ITEMS) break;
    const smp = await dataset.load(i).catch(() => undefined);
    if (!smp) continue;
    images.set(smp.image, n * s * s * 3);
    labels.set(smp.labels, n * len);
    n++;
  }
  const noiseLength = model.base.module.kind === 'G' ? ((model.base.module as Generator).params.noiseLength as number) : 0;
  return {
    images: images.subarray(0, n * s * s * 3),
    labels: labels.subarray(0, n * len),
    n,
    ...(noiseLength ? { noise: gaussian(`${seed}:samples`, n * noiseLength) } : {}),
  };
}
