// The engine, in process: files (open, save, recent, recovery), runs with previews, batch
// runs over folders, the preset library, provenance of output PNGs, and training
// (training-service.ts). The web host serves it over HTTP + WebSocket, Electron's engine
// process over a message port, and tests call it directly. Documents are opened, backends
// chosen and batches run by the same functions the command line calls (documents.ts,
// backends.ts, batch.ts).

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { encodePng, readImage, readXmp } from '../data/images';
import { saveProjectFile } from '../files/documents';
import { mapWeightsPaths } from '../graph/graph';
import type { Project } from '../graph/format/project';
import { parseProvenanceXmp } from '../graph/format/provenance';
import { expandPresetNodes } from '../graph/preset-node';
import { type Batch, type RunContext, runGraph } from '../runtime/executor';
import { outputFolders } from '../runtime/output-folders';
import { sharedInferenceEngine } from './backends';
import { runBatchJob } from './batch';
import { openProject, projectPath } from './documents';
import { errorNode, errorText } from './errors';
import { createPresetLibrary } from './preset-library';
import { createStateFiles } from './state-files';
import { createTrainingService } from './training-service';
import { trainingEngineReport } from './training-engine-report';
import { buildTrainingGraph } from '../graph/training-graph';
import { applyTrainingGraph } from '../graph/training-edit';
import { suggestMapping } from '../graph/attribute-mapping';
import { type ApiMethod, type BatchRequest, type BatchWorkerInfo, DEMOS, type DemoName, type EngineApi, type EngineInfo, type RunEvent, type RunRequest } from '../api/types';
import { API_METHODS } from '../api/schemas';
import { checkCallPaths } from './call-paths';
import { listFolder } from './folder-listing';
import { createJobJournal } from './jobs';
import { type PathGuard, createPathGuard, realPathOf, resolveRoots } from './path-guard';

export interface EngineServiceOptions {
  /** Where the recent list and the recovery file live (Electron: userData). */
  readonly stateDir: string;
  /** The bundled demo project. */
  readonly demoPath: string;
  readonly host: EngineInfo['host'];
  readonly version?: string;
  /** Read-only presets shipped with the studio; default: assets/presets beside the demo's folder. */
  readonly bundledPresetsDir?: string;
  /**
   * The only folders a call may name (modulargan serve --root): every path of every call is
   * checked against them first (call-paths.ts); the studio's bundled files may still be read.
   * Absent: no limits, as the local studio has.
   */
  readonly roots?: readonly string[];
}

export interface EngineService extends EngineApi {
  /** Cancels every run and waits for them to stop. */
  close(): Promise<void>;
}

/**
 * Float32 NHWC slice to a PNG data URL. Masks (0..n, a sum of masks above 1) are stretched
 * to [-1, 1] grey from 0 to their maximum (at least 1), and that range comes back, so the
 * page can label its colour scale.
 */
async function previewPng(data: Float32Array, h: number, w: number, c: number, mask: boolean): Promise<{ png: string; range?: { min: number; max: number } }> {
  let pixels = data;
  let max = 1;
  if (mask) {
    for (const x of data) if (x > max) max = x;
    pixels = data.map((x) => (x / max) * 2 - 1);
  }
  const png = await encodePng(pixels, w, h, c as 1 | 3);
  return { png: `data:image/png;base64,${png.toString('base64')}`, ...(mask ? { range: { min: 0, max } } : {}) };
}

/**
 * Where an untitled project is proposed to go: the user's Documents when there is one, else
 * home; never the folder the studio runs from, which may be its install folder.
 */
function documentsDir(): string {
  const home = homedir();
  const docs = join(home, 'Documents');
  return existsSync(docs) ? docs : home;
}

/** The guard for `roots`, resolved once; the bundled demos and presets stay readable. */
async function rootGuard(roots: readonly string[], bundled: readonly string[]): Promise<PathGuard> {
  const real = await resolveRoots(roots);
  const readOnly = await Promise.all(bundled.map((d) => realPathOf(resolve(d))));
  return createPathGuard(real, readOnly);
}

export function createEngineService(opts: EngineServiceOptions): EngineService {
  const state = createStateFiles(opts.stateDir);
  const bundledPresets = opts.bundledPresetsDir ?? resolve(dirname(opts.demoPath), '..', 'presets');
  const library = createPresetLibrary({ user: join(opts.stateDir, 'presets'), bundled: bundledPresets });
  const listeners = new Set<(e: RunEvent) => void>();
  const runs = new Map<string, { abort: AbortController; done: Promise<void> }>();
  // One backend for the engine's lifetime; onnxruntime does the work on CPUs.
  const startEngine = sharedInferenceEngine();
  const jobs = createJobJournal();
  const emit = (e: RunEvent) => {
    jobs.record(e);
    for (const l of listeners) l(e);
  };
  let guarding: Promise<PathGuard> | undefined;
  const guard = () => (opts.roots ? (guarding ??= rootGuard(opts.roots, [dirname(opts.demoPath), bundledPresets])) : undefined);
  const training = createTrainingService(emit);

  async function execute(runId: string, req: RunRequest, signal: AbortSignal): Promise<void> {
    const previews = req.previews ?? 4;
    try {
      const engine = await startEngine();
      const graph = expandPresetNodes(req.graph).graph;
      // Image outputs with a Folder write their images there, as the node promises.
      const folders = await outputFolders(graph, req.baseDir);
      const notWritten = new Set<string>();
      const onBatch = async (batch: Batch, ctx: RunContext) => {
        const { outputs } = ctx;
        for (const w of (await folders?.write(batch, ctx)) ?? [])
          for (const p of w.problems)
            if (!notWritten.has(`${w.node}\u0000${p.reason}`)) {
              notWritten.add(`${w.node}\u0000${p.reason}`);
              emit({ type: 'warning', runId, node: w.node, message: `not written to ${folders!.folders.get(w.node)}: ${p.path}: ${p.reason}` });
            }
        // The inputs are shown beside the outputs at the size of the first image made from them.
        const first = outputs.map((o) => batch.values.get(o.key)).find((v) => v && v.shape[3] === 3);
        for (const [j, item] of batch.items.entries()) {
          if (item.index >= previews) continue;
          const file = Object.values(item.names)[0];
          for (const o of outputs) {
            const v = batch.values.get(o.key);
            if (!v || o.group !== 'sink') continue;
            const [, h, w, c] = v.shape as [number, number, number, number];
            const size = h * w * c;
            const shown = await previewPng(v.data.subarray(j * size, (j + 1) * size), h, w, c, o.kind === 'mask');
            emit({ type: 'preview', runId, node: o.key, index: item.index, ...shown, ...(file ? { file } : {}) });
          }
          if (!first) continue;
          for (const [node, path] of Object.entries(item.files)) {
            const image = await readImage(path, first.shape[1]!).catch(() => null);
            if (!image) continue;
            const shown = await previewPng(image.data, first.shape[1]!, first.shape[1]!, 3, false);
            emit({ type: 'preview', runId, node, index: item.index, ...shown, file: item.names[node] ?? '' });
          }
        }
      };
      const result = await runGraph(
        graph,
        {
          ...(folders ? { exclude: folders.exclude, screen: (items, listings) => folders.screen(items, listings) } : {}),
          baseDir: req.baseDir,
          engine,
          seed: req.seed ?? 0,
          count: req.count ?? 4,
          batchSize: req.batchSize ?? 4,
          signal,
          onProgress: (p) => emit({ type: 'progress', runId, done: p.done, total: p.total }),
          onWarning: (w) => emit({ type: 'warning', runId, node: w.node, message: w.message }),
        },
        onBatch,
      );
      emit({
        type: 'finished',
        runId,
        processed: result.processed,
        seconds: result.seconds,
        cancelled: result.cancelled,
        engine: result.engine,
        skipped: result.skipped.map((s) => `${s.file}: ${s.reason}`),
      });
    } catch (e) {
      emit({ type: 'failed', runId, message: errorText(e), node: errorNode(e) });
    }
  }

  /** A batch spread over queue workers: per-worker progress and notices travel with the progress events. */
  async function executeQueuedBatch(runId: string, req: BatchRequest & { queue: string }, signal: AbortSignal): Promise<void> {
    // Loaded only when asked: the queue client costs half a second at start.
    const { runQueuedBatchJob } = await import('./queue/batch-submit');
    let progress = { done: 0, total: 0, imagesPerSecond: 0, etaSeconds: 0, workers: [] as BatchWorkerInfo[] };
    let notice: string | undefined;
    const send = () => emit({ type: 'batch-progress', runId, ...progress, ...(notice ? { notice } : {}) });
    const { runId: _queueRun, workers: _workers, ...report } = await runQueuedBatchJob(
      { ...req, signal },
      {
        onProgress: (p) => {
          progress = { done: p.done, total: p.total, imagesPerSecond: p.imagesPerSecond, etaSeconds: p.etaSeconds, workers: [...p.workers] };
          send();
        },
        onNotice: (line) => {
          notice = line;
          send();
        },
      },
    );
    emit({ type: 'batch-finished', runId, report });
  }

  async function executeBatch(runId: string, req: BatchRequest, signal: AbortSignal): Promise<void> {
    try {
      if (req.queue !== undefined) return await executeQueuedBatch(runId, { ...req, queue: req.queue }, signal);
      const report = await runBatchJob(
        { ...req, signal },
        { startEngine, onProgress: (p) => emit({ type: 'batch-progress', runId, done: p.done, total: p.total, imagesPerSecond: p.imagesPerSecond, etaSeconds: p.etaSeconds }) },
      );
      // runBatchJob wrote the report (as it went, and at the end) to report.reportPath.
      emit({ type: 'batch-finished', runId, report });
    } catch (e) {
      emit({ type: 'batch-failed', runId, message: errorText(e), node: errorNode(e) });
    }
  }

  const start = (kind: 'run' | 'batch', subject: string | undefined, run: (runId: string, signal: AbortSignal) => Promise<void>) => {
    const runId = randomUUID();
    const abort = new AbortController();
    jobs.started(runId, kind, subject);
    const done = run(runId, abort.signal).finally(() => runs.delete(runId));
    runs.set(runId, { abort, done });
    return { runId };
  };

  const service: EngineService = {
    async info() {
      const roots = (await guard())?.roots;
      // Served to other machines, a new project is proposed inside the folders it may use.
      return { version: opts.version ?? '0.1.0', host: opts.host, nativeDialogs: false, documentsDir: roots?.[0] ?? documentsDir(), ...(roots ? { roots: [...roots] } : {}) };
    },
    async openDemo(which: DemoName = 'translation') {
      const demo = await openProject(join(dirname(opts.demoPath), DEMOS[which].file));
      // Untitled, with its image folders and weights files made absolute: Save As puts it
      // anywhere and it still runs.
      const absolute = (p: unknown) => (typeof p === 'string' && p && !isAbsolute(p) ? resolve(demo.baseDir, p) : p);
      const inputs = demo.project.graph.nodes.map((n) => (n.kind === 'image-input' ? { ...n, params: { ...n.params, path: absolute(n.params.path) } } : n));
      const graph = { ...demo.project.graph, nodes: mapWeightsPaths(inputs, (w) => resolve(demo.baseDir, w)) };
      return { ...demo, path: null, project: { ...demo.project, graph } };
    },
    async openProject(path) {
      const opened = await openProject(path);
      await state.touchRecent(opened.path!);
      return opened;
    },
    async saveProject(path, project: Project) {
      const abs = projectPath(path);
      await saveProjectFile(abs, project);
      await state.touchRecent(abs);
      return { path: abs };
    },
    async listRecent() {
      const recent = await state.recent();
      const g = await guard();
      if (!g) return recent;
      // Projects opened before the engine was served, elsewhere on its disk, are not shown.
      const inside = await Promise.all(recent.map(async (p) => g.holds(await realPathOf(p).catch(() => ''), 'read')));
      return recent.filter((_, i) => inside[i]);
    },
    saveRecovery: (record) => state.setRecovery(record),
    loadRecovery: () => state.recovery(),
    async chooseProjectPath() {
      return null; // no native dialogs here: the page asks for a path itself
    },
    async startRun(req) {
      return start('run', undefined, (id, signal) => execute(id, req, signal));
    },
    async cancelRun(runId) {
      runs.get(runId)?.abort.abort();
    },
    async choosePresetPath() {
      return null; // as chooseProjectPath: Electron's main answers this one itself
    },
    listPresets: () => library.list(),
    exportPreset: (req) => library.export(req),
    importPreset: (source) => library.import(source),
    renamePreset: (id, name) => library.rename(id, name),
    setPresetVersion: (id, part) => library.bump(id, part),
    async readProvenance(png) {
      const xmp = await readXmp(Buffer.from(png, 'base64'));
      if (xmp === undefined) throw new Error('the image carries no ModularGAN provenance (no metadata, or not an image)');
      const r = parseProvenanceXmp(xmp);
      if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
      const { graph, seed, createdAt, app, input } = r.value;
      return { graph, seed, createdAt, app, ...(input ? { input } : {}) };
    },
    async startBatch(req) {
      return start('batch', req.input, (id, signal) => executeBatch(id, req, signal));
    },
    async cancelBatch(runId) {
      runs.get(runId)?.abort.abort();
    },
    async trainingGraph(project) {
      return buildTrainingGraph(project);
    },
    async applyTrainingGraph(project, graph) {
      return applyTrainingGraph(project, graph);
    },
    async suggestMapping(columns) {
      return suggestMapping(columns);
    },
    datasetColumns: (ref, baseDir) => training.datasetColumns(ref, baseDir),
    datasetPreview: (ref, baseDir, count) => training.datasetPreview(ref, baseDir, count),
    trainingEngines: () => trainingEngineReport(),
    async startTraining(req) {
      const started = await training.startTraining(req);
      jobs.started(started.runId, 'training', resolve(req.projectPath));
      return started;
    },
    pauseTraining: (id) => training.pauseTraining(id),
    resumeTraining: (id) => training.resumeTraining(id),
    stopTraining: (id) => training.stopTraining(id),
    stopAllTraining: () => training.stopAllTraining(),
    listCheckpoints: (path) => training.listCheckpoints(path),
    loadCheckpointIntoGraph: (path, id) => training.loadCheckpointIntoGraph(path, id),
    freezeCheckpoint: (path, id, target) => training.freezeCheckpoint(path, id, target),
    async restartEngine() {
      // In the caller's own process: if this engine had died, so would the caller.
    },
    sampleNow: (path) => training.sampleNow(path),
    async openFolder(path, baseDir) {
      const abs = isAbsolute(path) ? resolve(path) : resolve(baseDir, path);
      const exists = await stat(abs).then(
        (s) => s.isDirectory(),
        () => false,
      );
      // An engine cannot show a window: Electron's main answers this call itself (its shell).
      return { path: abs, exists, opened: false };
    },
    async listFolder(path) {
      return listFolder(path, { guard: await guard(), home: documentsDir() });
    },
    async listJobs() {
      return jobs.list();
    },
    onRunEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      // A training stops with a checkpoint, so quitting loses no work.
      await training.close();
      for (const r of runs.values()) r.abort.abort();
      await Promise.all([...runs.values()].map((r) => r.done));
    },
  };
  if (!opts.roots) return service;
  // Served with roots: every call's paths are checked before it runs.
  for (const m of API_METHODS) {
    const call = service[m] as (...a: unknown[]) => Promise<unknown>;
    (service as unknown as Record<ApiMethod, unknown>)[m] = async (...params: unknown[]) => {
      await checkCallPaths((await guard())!, m, params);
      return call.apply(service, params);
    };
  }
  return service;
}
