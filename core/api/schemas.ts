// zod schemas of every payload that crosses a process boundary, checked on the receiving
// side: the web host and Electron main check requests from the page, the engine process
// checks requests from main, and clients check responses and events.

import { z } from 'zod';
import { graphSchema } from '../graph/format/schemas';
import { projectSchema } from '../graph/format/project';
import type { ApiMethod } from './types';

const path = z.string().min(1).max(4096);

export const engineInfoSchema = z.object({ version: z.string(), host: z.enum(['electron', 'web', 'test']), nativeDialogs: z.boolean() });
export const openedProjectSchema = z.object({ path: path.nullable(), project: projectSchema, baseDir: z.string(), notes: z.array(z.string()) });
export const recoveryRecordSchema = z.object({ path: path.nullable(), baseDir: z.string(), project: projectSchema, savedAt: z.string() });
export const runRequestSchema = z.object({
  graph: graphSchema,
  baseDir: z.string(),
  seed: z.number().int().min(0).optional(),
  count: z.number().int().min(1).max(10_000).optional(),
  batchSize: z.number().int().min(1).max(256).optional(),
  previews: z.number().int().min(0).max(64).optional(),
});

export const runEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('progress'), runId: z.string(), done: z.number(), total: z.number() }),
  z.object({ type: z.literal('preview'), runId: z.string(), node: z.string(), index: z.number().int(), png: z.string().startsWith('data:image/png;base64,') }),
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
]);

/** Parameters (as a tuple) and result of each call. */
export const API_SCHEMAS = {
  info: { params: z.tuple([]), result: engineInfoSchema },
  openDemo: { params: z.tuple([]), result: openedProjectSchema },
  openProject: { params: z.tuple([path]), result: openedProjectSchema },
  saveProject: { params: z.tuple([path, projectSchema]), result: z.object({ path }) },
  listRecent: { params: z.tuple([]), result: z.array(z.string()) },
  saveRecovery: { params: z.tuple([recoveryRecordSchema.nullable()]), result: z.undefined() },
  loadRecovery: { params: z.tuple([]), result: recoveryRecordSchema.nullable() },
  chooseProjectPath: { params: z.tuple([z.enum(['open', 'save']), path.nullable()]), result: path.nullable() },
  startRun: { params: z.tuple([runRequestSchema]), result: z.object({ runId: z.string() }) },
  cancelRun: { params: z.tuple([z.string()]), result: z.undefined() },
} satisfies Record<ApiMethod, { params: z.ZodType; result: z.ZodType }>;

export const API_METHODS = Object.keys(API_SCHEMAS) as ApiMethod[];

export const isApiMethod = (m: unknown): m is ApiMethod => typeof m === 'string' && Object.hasOwn(API_SCHEMAS, m);

/** A call as it travels: method name and parameters. */
export const callSchema = z.object({ method: z.string().refine(isApiMethod, 'is not an engine method'), params: z.array(z.unknown()).max(8) });

/** A reply as it travels back. */
export const replySchema = z.union([z.object({ ok: z.literal(true), result: z.unknown() }), z.object({ ok: z.literal(false), error: z.string() })]);
export type Reply = z.infer<typeof replySchema>;

/** A payload that failed its schema: says where, in words. */
export class PayloadError extends Error {}

function describeIssues(e: z.ZodError): string {
  return e.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : 'payload'}: ${i.message}`)
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
