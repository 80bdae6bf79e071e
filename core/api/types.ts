// The one typed service interface every front end uses: the Electron window (through the
// preload and IPC into the engine process), the browser (through the web host's HTTP and
// WebSocket), and tests (in process). Browser-safe: types only, no Node.

import type { Graph } from '../graph/graph';
import type { Project } from '../graph/format/project';
import type { Preset } from '../graph/format/preset';
import type { SuggestedGroup } from '../graph/attribute-mapping';

/** A project's dataset entry (the `datasets` section). */
export type DatasetRefInfo = Project['datasets'][number];

export interface EngineInfo {
  readonly version: string;
  /** Which front end hosts the engine: native dialogs exist only in Electron. */
  readonly host: 'electron' | 'web' | 'test';
  readonly nativeDialogs: boolean;
  /** The folder an untitled project is proposed to be saved in (the user's documents, or home). */
  readonly documentsDir?: string;
}

export interface OpenedProject {
  /** null for an untitled document (the bundled demo opens untitled so Save never overwrites it). */
  readonly path: string | null;
  readonly project: Project;
  /** Folder that relative paths in the graph resolve against when it runs. */
  readonly baseDir: string;
  /** e.g. "upgraded from version 1" */
  readonly notes: readonly string[];
}

/** Unsaved work written by the autosave, offered back after a crash. */
export interface RecoveryRecord {
  readonly path: string | null;
  readonly baseDir: string;
  readonly project: Project;
  readonly savedAt: string;
}

export interface RunRequest {
  readonly graph: Graph;
  readonly baseDir: string;
  readonly seed?: number;
  /** Items to make when the graph has no image input. */
  readonly count?: number;
  readonly batchSize?: number;
  /** How many items per output come back as preview images. */
  readonly previews?: number;
}

export type RunEvent =
  | { readonly type: 'progress'; readonly runId: string; readonly done: number; readonly total: number }
  | {
      readonly type: 'preview';
      readonly runId: string;
      /** The image output or mask preview node. */
      readonly node: string;
      readonly index: number;
      /** data:image/png;base64,… */
      readonly png: string;
      /** The input file the item came from, relative to its folder, when there is one. */
      readonly file?: string;
      /** A mask's values run from min to max: what the grey levels of the PNG stand for. */
      readonly range?: { readonly min: number; readonly max: number };
    }
  /** The run works, but what it makes may mislead: e.g. a module trained at another size, or on other images. */
  | { readonly type: 'warning'; readonly runId: string; readonly node: string; readonly message: string }
  | {
      readonly type: 'finished';
      readonly runId: string;
      readonly processed: number;
      readonly seconds: number;
      readonly cancelled: boolean;
      readonly engine: string;
      readonly skipped: readonly string[];
    }
  | { readonly type: 'failed'; readonly runId: string; readonly message: string; /** the node at fault, when known */ readonly node?: string }
  | BatchEvent
  | TrainingEvent
  | EngineEvent;

/**
 * The engine process stopped without being asked to (out of memory, a native crash, a kill).
 * The host that ran it (Electron main, the web host) reports it; the page keeps the graph.
 */
export interface EngineExitInfo {
  /** Which process, e.g. "engine process (pid 4242)". */
  readonly process: string;
  readonly code: number | null;
  readonly signal: string | null;
  /** What the host was told about it, when it was told anything (Electron: "oom", "crashed", "killed"). */
  readonly reason?: string;
  /** What it was doing: runs, batches, trainings and calls in flight. */
  readonly running: readonly string[];
  /** All of the above in one sentence, for the user. */
  readonly message: string;
}

/** Engine life events travel with run events; they belong to no run. */
export type EngineEvent = ({ readonly type: 'engine-exited' } & EngineExitInfo) | { readonly type: 'engine-restarted' };

/** A preset in the studio's library (the palette's Presets section). */
export interface PresetEntry {
  /** Its folder in the library: what rename and version calls name. */
  readonly id: string;
  /** 'user': imported or exported here (can be renamed); 'bundled': shipped in assets/presets. */
  readonly source: 'user' | 'bundled';
  /** The document, module weights paths made absolute so it runs from any project. */
  readonly preset: Preset;
}

export interface ExportPresetRequest {
  readonly graph: Graph;
  readonly layout?: Readonly<Record<string, { x: number; y: number }>>;
  /** Where relative weights paths in the graph resolve. */
  readonly baseDir: string;
  /** The selection; the whole graph when absent. */
  readonly nodes?: readonly string[];
  readonly name: string;
  readonly description?: string;
  readonly params: readonly { node: string; param: string; name?: string }[];
  /** Bundle the module weights files (only into a .mgpreset file). */
  readonly withWeights: boolean;
  /** Also write it here (.mgpreset bundle or .mgpreset.json document); it always goes into the library. */
  readonly path?: string;
}

/** What importPreset reads: a file on the engine's machine, or the file's bytes (base64). */
export type PresetSource = { readonly path: string } | { readonly bytes: string };

/** What an output PNG says about how it was made. */
export interface ProvenanceInfo {
  readonly graph: Graph;
  readonly seed: number;
  readonly createdAt: string;
  readonly app: string;
  readonly input?: string;
}

export interface BatchRequest {
  readonly graph: Graph;
  readonly baseDir: string;
  readonly input: string;
  readonly output: string;
  readonly recursive?: boolean;
  readonly glob?: string;
  readonly skipExisting?: boolean;
  readonly stopOnError?: boolean;
  readonly overwrite?: boolean;
  readonly seed?: number;
  readonly batchSize?: number;
  /** Spread the batch over queue workers (`modulargan worker`) through this Redis: redis://HOST:PORT[/DB]. */
  readonly queue?: string;
  /** With a queue: files per queued share (default 4 batches). */
  readonly jobSize?: number;
}

/** One queue worker's part in a batch spread over a queue: images done, shares finished and running. */
export interface BatchWorkerInfo {
  readonly worker: string;
  readonly done: number;
  readonly shares: number;
  readonly running: number;
  readonly imagesPerSecond: number;
}

/** The end of a batch: what was done, and every file skipped or not written, with the reason. */
export interface BatchReportInfo {
  readonly input: string;
  readonly output: string;
  readonly finished: boolean;
  readonly cancelled: boolean;
  readonly processed: number;
  readonly alreadyDone: number;
  readonly written: number;
  readonly skipped: readonly { readonly file: string; readonly reason: string }[];
  readonly failed: readonly { readonly path: string; readonly reason: string }[];
  readonly engine: string;
  readonly seconds: number;
  readonly imagesPerSecond: number;
  /** The report as JSON, written into the output folder as the run goes. */
  readonly reportPath: string;
  /** Why the run stopped before the end other than being cancelled (a full or read-only disk). */
  readonly stoppedBy?: string;
  /** Why the report file could not be written. */
  readonly reportError?: string;
}

/** Batch events travel with run events; `runId` is the batch's id. */
export type BatchEvent =
  | {
      readonly type: 'batch-progress';
      readonly runId: string;
      readonly done: number;
      readonly total: number;
      readonly imagesPerSecond: number;
      readonly etaSeconds: number;
      /** With a queue: each worker's part so far. */
      readonly workers?: readonly BatchWorkerInfo[];
      /** With a queue: the latest thing to know (Redis lost and back, no worker yet). */
      readonly notice?: string;
    }
  | { readonly type: 'batch-finished'; readonly runId: string; readonly report: BatchReportInfo }
  | { readonly type: 'batch-failed'; readonly runId: string; readonly message: string; readonly node?: string };

/** What startTraining trains: a saved project file (its run folder is "<project>.train" beside it). */
export interface TrainingRequest {
  readonly projectPath: string;
  /** Overrides training.iterations. */
  readonly iterations?: number;
  /** Continue from the latest checkpoint, or from the named one ("iter-000120"). */
  readonly resume?: string;
  /** Discard an earlier run in the run folder. */
  readonly restart?: boolean;
}

/** A checkpoint in a project's run folder. */
export interface CheckpointInfo {
  /** Its folder name, e.g. "iter-000120": what resume and loadCheckpointIntoGraph name. */
  readonly id: string;
  readonly iteration: number;
  readonly createdAt: string;
  /** Mean losses over the iterations before it. */
  readonly losses: Readonly<Record<string, number>>;
  readonly best: boolean;
  readonly path: string;
}

/** A few items of a dataset, as the dataset panel previews them. */
export interface DatasetPreview {
  readonly title: string;
  readonly groups: readonly { readonly name: string; readonly kind: 'onehot' | 'binary'; readonly values?: readonly string[] }[];
  /** Each item's image (data URL) and its label per group. */
  readonly samples: readonly { readonly png: string; readonly labels: Readonly<Record<string, string>> }[];
  readonly notes: readonly string[];
}

/** Events of a training run; `runId` is the training's id. */
export type TrainingEvent =
  | {
      readonly type: 'training-progress';
      readonly runId: string;
      /** Iterations completed. */
      readonly iteration: number;
      readonly total: number;
      readonly iterationsPerSecond: number;
      readonly etaSeconds: number;
      readonly lr: number;
      /** This iteration's loss terms (d_adv, d_gp, ..., g_total on G iterations). */
      readonly losses: Readonly<Record<string, number>>;
    }
  | { readonly type: 'training-sample'; readonly runId: string; readonly iteration: number; readonly png: string }
  | { readonly type: 'training-checkpoint'; readonly runId: string; readonly checkpoint: CheckpointInfo }
  | { readonly type: 'training-state'; readonly runId: string; readonly state: 'running' | 'paused' | 'stopping' }
  | {
      readonly type: 'training-finished';
      readonly runId: string;
      /** done: all iterations; stopped: stopped by the user (a checkpoint was written). */
      readonly status: 'done' | 'stopped' | 'non-finite';
      readonly completed: number;
      readonly message?: string;
      readonly lastCheckpoint?: string;
    }
  | { readonly type: 'training-failed'; readonly runId: string; readonly message: string }
  /** What the trainer tells the user on the way: dataset notes, skipped files, a memory warning, where it resumed. */
  | { readonly type: 'training-note'; readonly runId: string; readonly message: string };

/** A sample grid made on request ("Sample now"). */
export interface SampleInfo {
  /** Iterations its weights had trained for. */
  readonly iteration: number;
  /** data:image/png;base64,… */
  readonly png: string;
  /** 'training': the run in memory; 'checkpoint': its latest checkpoint; 'untrained': no checkpoint yet. */
  readonly source: 'training' | 'checkpoint' | 'untrained';
}

/** What openFolder found and did. */
export interface FolderInfo {
  /** The folder, absolute, on the machine running the engine. */
  readonly path: string;
  readonly exists: boolean;
  /**
   * Shown in the system's file manager: only Electron's main process can; a browser cannot
   * open local folders, so there the page shows the path to copy.
   */
  readonly opened: boolean;
}

/** The engine's operations. Every method may reject with an Error whose message is for the user. */
export interface EngineApi {
  info(): Promise<EngineInfo>;
  /** A bundled demo project with trained modules, ready to run, as an untitled project (default: translation). */
  openDemo(which?: DemoName): Promise<OpenedProject>;
  openProject(path: string): Promise<OpenedProject>;
  /** Saves atomically (the previous file is kept as .bak); returns the absolute path. */
  saveProject(path: string, project: Project): Promise<{ path: string }>;
  listRecent(): Promise<string[]>;
  /** null clears the recovery file (after a save, or when the user discards it). */
  saveRecovery(record: RecoveryRecord | null): Promise<void>;
  loadRecovery(): Promise<RecoveryRecord | null>;
  /** A native file dialog; null when cancelled or when the host has none (the page asks itself). */
  chooseProjectPath(mode: 'open' | 'save', suggested: string | null): Promise<string | null>;
  startRun(request: RunRequest): Promise<{ runId: string }>;
  cancelRun(runId: string): Promise<void>;
  /** A native dialog for a preset file to import; null when cancelled or when the host has none. */
  choosePresetPath(): Promise<string | null>;
  /** The preset library: the state folder's presets, then the bundled ones. */
  listPresets(): Promise<PresetEntry[]>;
  /** Makes a preset of a graph or selection, puts it in the library (and at `path`, if given). */
  exportPreset(request: ExportPresetRequest): Promise<{ entry: PresetEntry; path: string | null }>;
  /** Checks and unpacks a preset (bundle or document) into the library; refusals say why. */
  importPreset(source: PresetSource): Promise<PresetEntry>;
  /** Renames a library preset (its document is rewritten atomically; patch version bumped). */
  renamePreset(id: string, name: string): Promise<PresetEntry>;
  setPresetVersion(id: string, part: 'major' | 'minor' | 'patch'): Promise<PresetEntry>;
  /** The graph an output PNG (bytes in base64) was made by, or an error saying why there is none. */
  readProvenance(png: string): Promise<ProvenanceInfo>;
  /** Runs a graph over a folder; batch events report progress and the final report. */
  startBatch(request: BatchRequest): Promise<{ runId: string }>;
  cancelBatch(runId: string): Promise<void>;
  /** The training-time graph of a project (data, modules, D per transformer, loss nodes). */
  trainingGraph(project: Project): Promise<Graph>;
  /** The project with edits of its training graph (loss weights, D, dataset, module params) applied. */
  applyTrainingGraph(project: Project, graph: Graph): Promise<Project>;
  /** The attribute columns a dataset offers (CelebA's attribute list, a CSV's header, a built-in set's groups). */
  datasetColumns(dataset: DatasetRefInfo, baseDir: string): Promise<string[]>;
  datasetPreview(dataset: DatasetRefInfo, baseDir: string, count: number): Promise<DatasetPreview>;
  /** Suggested attribute groups (one per transformer) for a dataset's columns. */
  suggestMapping(columns: readonly string[]): Promise<SuggestedGroup[]>;
  /** Starts joint training in the engine; training events report it. One training at a time. */
  startTraining(request: TrainingRequest): Promise<{ runId: string }>;
  /** Pauses between iterations; the model stays in memory. */
  pauseTraining(runId: string): Promise<void>;
  resumeTraining(runId: string): Promise<void>;
  /** Stops after the current iteration, writing a checkpoint first; resolves once it is written. */
  stopTraining(runId: string): Promise<void>;
  /** Stops every training with a checkpoint (before the studio quits). */
  stopAllTraining(): Promise<void>;
  listCheckpoints(projectPath: string): Promise<CheckpointInfo[]>;
  /** The project's graph with each module's weights pointing at the checkpoint's .mgw files. */
  loadCheckpointIntoGraph(projectPath: string, checkpointId: string): Promise<Graph>;
  /**
   * For a new project at `targetPath` that builds on a checkpoint: copies the checkpoint's
   * weights files into "<target>.frozen/" beside it (pruning the original run's checkpoints
   * cannot delete them there) and returns the project's graph with each module's weights
   * pointing at its copy, relative to the new project.
   */
  freezeCheckpoint(projectPath: string, checkpointId: string, targetPath: string): Promise<Graph>;
  /**
   * Starts a fresh engine process after the last one died; answered by the host that runs it
   * (an engine in the caller's own process has nothing to restart).
   */
  restartEngine(): Promise<void>;
  /**
   * A sample grid of a project's training now: of the run in memory when the project is
   * training here (between two iterations, also written to its samples folder), else of its
   * run's latest checkpoint, else of its untrained model; so there is a picture at once.
   */
  sampleNow(projectPath: string): Promise<SampleInfo>;
  /** Opens a folder (e.g. an image output's) in the file manager where the host can; `baseDir` resolves a relative path. */
  openFolder(path: string, baseDir: string): Promise<FolderInfo>;
  /** Run events of every run; returns the unsubscribe function. */
  onRunEvent(listener: (e: RunEvent) => void): () => void;
}

/** The bundled demos, by name: what each shows and its file beside the main demo. */
export const DEMOS = {
  translation: { title: 'Translation demo: synthetic faces (E → hair → smile → glasses → R)', file: 'demo.mgproj.json' },
  generation: { title: 'Generation demo: ColorMNIST (G → colour → style → background → R)', file: 'generation.mgproj.json' },
} as const;
export type DemoName = keyof typeof DEMOS;

/** Commands from native menus (Electron) that the editor carries out. */
export const MENU_COMMANDS = ['new', 'open', 'save', 'saveAs', 'undo', 'redo', 'run', 'layout', 'openRecent', 'openDemo'] as const;
export type MenuCommand = (typeof MENU_COMMANDS)[number];

/** What the page sees as `window.modulargan`: the engine API plus native menu commands. */
export interface StudioBridge extends EngineApi {
  onMenuCommand?(listener: (command: MenuCommand, arg?: string) => void): () => void;
}

/** Methods that are request/response calls (onRunEvent is a subscription, not a call). */
export type ApiMethod = Exclude<keyof EngineApi, 'onRunEvent'>;
