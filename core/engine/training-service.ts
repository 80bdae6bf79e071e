// Training in the engine: the training view's calls (start, pause, resume, stop, checkpoints,
// dataset preview) over core/train's runTraining. The run goes on in the engine process
// while the page edits other graphs; its progress, samples and checkpoints go out as
// training events on the run-event channel. The log, samples and checkpoints are the same
// files `modulargan train` writes.

import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { encodePng } from '../data/images';
import { openDataset } from '../data/open';
import { DEFAULT_DATASET_GROUPS, type DatasetSource } from '../graph/attributes';
import type { Graph } from '../graph/graph';
import type { AttributeGroup } from '../graph/ports';
import { type CheckpointManifest, checkpointWeightsFiles, inferenceWeights, readCheckpointManifest, readIndex } from '../train/checkpoint';
import { type SampleNow, defaultRunDir, runTraining } from '../train/run';
import { sampleLatest } from '../train/sample-now';
import type { CheckpointInfo, DatasetPreview, DatasetRefInfo, RunEvent, SampleInfo, TrainingRequest } from '../api/types';
import { MODULE_KINDS } from '../graph/training-graph';
import { startTrainingBackend } from './backends';
import { readProject } from './documents';
import { withTrainingMonitor } from './monitor';
import { checkpointInfo, pngUrl } from './checkpoint-info';
import { TORCH_CANNOT_PAUSE } from './training-engine-report';
import { newestRunSample, trainWithTorch } from './torch-training';
import { trainOnQueue } from './queued-training';
import { QUEUE_CANNOT_PAUSE } from '../api/training-engines';

const CHECKPOINT_ID = /^iter-\d{1,12}$/;

interface ActiveTraining {
  readonly abort: AbortController;
  /** The project file it trains, absolute. */
  readonly project: string;
  /** Who trains: the engine itself, or PyTorch in a process of its own (no pause, no model here). */
  readonly engine: 'builtin' | 'torch';
  /** Where: in this engine's machine, or on a queue worker (no pause, no model here, whichever engine). */
  readonly onQueue: boolean;
  paused: boolean;
  wake: (() => void) | null;
  done: Promise<void>;
  /** Makes a sample grid of the model in memory, once the run has built it. */
  sample: SampleNow | null;
}

/** Decodes a label vector into each group's value, for the preview's captions. */
function describeLabels(groups: readonly AttributeGroup[], labels: Float32Array): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  for (const g of groups) {
    if (g.kind === 'binary') {
      out[g.name] = labels[at]! > 0.5 ? 'yes' : 'no';
      at += 1;
    } else {
      const slice = Array.from(labels.subarray(at, at + g.values.length));
      out[g.name] = g.values[slice.indexOf(Math.max(...slice))] ?? '?';
      at += g.values.length;
    }
  }
  return out;
}

async function openCheckpoint(projectPath: string, checkpointId: string) {
  if (!CHECKPOINT_ID.test(checkpointId)) throw new Error(`'${checkpointId}' does not name a checkpoint`);
  const project = await readProject(resolve(projectPath));
  const dir = join(defaultRunDir(projectPath), 'checkpoints', checkpointId);
  if (!(await stat(join(dir, 'manifest.json')).catch(() => null))) throw new Error(`checkpoint ${checkpointId} is not in ${dirname(dir)}`);
  // Its names become paths the graph loads and the freeze copies: checked, never trusted.
  const manifest = await readCheckpointManifest(dir);
  return { project, dir, manifest };
}

/** The graph with each module's weights pointing at its file of the checkpoint, as `where` names it. */
function withWeights(graph: Graph, m: CheckpointManifest, where: (file: string) => string): Graph {
  const nodes = graph.nodes.map((n) => {
    const file = inferenceWeights(m)[n.id];
    return MODULE_KINDS.has(n.kind) && file ? { ...n, params: { ...n.params, weights: where(file) } } : n;
  });
  return { ...graph, nodes };
}

export function createTrainingService(emit: (e: RunEvent) => void) {
  const active = new Map<string, ActiveTraining>();

  async function train(runId: string, req: TrainingRequest, t: ActiveTraining): Promise<void> {
    try {
      const project = await readProject(resolve(req.projectPath));
      // Same backend choice as `modulargan train`, so both give the same losses.
      await startTrainingBackend(undefined, { backend: project.training?.backend, file: req.projectPath });
      const runDir = defaultRunDir(req.projectPath);
      const root = join(runDir, 'checkpoints');
      const note = (message: string) => emit({ type: 'training-note', runId, message: message.slice(0, 2000) });
      const result = await withTrainingMonitor(resolve(req.projectPath), project, note, (measure) => runTraining(resolve(req.projectPath), {
        ...(measure ? { measure } : {}),
        ...(req.iterations ? { iterations: req.iterations } : {}),
        resume: req.resume !== undefined,
        ...(req.resume && req.resume !== 'latest' ? { from: join(root, req.resume) } : {}),
        restart: !!req.restart,
        command: "the studio's Training tab",
        signal: t.abort.signal,
        pause: async () => {
          if (!t.paused || t.abort.signal.aborted) return;
          emit({ type: 'training-state', runId, state: 'paused' });
          await new Promise<void>((ok) => (t.wake = ok));
          t.wake = null;
          if (!t.abort.signal.aborted) emit({ type: 'training-state', runId, state: 'running' });
        },
        onProgress: (p) => {
          const { lr = 0, ...losses } = p.losses;
          emit({ type: 'training-progress', runId, iteration: p.done, total: p.total, iterationsPerSecond: p.iterationsPerSecond, etaSeconds: p.etaSeconds, lr, losses });
        },
        onSample: (png, iteration) => emit({ type: 'training-sample', runId, iteration, png: pngUrl(png) }),
        onSampler: (sample) => (t.sample = sample),
        onCheckpoint: (dir, iteration) => {
          void readIndex(root)
            .then((index) => checkpointInfo(root, dir.split(/[\\/]/).pop()!, index.best === dir.split(/[\\/]/).pop()))
            .then((checkpoint) => emit({ type: 'training-checkpoint', runId, checkpoint }))
            .catch(() => emit({ type: 'training-failed', runId, message: `checkpoint ${iteration} was written but cannot be read back` }));
        },
        log: note,
      }));
      emit({
        type: 'training-finished',
        runId,
        status: result.status === 'done' ? 'done' : result.status === 'non-finite' ? 'non-finite' : 'stopped',
        completed: result.completed,
        ...(result.message ? { message: result.message } : {}),
        ...(result.lastCheckpoint ? { lastCheckpoint: result.lastCheckpoint } : {}),
      });
    } catch (e) {
      emit({ type: 'training-failed', runId, message: e instanceof Error ? e.message : String(e) });
    }
  }

  const get = (runId: string) => {
    const t = active.get(runId);
    if (!t) throw new Error(`no training '${runId}' is running`);
    return t;
  };
  const stop = async (t: ActiveTraining) => {
    t.abort.abort();
    t.wake?.();
    await t.done;
  };

  return {
    async startTraining(req: TrainingRequest): Promise<{ runId: string }> {
      // tfjs has one global backend and the trainer holds its memory: one training at a time.
      if (active.size) throw new Error('a training is already running in this studio: stop it first');
      const runId = randomUUID();
      const engine = req.engine ?? 'builtin';
      const onQueue = req.queue !== undefined;
      const t: ActiveTraining = { abort: new AbortController(), project: resolve(req.projectPath), engine, onQueue, paused: false, wake: null, done: Promise.resolve(), sample: null };
      active.set(runId, t);
      const run =
        req.queue !== undefined ? trainOnQueue(runId, { ...req, queue: req.queue }, t.abort.signal, emit) : engine === 'torch' ? trainWithTorch(runId, req, t.abort.signal, emit) : train(runId, req, t);
      t.done = run.finally(() => active.delete(runId));
      return { runId };
    },
    async pauseTraining(runId: string) {
      const t = get(runId);
      if (t.onQueue) throw new Error(QUEUE_CANNOT_PAUSE);
      if (t.engine === 'torch') throw new Error(TORCH_CANNOT_PAUSE);
      t.paused = true;
    },
    async resumeTraining(runId: string) {
      const t = get(runId);
      t.paused = false;
      t.wake?.();
    },
    async stopTraining(runId: string) {
      const t = active.get(runId);
      if (!t) return;
      emit({ type: 'training-state', runId, state: 'stopping' });
      await stop(t);
    },
    async stopAllTraining() {
      await Promise.all([...active.values()].map(stop));
    },
    async sampleNow(projectPath: string): Promise<SampleInfo> {
      const file = resolve(projectPath);
      const running = [...active.values()].find((t) => t.project === file);
      if (running && (running.engine === 'torch' || running.onQueue)) return newestRunSample(file);
      if (running?.sample) {
        const s = await running.sample();
        return { iteration: s.iteration, png: pngUrl(s.png), source: 'training' };
      }
      // Another project is training: its model holds the memory and tfjs's one backend.
      if (active.size && !running) throw new Error('another project is training in this studio: its samples come as it runs; stop it to sample this one');
      if (running) throw new Error('the training is still building its model: its first sample grid comes in a moment');
      const project = await readProject(file);
      await startTrainingBackend(undefined, { backend: project.training?.backend, file });
      const s = await sampleLatest(file);
      return { iteration: s.iteration, png: pngUrl(s.png), source: s.checkpoint ? 'checkpoint' : 'untrained' };
    },
    async listCheckpoints(projectPath: string): Promise<CheckpointInfo[]> {
      const root = join(defaultRunDir(projectPath), 'checkpoints');
      const index = await readIndex(root);
      const out: CheckpointInfo[] = [];
      for (const c of index.checkpoints) {
        const info = await checkpointInfo(root, c.path, index.best === c.path).catch(() => null);
        if (info) out.push(info);
      }
      return out;
    },
    async loadCheckpointIntoGraph(projectPath: string, checkpointId: string): Promise<Graph> {
      const { project, dir, manifest } = await openCheckpoint(projectPath, checkpointId);
      return withWeights(project.graph, manifest, (file) => join(dir, file));
    },
    async freezeCheckpoint(projectPath: string, checkpointId: string, targetPath: string): Promise<Graph> {
      const { project, dir, manifest } = await openCheckpoint(projectPath, checkpointId);
      const target = resolve(targetPath);
      const folder = `${basename(target).replace(/(\.mgproj)?\.json$/, '')}.frozen`;
      // Every file, discriminators too: a frozen module's D_<id>.mgw beside its weights comes
      // along. Each is checked (a regular file in the checkpoint's own folder) before any is copied.
      const files = await checkpointWeightsFiles(dir, manifest);
      await mkdir(join(dirname(target), folder), { recursive: true });
      for (const from of files.values()) await copyFile(from, join(dirname(target), folder, basename(from)));
      return withWeights(project.graph, manifest, (file) => `${folder}/${file}`);
    },
    async datasetColumns(ref: DatasetRefInfo, baseDir: string): Promise<string[]> {
      if (ref.source === 'celeba') {
        const file = join(resolve(baseDir, ref.path ?? ''), 'list_attr_celeba.txt');
        const text = await readFile(file, 'utf8').catch(() => {
          throw new Error(`${file}: not found (a CelebA folder holds list_attr_celeba.txt)`);
        });
        return (text.split(/\r?\n/, 2)[1] ?? '').trim().split(/\s+/).filter(Boolean);
      }
      if (ref.source === 'image-folder') {
        const csv = resolve(baseDir, ref.csv ?? join(ref.path ?? '', 'attributes.csv'));
        const text = await readFile(csv, 'utf8').catch(() => {
          throw new Error(`${csv}: not found`);
        });
        const header = (text.split(/\r?\n/, 1)[0] ?? '').split(',').map((h) => h.trim().replace(/^"|"$/g, ''));
        return header.filter((h) => !['file', 'filename', 'image', 'path'].includes(h.toLowerCase()));
      }
      return DEFAULT_DATASET_GROUPS[ref.source as DatasetSource].map((g) => g.name);
    },
    async datasetPreview(ref: DatasetRefInfo, baseDir: string, count: number): Promise<DatasetPreview> {
      const ds = await openDataset(ref, baseDir);
      // Spread over the set, so the preview shows more than the first class.
      const all = ds.train.length ? ds.train : ds.test;
      const step = Math.max(1, Math.floor(all.length / count));
      const items = Array.from({ length: Math.min(count, all.length) }, (_, i) => all[i * step]!);
      const samples: DatasetPreview['samples'][number][] = [];
      for (const i of items) {
        const s = await ds.load(i).catch(() => undefined);
        if (!s) continue;
        const png = await encodePng(s.image, ds.imageSize, ds.imageSize, 3);
        samples.push({ png: pngUrl(png), labels: describeLabels(ds.groups, s.labels) });
      }
      const groups = ds.groups.map((g) => (g.kind === 'onehot' ? { name: g.name, kind: g.kind, values: [...g.values] } : { name: g.name, kind: g.kind }));
      return { title: ds.title, groups, samples, notes: [...ds.notes] };
    },
    /** Stops every training (with a checkpoint) when the engine closes. */
    close: () => Promise.all([...active.values()].map(stop)).then(() => undefined),
  };
}
