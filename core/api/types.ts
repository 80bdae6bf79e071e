// The TypeScript side of the contract, derived from its zod schemas (schemas.ts): one
// declaration per payload, so a field added to a schema is in its type at once and a type
// cannot promise what the schema does not check. EngineApi is a mapped type over the method
// map, API_SCHEMAS. Browser-safe: types only, no Node.

import type { z } from 'zod';
import type {
  API_SCHEMAS,
  ApiMethod,
  batchReportSchema,
  batchRequestSchema,
  batchWorkerSchema,
  checkpointInfoSchema,
  datasetPreviewSchema,
  engineInfoSchema,
  exportPresetRequestSchema,
  folderInfoSchema,
  folderListingSchema,
  jobInfoSchema,
  openedProjectSchema,
  presetEntrySchema,
  presetSourceSchema,
  provenanceInfoSchema,
  recoveryRecordSchema,
  runEventSchema,
  runRequestSchema,
  sampleInfoSchema,
  trainingEngineInfoSchema,
  trainingRequestSchema,
} from './schemas';
import type { datasetRefSchema } from '../graph/format/schemas';
import type { EngineTarget } from './engine-target';

export type { ApiMethod };
export { DEMOS, type DemoName } from './demos';
export { TRAINING_ENGINES, type TrainingEngine, isTrainingEngine, MAX_LOCAL_PROCESSES, QUEUE_CANNOT_PAUSE } from './training-engines';

/** A project's dataset entry (the `datasets` section). */
export type DatasetRefInfo = z.output<typeof datasetRefSchema>;
export type EngineInfo = z.output<typeof engineInfoSchema>;
export type OpenedProject = z.output<typeof openedProjectSchema>;
export type RecoveryRecord = z.output<typeof recoveryRecordSchema>;
export type RunRequest = z.output<typeof runRequestSchema>;
export type PresetEntry = z.output<typeof presetEntrySchema>;
export type ExportPresetRequest = z.output<typeof exportPresetRequestSchema>;
export type PresetSource = z.output<typeof presetSourceSchema>;
export type ProvenanceInfo = z.output<typeof provenanceInfoSchema>;
export type BatchRequest = z.output<typeof batchRequestSchema>;
export type BatchWorkerInfo = z.output<typeof batchWorkerSchema>;
export type BatchReportInfo = z.output<typeof batchReportSchema>;
export type TrainingRequest = z.output<typeof trainingRequestSchema>;
export type TrainingEngineInfo = z.output<typeof trainingEngineInfoSchema>;
export type CheckpointInfo = z.output<typeof checkpointInfoSchema>;
export type DatasetPreview = z.output<typeof datasetPreviewSchema>;
export type SampleInfo = z.output<typeof sampleInfoSchema>;
export type FolderInfo = z.output<typeof folderInfoSchema>;
export type FolderListing = z.output<typeof folderListingSchema>;
export type FolderEntry = FolderListing['entries'][number];
export type JobInfo = z.output<typeof jobInfoSchema>;

/** Everything on the event channel: run, batch and training events, and the engine's life. */
export type RunEvent = z.output<typeof runEventSchema>;
/** Batch events travel with run events; `runId` is the batch's id. */
export type BatchEvent = Extract<RunEvent, { type: `batch-${string}` }>;
/** Events of a training run; `runId` is the training's id. */
export type TrainingEvent = Extract<RunEvent, { type: `training-${string}` }>;
/** Engine life events travel with run events; they belong to no run. */
export type EngineEvent = Extract<RunEvent, { type: `engine-${string}` }>;
/** The engine process stopped without being asked to: which, how, and what it was doing. */
export type EngineExitInfo = Omit<Extract<RunEvent, { type: 'engine-exited' }>, 'type'>;
/** What onRunEvent calls with each event (a subscription, the one method that is not a schema). */
export type RunEventListener = (e: RunEvent) => void;

/** A method's parameters, as its schema gives them to the engine. */
export type ApiParams<M extends ApiMethod> = z.output<(typeof API_SCHEMAS)[M]['params']>;
/** A method's result; a call that returns nothing resolves to void. */
export type ApiResult<M extends ApiMethod> = z.output<(typeof API_SCHEMAS)[M]['result']> extends undefined ? void : z.output<(typeof API_SCHEMAS)[M]['result']>;

/** The engine's operations (documented on API_SCHEMAS), and its events. Every method may reject with an Error whose message is for the user. */
export type EngineApi = { [M in keyof typeof API_SCHEMAS]: (...params: ApiParams<M>) => Promise<ApiResult<M>> } & {
  /** Run events of every run; returns the unsubscribe function. */
  onRunEvent(listener: RunEventListener): () => void;
};

/** Commands from native menus (Electron) that the editor carries out. */
export const MENU_COMMANDS = ['new', 'open', 'save', 'saveAs', 'undo', 'redo', 'run', 'layout', 'openRecent', 'openDemo'] as const;
export type MenuCommand = (typeof MENU_COMMANDS)[number];

/**
 * What the page sees as `window.modulargan`: the engine API plus native menu commands and,
 * in the studio app, the engine it uses: its own, or one on another machine (modulargan serve).
 */
export type StudioBridge = EngineApi & {
  onMenuCommand?(listener: (command: MenuCommand, arg?: string) => void): () => void;
  /** Uses the engine at `target` (null: the app's own); the page is loaded again over it. */
  connectEngine?(target: EngineTarget | null): Promise<void>;
  /** The engines connected to lately, newest first. */
  listEngines?(): Promise<EngineTarget[]>;
};
