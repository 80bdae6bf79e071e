// What travels through the queue for a distributed batch, declared once: the job a submitter
// queues (one share of a planned batch) and the result a worker returns (that share's part
// of the report). Both are checked with these schemas where they are received — a job comes
// from another machine, and its paths are never trusted to stay inside their folders.

import { isAbsolute } from 'node:path';
import type { Stats } from 'node:fs';
import { z } from 'zod';
import { graphSchema } from '../../graph/format/schemas';

/** The queue every batch job goes to (one queue for all runs; a job names its run). */
export const BATCH_QUEUE = 'modulargan-batch';

/** A name users may give a queue with --queue-name (BullMQ keys are made from it): the contract's, which the studio's requests are checked with. */
export { QUEUE_NAME } from '../../api/schemas';

/** A file inside the input folder, relative to it: never absolute, never climbing out. */
const inside = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !isAbsolute(p) && !p.split(/[\\/]/).includes('..') && !p.includes('\0'), 'must be a path inside its folder');
const path = z.string().min(1).max(4096).refine(isAbsolute, 'must be an absolute path');

export const batchJobSchema = z.object({
  kind: z.literal('batch'),
  /** The batch run this share belongs to. */
  runId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  /** This share's place among the run's shares (their order is the run's order). */
  index: z.number().int().min(0),
  shares: z.number().int().min(1),
  graph: graphSchema,
  /** The folder the graph's relative paths (weights) resolve against, as the submitter sees it. */
  baseDir: path,
  /** A preset bundle the graph came from: each worker unpacks it for the weights inside. */
  bundle: path.optional(),
  input: path,
  output: path,
  masks: z.boolean(),
  seed: z.number().int().min(0),
  batchSize: z.number().int().min(1).max(256),
  /** What to do with an output there before the batch began: report it, keep it quietly, replace it. */
  existing: z.enum(['refuse', 'keep', 'replace']),
  stopOnError: z.boolean(),
  /** The inputs of this share, in the run's order. */
  files: z.array(inside).min(1).max(100_000),
  /** Outputs of these inputs that were there when the batch was planned (relative to output), by identity. */
  before: z.record(inside, z.string().max(200)),
  /** When the submitter queued it (ms since the epoch), for the report's timing. */
  queuedAt: z.number(),
});
export type BatchJobData = z.infer<typeof batchJobSchema>;

const skippedSchema = z.object({ file: z.string().max(8192), reason: z.string().max(8192) });
const problemSchema = z.object({ path: z.string().max(8192), reason: z.string().max(8192) });

export const batchResultSchema = z.object({
  kind: z.literal('batch'),
  /** Who ran it: the worker's name (host:pid unless named). */
  worker: z.string().max(300),
  engine: z.string().max(200),
  processed: z.number().int().min(0),
  written: z.number().int().min(0),
  skipped: z.array(skippedSchema),
  failed: z.array(problemSchema),
  stoppedBy: z.string().max(8192).optional(),
  cancelled: z.boolean(),
  seconds: z.number().min(0),
});
export type BatchJobResult = z.infer<typeof batchResultSchema>;

/** What a worker says while a share runs (job progress). */
export const shareProgressSchema = z.object({
  worker: z.string().max(300),
  done: z.number().int().min(0),
  total: z.number().int().min(0),
  imagesPerSecond: z.number().min(0),
});
export type ShareProgress = z.infer<typeof shareProgressSchema>;

/** BullMQ job id of a share: deterministic, so queueing the same share twice adds it once. */
export const shareJobId = (runId: string, index: number): string => `${runId}-${String(index).padStart(6, '0')}`;

/** Redis key a submitter sets to tell workers to stop a run's shares (Ctrl+C). */
export const cancelKey = (queueName: string, runId: string): string => `modulargan:${queueName}:cancel:${runId}`;

/**
 * A file's identity, the same seen from any machine that mounts it: replacing a file by
 * rename (as every output is written) gives it a new inode, so an output whose identity
 * differs from the one recorded when the batch was planned was written by this batch.
 */
export const fileIdentity = (st: Stats): string => `${st.ino}:${st.size}:${Math.floor(st.mtimeMs / 1000)}`;

/** Retries with backoff for a share that fails (a worker that cannot reach the storage, say). */
export const SHARE_ATTEMPTS = 3;
export const SHARE_BACKOFF_MS = 2000;
