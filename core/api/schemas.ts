// zod schemas of every payload that crosses a process boundary, checked on the receiving
// side: the web host and Electron main check requests from the page, the engine process
// checks requests from main, and clients check responses and events.

import { z } from 'zod';
import { datasetRefSchema, graphSchema } from '../graph/format/schemas';
import { projectSchema } from '../graph/format/project';
import { presetSchema } from '../graph/format/preset';
import { type ApiMethod, DEMOS, type DemoName } from './types';

const path = z.string().min(1).max(4096);

export const engineInfoSchema = z.object({ version: z.string(), host: z.enum(['electron', 'web', 'test']), nativeDialogs: z.boolean(), documentsDir: z.string().max(4096).optional() });
export const openedProjectSchema = z.object({ path: path.nullable(), project: projectSchema, baseDir: z.string(), notes: z.array(z.string()) });
export const recoveryRecordSchema = z.object({ path: path.nullable(), baseDir: z.string(), project: projectSchema, savedAt: z.string() });
export const runRequestSchema = z.object({
  graph: graphSchema,
  baseDir: z.string(),
  seed: z.number().int().min(0).optional(),
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

export const presetEntrySchema = z.object({ id: presetId, source: z.enum(['user', 'bundled']), preset: presetSchema });
export const exportPresetRequestSchema = z.object({
  graph: graphSchema,
  layout: z.record(z.string(), position).optional(),
  baseDir: z.string(),
  nodes: z.array(id).max(10_000).optional(),
  name: z.string().trim().min(1).max(200),
  description: z.string().max(10_000).optional(),
  params: z.array(z.object({ node: id, param: id, name: z.string().max(200).optional() })).max(1000),
  withWeights: z.boolean(),
  path: path.optional(),
});
/** Base64 of at most 48 MiB of file. */
const base64 = z.string().max(64 * 1024 * 1024).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
export const presetSourceSchema = z.union([z.object({ path }).strict(), z.object({ bytes: base64 }).strict()]);
export const provenanceInfoSchema = z.object({ graph: graphSchema, seed: z.number().int(), createdAt: z.string(), app: z.string(), input: z.string().optional() });
export const batchRequestSchema = z.object({
  graph: graphSchema,
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
  /** Spread over queue workers through this Redis (redis:// or rediss://, checked again by the engine). */
  queue: z.string().max(2000).regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
  jobSize: z.number().int().min(1).max(100_000).optional(),
});
/** One queue worker's part in a batch spread over a queue. */
export const batchWorkerSchema = z.object({
  worker: z.string().max(300),
  done: z.number(),
  shares: z.number(),
  running: z.number(),
  imagesPerSecond: z.number(),
});
export const batchReportSchema = z.object({
  input: z.string(),
  output: z.string(),
  finished: z.boolean(),
  cancelled: z.boolean(),
  processed: z.number(),
  alreadyDone: z.number(),
  written: z.number(),
  skipped: z.array(z.object({ file: z.string(), reason: z.string() })),
  failed: z.array(z.object({ path: z.string(), reason: z.string() })),
  engine: z.string(),
  seconds: z.number(),
  imagesPerSecond: z.number(),
  reportPath: z.string(),
  stoppedBy: z.string().optional(),
  reportError: z.string().optional(),
});

/** A checkpoint folder name: never a path. */
const checkpointId = z.string().regex(/^iter-\d{1,12}$/, 'must name a checkpoint (iter-NNNNNN)');
export const trainingRequestSchema = z.object({
  projectPath: path,
  iterations: z.number().int().min(1).max(100_000_000).optional(),
  resume: z.union([z.literal('latest'), checkpointId]).optional(),
  restart: z.boolean().optional(),
});
const losses = z.record(z.string(), z.number());
export const checkpointInfoSchema = z.object({ id: checkpointId, iteration: z.number().int().min(0), createdAt: z.string(), losses, best: z.boolean(), path: z.string() });
const groupInfo = z.object({ name: z.string(), kind: z.enum(['onehot', 'binary']), values: z.array(z.string()).optional() });
export const datasetPreviewSchema = z.object({
  title: z.string(),
  groups: z.array(groupInfo),
  samples: z.array(z.object({ png: z.string().startsWith('data:image/png;base64,'), labels: z.record(z.string(), z.string()) })),
  notes: z.array(z.string()),
});
export const suggestedGroupSchema = z.object({
  name: z.string(),
  kind: z.enum(['onehot', 'binary']),
  columns: z.record(z.string(), z.string()),
  attributes: z.union([z.object({ name: z.string(), kind: z.literal('onehot'), values: z.array(z.string()) }), z.object({ name: z.string(), kind: z.literal('binary') })]),
});

export const sampleInfoSchema = z.object({
  iteration: z.number().int().min(0),
  png: z.string().startsWith('data:image/png;base64,'),
  source: z.enum(['training', 'checkpoint', 'untrained']),
});

export const runEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('progress'), runId: z.string(), done: z.number(), total: z.number() }),
  z.object({
    type: z.literal('preview'),
    runId: z.string(),
    node: z.string(),
    index: z.number().int(),
    png: z.string().startsWith('data:image/png;base64,'),
    file: z.string().max(4096).optional(),
    range: z.object({ min: z.number(), max: z.number() }).optional(),
  }),
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
  z.object({ type: z.literal('failed'), runId: z.string(), message: z.string(), node: z.string().optional() }),
  z.object({
    type: z.literal('batch-progress'),
    runId: z.string(),
    done: z.number(),
    total: z.number(),
    imagesPerSecond: z.number(),
    etaSeconds: z.number(),
    workers: z.array(batchWorkerSchema).max(10_000).optional(),
    notice: z.string().max(2000).optional(),
  }),
  z.object({ type: z.literal('batch-finished'), runId: z.string(), report: batchReportSchema }),
  z.object({ type: z.literal('batch-failed'), runId: z.string(), message: z.string(), node: z.string().optional() }),
  z.object({
    type: z.literal('training-progress'),
    runId: z.string(),
    iteration: z.number().int(),
    total: z.number().int(),
    iterationsPerSecond: z.number(),
    etaSeconds: z.number().nullable().transform((v) => v ?? Infinity),
    lr: z.number(),
    losses,
  }),
  z.object({ type: z.literal('training-sample'), runId: z.string(), iteration: z.number().int(), png: z.string().startsWith('data:image/png;base64,') }),
  z.object({ type: z.literal('training-checkpoint'), runId: z.string(), checkpoint: checkpointInfoSchema }),
  z.object({ type: z.literal('training-state'), runId: z.string(), state: z.enum(['running', 'paused', 'stopping']) }),
  z.object({
    type: z.literal('training-finished'),
    runId: z.string(),
    status: z.enum(['done', 'stopped', 'non-finite']),
    completed: z.number().int(),
    message: z.string().optional(),
    lastCheckpoint: z.string().optional(),
  }),
  z.object({ type: z.literal('training-failed'), runId: z.string(), message: z.string() }),
  z.object({ type: z.literal('training-note'), runId: z.string(), message: z.string().max(2000) }),
  z.object({
    type: z.literal('engine-exited'),
    process: z.string(),
    code: z.number().int().nullable(),
    signal: z.string().nullable(),
    reason: z.string().optional(),
    running: z.array(z.string()),
    message: z.string(),
  }),
  z.object({ type: z.literal('engine-restarted') }),
]);

/** Parameters (as a tuple) and result of each call. */
export const API_SCHEMAS = {
  info: { params: z.tuple([]), result: engineInfoSchema },
  openDemo: { params: z.union([z.tuple([]), z.tuple([z.enum(Object.keys(DEMOS) as [DemoName, ...DemoName[]])])]), result: openedProjectSchema },
  openProject: { params: z.tuple([path]), result: openedProjectSchema },
  saveProject: { params: z.tuple([path, projectSchema]), result: z.object({ path }) },
  listRecent: { params: z.tuple([]), result: z.array(z.string()) },
  saveRecovery: { params: z.tuple([recoveryRecordSchema.nullable()]), result: z.undefined() },
  loadRecovery: { params: z.tuple([]), result: recoveryRecordSchema.nullable() },
  chooseProjectPath: { params: z.tuple([z.enum(['open', 'save']), path.nullable()]), result: path.nullable() },
  startRun: { params: z.tuple([runRequestSchema]), result: z.object({ runId: z.string() }) },
  cancelRun: { params: z.tuple([z.string()]), result: z.undefined() },
  choosePresetPath: { params: z.tuple([]), result: path.nullable() },
  listPresets: { params: z.tuple([]), result: z.array(presetEntrySchema) },
  exportPreset: { params: z.tuple([exportPresetRequestSchema]), result: z.object({ entry: presetEntrySchema, path: path.nullable() }) },
  importPreset: { params: z.tuple([presetSourceSchema]), result: presetEntrySchema },
  renamePreset: { params: z.tuple([presetId, z.string().trim().min(1).max(200)]), result: presetEntrySchema },
  setPresetVersion: { params: z.tuple([presetId, z.enum(['major', 'minor', 'patch'])]), result: presetEntrySchema },
  readProvenance: { params: z.tuple([base64.min(1)]), result: provenanceInfoSchema },
  startBatch: { params: z.tuple([batchRequestSchema]), result: z.object({ runId: z.string() }) },
  cancelBatch: { params: z.tuple([z.string()]), result: z.undefined() },
  trainingGraph: { params: z.tuple([projectSchema]), result: graphSchema },
  applyTrainingGraph: { params: z.tuple([projectSchema, graphSchema]), result: projectSchema },
  datasetColumns: { params: z.tuple([datasetRefSchema, z.string()]), result: z.array(z.string()) },
  datasetPreview: { params: z.tuple([datasetRefSchema, z.string(), z.number().int().min(1).max(32)]), result: datasetPreviewSchema },
  suggestMapping: { params: z.tuple([z.array(z.string().max(200)).max(1000)]), result: z.array(suggestedGroupSchema) },
  startTraining: { params: z.tuple([trainingRequestSchema]), result: z.object({ runId: z.string() }) },
  pauseTraining: { params: z.tuple([z.string()]), result: z.undefined() },
  resumeTraining: { params: z.tuple([z.string()]), result: z.undefined() },
  stopTraining: { params: z.tuple([z.string()]), result: z.undefined() },
  stopAllTraining: { params: z.tuple([]), result: z.undefined() },
  listCheckpoints: { params: z.tuple([path]), result: z.array(checkpointInfoSchema) },
  loadCheckpointIntoGraph: { params: z.tuple([path, checkpointId]), result: graphSchema },
  freezeCheckpoint: { params: z.tuple([path, checkpointId, path]), result: graphSchema },
  restartEngine: { params: z.tuple([]), result: z.undefined() },
  sampleNow: { params: z.tuple([path]), result: sampleInfoSchema },
  openFolder: { params: z.tuple([path, z.string().max(4096)]), result: z.object({ path, exists: z.boolean(), opened: z.boolean() }) },
} satisfies Record<ApiMethod, { params: z.ZodType; result: z.ZodType }>;

export const API_METHODS = Object.keys(API_SCHEMAS) as ApiMethod[];

export const isApiMethod = (m: unknown): m is ApiMethod => typeof m === 'string' && Object.hasOwn(API_SCHEMAS, m);

/** A call as it travels: method name and parameters. */
export const callSchema = z.object({ method: z.string().refine(isApiMethod, 'is not an engine method'), params: z.array(z.unknown()).max(8) });

/** A reply as it travels back. */
// result is optional: JSON (the web host) drops the `undefined` result of a void call.
export const replySchema = z.union([z.object({ ok: z.literal(true), result: z.unknown().optional() }), z.object({ ok: z.literal(false), error: z.string() })]);
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
