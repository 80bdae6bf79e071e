// The contract between the page and the engine, declared once: a zod schema for every
// payload that crosses a process boundary, and API_SCHEMAS, each engine method's parameters
// (a tuple) and result. The TypeScript types of the payloads and the EngineApi interface are
// derived from these (types.ts), and every transport checks what it receives with them: the
// web host and Electron main check requests from the page, the engine process checks
// requests from main, and clients check replies and events. Browser-safe: graph and zod only.

import { z } from 'zod';
import { datasetRefSchema, graphSchema } from '../graph/format/schemas';
import type { SuggestedGroup } from '../graph/attribute-mapping';
import type { Graph } from '../graph/graph';
import { projectSchema } from '../graph/format/project';
import { presetSchema } from '../graph/format/preset';
import { DEMO_NAMES } from './demos';
import { MAX_LOCAL_PROCESSES, TRAINING_ENGINES } from './training-engines';

const path = z.string().min(1).max(4096);

/**
 * core/graph's Graph, as graphSchema checks it (a loose object: fields of later versions are
 * kept). Typed as Graph so payloads carry the type the graph code works with; the assertion
 * below fails to compile if the two drift apart.
 */
const graph = graphSchema as unknown as z.ZodType<Graph>;
type Assert<T extends true> = T;
export type _GraphSchemaIsGraph = Assert<z.output<typeof graphSchema> extends Graph ? true : false>;

/** A list the engine may hand over as it keeps it (readonly); checked as any array. */
const list = <T extends z.ZodType>(item: T) => z.array(item) as unknown as z.ZodType<readonly z.output<T>[]>;

export const engineInfoSchema = z.object({
  version: z.string(),
  /** Which front end hosts the engine: native dialogs exist only in Electron. */
  host: z.enum(['electron', 'web', 'test']),
  nativeDialogs: z.boolean(),
  /** The folder an untitled project is proposed to be saved in (the user's documents, or home). */
  documentsDir: z.string().max(4096).optional(),
  /**
   * The only folders the user may read and write (modulargan serve --root), as the engine's
   * machine names them; absent: no limits (the local studio).
   */
  roots: z.array(z.string().max(4096)).max(256).optional(),
  /** The engine's address when the page uses an engine on another machine (Electron connected to modulargan serve). */
  remote: z.string().max(2000).optional(),
});
export const openedProjectSchema = z.object({
  /** null for an untitled document (the bundled demo opens untitled so Save never overwrites it). */
  path: path.nullable(),
  project: projectSchema,
  /** Folder that relative paths in the graph resolve against when it runs. */
  baseDir: z.string(),
  /** e.g. "upgraded from version 1" */
  notes: z.array(z.string()),
});
/** Unsaved work written by the autosave, offered back after a crash. */
export const recoveryRecordSchema = z.object({ path: path.nullable(), baseDir: z.string(), project: projectSchema, savedAt: z.string() });
export const runRequestSchema = z.object({
  graph,
  baseDir: z.string(),
  seed: z.number().int().min(0).optional(),
  /** Items to make when the graph has no image input. */
  count: z.number().int().min(1).max(10_000).optional(),
  batchSize: z.number().int().min(1).max(256).optional(),
  /** Previews per output: every item of a folder of ordinary size (a preview is a few kB). */
  previews: z.number().int().min(0).max(1000).optional(),
});

const id = z.string().min(1).max(200);
/** A library preset's id: one folder name, never a path. */
const presetId = z
  .string()
  .min(1)
  .max(300)
  .refine((s) => {
    const folder = s.replace(/^bundled\//, '');
    return folder !== '.' && folder !== '..' && folder !== '' && !/[\\/]/.test(folder);
  }, 'must name a preset in the library');
const position = z.object({ x: z.number(), y: z.number() });

/** A preset in the studio's library (the palette's Presets section). */
export const presetEntrySchema = z.object({
  /** Its folder in the library: what rename and version calls name. */
  id: presetId,
  /** 'user': imported or exported here (can be renamed); 'bundled': shipped in assets/presets. */
  source: z.enum(['user', 'bundled']),
  /** The document, module weights paths made absolute so it runs from any project. */
  preset: presetSchema,
});
export const exportPresetRequestSchema = z.object({
  graph,
  layout: z.record(z.string(), position).optional(),
  /** Where relative weights paths in the graph resolve. */
  baseDir: z.string(),
  /** The selection; the whole graph when absent. */
  nodes: z.array(id).max(10_000).optional(),
  name: z.string().trim().min(1).max(200),
  description: z.string().max(10_000).optional(),
  params: z.array(z.object({ node: id, param: id, name: z.string().max(200).optional() })).max(1000),
  /** Bundle the module weights files (only into a .mgpreset file). */
  withWeights: z.boolean(),
  /** Also write it here (.mgpreset bundle or .mgpreset.json document); it always goes into the library. */
  path: path.optional(),
});
/** Base64 of at most 48 MiB of file. */
const base64 = z.string().max(64 * 1024 * 1024).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
/** What importPreset reads: a file on the engine's machine, or the file's bytes (base64). */
export const presetSourceSchema = z.union([z.object({ path }).strict(), z.object({ bytes: base64 }).strict()]);
/** What an output PNG says about how it was made. */
export const provenanceInfoSchema = z.object({ graph, seed: z.number().int(), createdAt: z.string(), app: z.string(), input: z.string().optional() });
/** A queue's Redis (redis:// or rediss://, checked again by the engine), for batches and trainings spread over workers. */
export const queueUrlSchema = z.string().max(2000).regex(/^rediss?:\/\//, 'must be a redis:// URL');
/** What a queue may be called (a pool of workers may listen on its own). */
export const QUEUE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
export const batchRequestSchema = z.object({
  graph,
  baseDir: z.string(),
  input: path,
  output: path,
  recursive: z.boolean().optional(),
  glob: z.string().max(1000).optional(),
  skipExisting: z.boolean().optional(),
  stopOnError: z.boolean().optional(),
  overwrite: z.boolean().optional(),
  seed: z.number().int().min(0).optional(),
  batchSize: z.number().int().min(1).max(256).optional(),
  /** Spread over queue workers through this Redis. */
  queue: queueUrlSchema.optional(),
  jobSize: z.number().int().min(1).max(100_000).optional(),
});
/** One queue worker's part in a batch spread over a queue: images done, shares finished and running. */
export const batchWorkerSchema = z.object({
  worker: z.string().max(300),
  done: z.number(),
  shares: z.number(),
  running: z.number(),
  imagesPerSecond: z.number(),
});
/** The end of a batch: what was done, and every file skipped or not written, with the reason. */
export const batchReportSchema = z.object({
  input: z.string(),
  output: z.string(),
  finished: z.boolean(),
  cancelled: z.boolean(),
  processed: z.number(),
  alreadyDone: z.number(),
  written: z.number(),
  skipped: list(z.object({ file: z.string(), reason: z.string() })),
  failed: list(z.object({ path: z.string(), reason: z.string() })),
  engine: z.string(),
  seconds: z.number(),
  imagesPerSecond: z.number(),
  /** The report as JSON, written into the output folder as the run goes. */
  reportPath: z.string(),
  /** Why the run stopped before the end other than being cancelled (a full or read-only disk). */
  stoppedBy: z.string().optional(),
  /** Why the report file could not be written. */
  reportError: z.string().optional(),
});

/** A checkpoint folder name: never a path. */
const checkpointId = z.string().regex(/^iter-\d{1,12}$/, 'must name a checkpoint (iter-NNNNNN)');
/** What startTraining trains: a saved project file (its run folder is "<project>.train" beside it). */
export const trainingRequestSchema = z.object({
  projectPath: path,
  /** Overrides training.iterations. */
  iterations: z.number().int().min(1).max(100_000_000).optional(),
  /** Continue from the latest checkpoint, or from the named one ("iter-000120"). */
  resume: z.union([z.literal('latest'), checkpointId]).optional(),
  /** Discard an earlier run in the run folder. */
  restart: z.boolean().optional(),
  /** Who trains (default builtin): the engine itself, or PyTorch in a process of its own (trainingEngines says which are here). */
  engine: z.enum(TRAINING_ENGINES).optional(),
  /** With engine torch: data-parallel processes on the engine's machine (torchrun), e.g. one per GPU. */
  nproc: z.number().int().min(1).max(MAX_LOCAL_PROCESSES).optional(),
  /** Train on a queue worker started with --train (a GPU machine) through this Redis, instead of in the engine. */
  queue: queueUrlSchema.optional(),
  /** With queue: the training queue (default modulargan-train; a pool of workers may listen on its own). */
  queueName: z.string().regex(QUEUE_NAME, "must be 1-64 letters, digits, '.', '_' or '-'").optional(),
})
  .refine((r) => r.nproc === undefined || r.engine === 'torch', { path: ['nproc'], message: 'needs engine torch (the built-in engine trains in one process)' })
  .refine((r) => r.queueName === undefined || r.queue !== undefined, { path: ['queueName'], message: 'needs queue (the Redis the queue is on)' });
/** A training engine on the engine's machine: whether it can train here, and why not. */
export const trainingEngineInfoSchema = z.object({
  name: z.enum(TRAINING_ENGINES),
  available: z.boolean(),
  /** What trains (e.g. "PyTorch 2.5.1 in /usr/bin/python3"), or why it cannot here and what to install. */
  reason: z.string().max(2000),
  /** The most processes a run may ask for: 1 where there is no working data-parallel launcher. */
  maxProcesses: z.number().int().min(1).max(MAX_LOCAL_PROCESSES),
  /** Why its runs cannot pause; absent when they pause between iterations. */
  cannotPause: z.string().max(500).optional(),
});
const losses = z.record(z.string(), z.number());
/** A checkpoint in a project's run folder. */
export const checkpointInfoSchema = z.object({
  /** Its folder name, e.g. "iter-000120": what resume and loadCheckpointIntoGraph name. */
  id: checkpointId,
  iteration: z.number().int().min(0),
  createdAt: z.string(),
  /** Mean losses over the iterations before it. */
  losses,
  best: z.boolean(),
  path: z.string(),
});
const groupInfo = z.object({ name: z.string(), kind: z.enum(['onehot', 'binary']), values: z.array(z.string()).optional() });
/** A few items of a dataset, as the dataset panel previews them. */
export const datasetPreviewSchema = z.object({
  title: z.string(),
  groups: z.array(groupInfo),
  /** Each item's image (data URL) and its label per group. */
  samples: z.array(z.object({ png: z.string().startsWith('data:image/png;base64,'), labels: z.record(z.string(), z.string()) })),
  notes: z.array(z.string()),
});
const suggestedGroupShape = z.object({
  name: z.string(),
  kind: z.enum(['onehot', 'binary']),
  columns: z.record(z.string(), z.string()),
  attributes: z.union([z.object({ name: z.string(), kind: z.literal('onehot'), values: z.array(z.string()) }), z.object({ name: z.string(), kind: z.literal('binary') })]),
});
/** core/graph's SuggestedGroup, as checked (the assertion keeps the two together). */
export const suggestedGroupSchema = suggestedGroupShape as unknown as z.ZodType<SuggestedGroup>;
export type _SuggestedGroupSchemaFits = Assert<z.output<typeof suggestedGroupShape> extends SuggestedGroup ? true : false>;

/** A sample grid made on request ("Sample now"). */
export const sampleInfoSchema = z.object({
  /** Iterations its weights had trained for. */
  iteration: z.number().int().min(0),
  png: z.string().startsWith('data:image/png;base64,'),
  /** 'training': the run in memory; 'checkpoint': its latest checkpoint; 'untrained': no checkpoint yet. */
  source: z.enum(['training', 'checkpoint', 'untrained']),
});

/** What openFolder found and did. */
export const folderInfoSchema = z.object({
  /** The folder, absolute, on the machine running the engine. */
  path,
  exists: z.boolean(),
  /**
   * Shown in the system's file manager: only Electron's main process can; a browser cannot
   * open local folders, so there the page shows the path to copy.
   */
  opened: z.boolean(),
});

/** One entry of a folder listing: a subfolder or a file the studio can use. */
export const folderEntrySchema = z.object({
  name: z.string().max(1024),
  path,
  kind: z.enum(['folder', 'project', 'preset', 'image', 'weights', 'table']),
});
/** A folder's subfolders and the files the studio reads (projects, presets, images, weights, attribute tables). */
export const folderListingSchema = z.object({
  /** The folder listed, absolute; null for the list of roots (what the user may browse). */
  path: path.nullable(),
  /** Where "up" goes: the parent folder, or null at the top (a root, or the file system's top). */
  parent: path.nullable(),
  /** Whether `parent` null means "back to the list of roots" rather than the top of the disk. */
  rooted: z.boolean(),
  entries: z.array(folderEntrySchema).max(5000),
  /** More entries than were listed. */
  truncated: z.boolean(),
});

/**
 * Everything the engine tells as it goes: run, batch and training events (each with its
 * run's id), and the engine's own life (engine-exited, engine-restarted: they belong to no run).
 */
export const runEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('progress'), runId: z.string(), done: z.number(), total: z.number() }),
  z.object({
    type: z.literal('preview'),
    runId: z.string(),
    /** The image output or mask preview node. */
    node: z.string(),
    index: z.number().int(),
    png: z.string().startsWith('data:image/png;base64,'),
    /** The input file the item came from, relative to its folder, when there is one. */
    file: z.string().max(4096).optional(),
    /** A mask's values run from min to max: what the grey levels of the PNG stand for. */
    range: z.object({ min: z.number(), max: z.number() }).optional(),
  }),
  /** The run works, but what it makes may mislead: e.g. a module trained at another size, or on other images. */
  z.object({ type: z.literal('warning'), runId: z.string(), node: z.string(), message: z.string().max(2000) }),
  z.object({
    type: z.literal('finished'),
    runId: z.string(),
    processed: z.number(),
    seconds: z.number(),
    cancelled: z.boolean(),
    engine: z.string(),
    skipped: z.array(z.string()),
  }),
  /** node: the node at fault, when known. */
  z.object({ type: z.literal('failed'), runId: z.string(), message: z.string(), node: z.string().optional() }),
  z.object({
    type: z.literal('batch-progress'),
    runId: z.string(),
    done: z.number(),
    total: z.number(),
    imagesPerSecond: z.number(),
    etaSeconds: z.number(),
    /** With a queue: each worker's part so far. */
    workers: z.array(batchWorkerSchema).max(10_000).optional(),
    /** With a queue: the latest thing to know (Redis lost and back, no worker yet). */
    notice: z.string().max(2000).optional(),
  }),
  z.object({ type: z.literal('batch-finished'), runId: z.string(), report: batchReportSchema }),
  z.object({ type: z.literal('batch-failed'), runId: z.string(), message: z.string(), node: z.string().optional() }),
  z.object({
    type: z.literal('training-progress'),
    runId: z.string(),
    /** Iterations completed. */
    iteration: z.number().int(),
    total: z.number().int(),
    iterationsPerSecond: z.number(),
    etaSeconds: z.number().nullable().transform((v) => v ?? Infinity),
    lr: z.number(),
    /** This iteration's loss terms (d_adv, d_gp, ..., g_total on G iterations). */
    losses,
  }),
  z.object({ type: z.literal('training-sample'), runId: z.string(), iteration: z.number().int(), png: z.string().startsWith('data:image/png;base64,') }),
  z.object({ type: z.literal('training-checkpoint'), runId: z.string(), checkpoint: checkpointInfoSchema }),
  z.object({ type: z.literal('training-state'), runId: z.string(), state: z.enum(['running', 'paused', 'stopping']) }),
  z.object({
    type: z.literal('training-finished'),
    runId: z.string(),
    /** done: all iterations; stopped: stopped by the user (a checkpoint was written). */
    status: z.enum(['done', 'stopped', 'non-finite']),
    completed: z.number().int(),
    message: z.string().optional(),
    lastCheckpoint: z.string().optional(),
  }),
  z.object({ type: z.literal('training-failed'), runId: z.string(), message: z.string() }),
  /** What the trainer tells the user on the way: dataset notes, skipped files, a memory warning, where it resumed. */
  z.object({ type: z.literal('training-note'), runId: z.string(), message: z.string().max(2000) }),
  /**
   * The engine process stopped without being asked to (out of memory, a native crash, a kill).
   * The host that ran it (Electron main, the web host) reports it; the page keeps the graph.
   */
  z.object({
    type: z.literal('engine-exited'),
    /** Which process, e.g. "engine process (pid 4242)". */
    process: z.string(),
    code: z.number().int().nullable(),
    signal: z.string().nullable(),
    /** What the host was told about it, when it was told anything (Electron: "oom", "crashed", "killed"). */
    reason: z.string().optional(),
    /** What it was doing: runs, batches, trainings and calls in flight. */
    running: z.array(z.string()),
    /** All of the above in one sentence, for the user. */
    message: z.string(),
  }),
  z.object({ type: z.literal('engine-restarted') }),
  /**
   * The page's link to an engine on another machine dropped ('reconnecting': calls fail
   * meanwhile) or is back ('connected': running jobs re-attached). Said by the transport, not the engine.
   */
  z.object({ type: z.literal('engine-connection'), state: z.enum(['reconnecting', 'connected']), message: z.string().max(2000) }),
]);

/**
 * A run, batch or training the engine is running (or ended a moment ago), with the latest
 * event of each kind it sent: what a page that reconnects replays to catch up.
 */
export const jobInfoSchema = z.object({
  runId: z.string(),
  kind: z.enum(['run', 'batch', 'training']),
  running: z.boolean(),
  /** A training's project file; a batch's input folder. */
  subject: z.string().max(4096).optional(),
  events: z.array(runEventSchema).max(32),
});

/** The kind of job an event belongs to, by its type's prefix (training-*, batch-*, else a run). */
export const jobKindOf = (type: string): z.output<typeof jobInfoSchema>['kind'] =>
  type.startsWith('training-') ? 'training' : type.startsWith('batch-') ? 'batch' : 'run';

/**
 * The engine's methods: each one's parameters (a tuple) and result, declared once. EngineApi
 * (types.ts) is derived from this map; the client and the dispatcher (dispatch.ts) go through
 * it; every method may reject with an Error whose message is for the user.
 */
export const API_SCHEMAS = {
  info: { params: z.tuple([]), result: engineInfoSchema },
  /** A bundled demo project with trained modules, ready to run, as an untitled project (default: translation). */
  openDemo: { params: z.union([z.tuple([]), z.tuple([z.enum(DEMO_NAMES)])]), result: openedProjectSchema },
  openProject: { params: z.tuple([path]), result: openedProjectSchema },
  /** Saves atomically (the previous file is kept as .bak); returns the absolute path. */
  saveProject: { params: z.tuple([path, projectSchema]), result: z.object({ path }) },
  listRecent: { params: z.tuple([]), result: z.array(z.string()) },
  /** null clears the recovery file (after a save, or when the user discards it). */
  saveRecovery: { params: z.tuple([recoveryRecordSchema.nullable()]), result: z.undefined() },
  loadRecovery: { params: z.tuple([]), result: recoveryRecordSchema.nullable() },
  /** A native file dialog; null when cancelled or when the host has none (the page asks itself). */
  chooseProjectPath: { params: z.tuple([z.enum(['open', 'save']), path.nullable()]), result: path.nullable() },
  startRun: { params: z.tuple([runRequestSchema]), result: z.object({ runId: z.string() }) },
  cancelRun: { params: z.tuple([z.string()]), result: z.undefined() },
  /** A native dialog for a preset file to import; null when cancelled or when the host has none. */
  choosePresetPath: { params: z.tuple([]), result: path.nullable() },
  /** The preset library: the state folder's presets, then the bundled ones. */
  listPresets: { params: z.tuple([]), result: z.array(presetEntrySchema) },
  /** Makes a preset of a graph or selection, puts it in the library (and at `path`, if given). */
  exportPreset: { params: z.tuple([exportPresetRequestSchema]), result: z.object({ entry: presetEntrySchema, path: path.nullable() }) },
  /** Checks and unpacks a preset (bundle or document) into the library; refusals say why. */
  importPreset: { params: z.tuple([presetSourceSchema]), result: presetEntrySchema },
  /** Renames a library preset (its document is rewritten atomically; patch version bumped). */
  renamePreset: { params: z.tuple([presetId, z.string().trim().min(1).max(200)]), result: presetEntrySchema },
  setPresetVersion: { params: z.tuple([presetId, z.enum(['major', 'minor', 'patch'])]), result: presetEntrySchema },
  /** The graph an output PNG (bytes in base64) was made by, or an error saying why there is none. */
  readProvenance: { params: z.tuple([base64.min(1)]), result: provenanceInfoSchema },
  /** Runs a graph over a folder; batch events report progress and the final report. */
  startBatch: { params: z.tuple([batchRequestSchema]), result: z.object({ runId: z.string() }) },
  cancelBatch: { params: z.tuple([z.string()]), result: z.undefined() },
  /** The training-time graph of a project (data, modules, D per transformer, loss nodes). */
  trainingGraph: { params: z.tuple([projectSchema]), result: graph },
  /** The project with edits of its training graph (loss weights, D, dataset, module params) applied. */
  applyTrainingGraph: { params: z.tuple([projectSchema, graph]), result: projectSchema },
  /** The attribute columns a dataset offers (CelebA's attribute list, a CSV's header, a built-in set's groups). */
  datasetColumns: { params: z.tuple([datasetRefSchema, z.string()]), result: z.array(z.string()) },
  datasetPreview: { params: z.tuple([datasetRefSchema, z.string(), z.number().int().min(1).max(32)]), result: datasetPreviewSchema },
  /** Suggested attribute groups (one per transformer) for a dataset's columns. */
  suggestMapping: { params: z.tuple([z.array(z.string().max(200)).max(1000)]), result: z.array(suggestedGroupSchema) },
  /** The training engines (TRAINING_ENGINES), each with whether it can train on the engine's machine and why not. */
  trainingEngines: { params: z.tuple([]), result: z.array(trainingEngineInfoSchema) },
  /** Starts joint training in the engine; training events report it. One training at a time. */
  startTraining: { params: z.tuple([trainingRequestSchema]), result: z.object({ runId: z.string() }) },
  /** Pauses between iterations; the model stays in memory. */
  pauseTraining: { params: z.tuple([z.string()]), result: z.undefined() },
  resumeTraining: { params: z.tuple([z.string()]), result: z.undefined() },
  /** Stops after the current iteration, writing a checkpoint first; resolves once it is written. */
  stopTraining: { params: z.tuple([z.string()]), result: z.undefined() },
  /** Stops every training with a checkpoint (before the studio quits). */
  stopAllTraining: { params: z.tuple([]), result: z.undefined() },
  listCheckpoints: { params: z.tuple([path]), result: z.array(checkpointInfoSchema) },
  /** The project's graph with each module's weights pointing at the checkpoint's .mgw files. */
  loadCheckpointIntoGraph: { params: z.tuple([path, checkpointId]), result: graph },
  /**
   * For a new project at `targetPath` that builds on a checkpoint: copies the checkpoint's
   * weights files into "<target>.frozen/" beside it (pruning the original run's checkpoints
   * cannot delete them there) and returns the project's graph with each module's weights
   * pointing at its copy, relative to the new project.
   */
  freezeCheckpoint: { params: z.tuple([path, checkpointId, path]), result: graph },
  /**
   * Starts a fresh engine process after the last one died; answered by the host that runs it
   * (an engine in the caller's own process has nothing to restart).
   */
  restartEngine: { params: z.tuple([]), result: z.undefined() },
  /**
   * A sample grid of a project's training now: of the run in memory when the project is
   * training here (between two iterations, also written to its samples folder), else of its
   * run's latest checkpoint, else of its untrained model; so there is a picture at once.
   */
  sampleNow: { params: z.tuple([path]), result: sampleInfoSchema },
  /** Opens a folder (e.g. an image output's) in the file manager where the host can; `baseDir` resolves a relative path. */
  openFolder: { params: z.tuple([path, z.string().max(4096)]), result: folderInfoSchema },
  /** A folder's subfolders and studio files, for the page's folder browser; null: where to start (the roots, or home). */
  listFolder: { params: z.tuple([path.nullable()]), result: folderListingSchema },
  /** The runs, batches and trainings running (and the last few ended), each with its latest events: a reconnecting page catches up with these. */
  listJobs: { params: z.tuple([]), result: z.array(jobInfoSchema) },
} satisfies Record<string, { params: z.ZodType<readonly unknown[]>; result: z.ZodType }>;

/** Methods that are request/response calls (onRunEvent, a subscription, is not one). */
export type ApiMethod = keyof typeof API_SCHEMAS;

export const API_METHODS = Object.keys(API_SCHEMAS) as ApiMethod[];

export const isApiMethod = (m: unknown): m is ApiMethod => typeof m === 'string' && Object.hasOwn(API_SCHEMAS, m);

/** A call as it travels: method name and parameters. */
export const callSchema = z.object({ method: z.string().refine(isApiMethod, 'is not an engine method'), params: z.array(z.unknown()).max(8) });

/** A reply as it travels back. */
// result is optional: JSON (the web host) drops the `undefined` result of a void call.
// refused: the call asked for something it may not have (a path outside the roots), as
// opposed to failing at its work; the web host answers such a reply with 403.
export const replySchema = z.union([
  z.object({ ok: z.literal(true), result: z.unknown().optional() }),
  z.object({ ok: z.literal(false), error: z.string(), refused: z.literal(true).optional() }),
]);
export type Reply = z.infer<typeof replySchema>;

/** A payload that failed its schema: says where, in words. */
export class PayloadError extends Error {}

/** The first few issues of a refused payload, each with the field it is about. */
export function describeIssues(e: z.ZodError): string {
  return e.issues
    .slice(0, 3)
    .map((i) => {
      // zod words an absent field as "expected string, received undefined" and a void
      // result as "expected undefined"; say both plainly.
      let message = i.message;
      if (i.code === 'invalid_type' && i.expected === 'undefined') message = 'expected no value';
      else if (i.code === 'invalid_type' && message.endsWith('received undefined')) message = `missing (expected ${i.expected})`;
      return `${i.path.length ? i.path.join('.') : 'payload'}: ${message}`;
    })
    .join('; ');
}

/** Checks a call's parameters; returns them typed, or throws PayloadError. */
export function checkParams(method: unknown, params: unknown): { method: ApiMethod; params: unknown[] } {
  const call = callSchema.safeParse({ method, params });
  if (!call.success) throw new PayloadError(`refused call: ${describeIssues(call.error)}`);
  const m = call.data.method as ApiMethod;
  const p = API_SCHEMAS[m].params.safeParse(call.data.params);
  if (!p.success) throw new PayloadError(`refused ${m} call: ${describeIssues(p.error)}`);
  return { method: m, params: p.data as unknown[] };
}

export function checkResult(method: ApiMethod, result: unknown): unknown {
  const r = API_SCHEMAS[method].result.safeParse(result);
  if (!r.success) throw new PayloadError(`refused ${method} reply: ${describeIssues(r.error)}`);
  return r.data;
}

export function checkRunEvent(e: unknown): z.infer<typeof runEventSchema> {
  const r = runEventSchema.safeParse(e);
  if (!r.success) throw new PayloadError(`refused run event: ${describeIssues(r.error)}`);
  return r.data;
}
