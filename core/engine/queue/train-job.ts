// What travels through the queue for a queued training, declared once and checked where it is
// received: the job (one project's training, as `modulargan train` would run it), its progress
// (the trainer's iteration and losses), its result, and the Redis stream its log lines go to.

import { isAbsolute } from 'node:path';
import { z } from 'zod';

/** The queue trainings go to; workers started with --train listen on it (or on one they name: a GPU pool's). */
export const TRAIN_QUEUE = 'modulargan-train';

const path = z.string().min(1).max(4096).refine(isAbsolute, 'must be an absolute path');
const count = z.number().int().min(1).max(100_000_000);

export const trainJobSchema = z.object({
  kind: z.literal('train'),
  /** The project file, as the submitter sees it; its run folder is "<project>.train" beside it. */
  file: path,
  engine: z.string().max(50).optional(),
  backend: z.string().max(50).optional(),
  iterations: count.optional(),
  stopAfter: count.optional(),
  resume: z.boolean(),
  /** Resume from this checkpoint of the run folder (its name, not a path: the worker's paths may differ) instead of the latest. */
  from: z.string().regex(/^iter-\d{1,12}$/, 'must name a checkpoint (iter-NNNNNN)').optional(),
  restart: z.boolean(),
  nproc: z.number().int().min(1).max(1024).optional(),
  /** Who asked (host:pid), for the workers' logs. */
  by: z.string().max(300),
});
export type TrainJobData = z.infer<typeof trainJobSchema>;

const finite = z.number().finite();
export const trainProgressSchema = z.object({
  worker: z.string().max(300),
  iteration: z.number().int().min(0),
  total: z.number().int().min(0),
  iterationsPerSecond: finite,
  imagesPerSecond: finite,
  etaSeconds: z.number(),
  losses: z.record(z.string().max(100), finite),
});
export type TrainQueueProgress = z.infer<typeof trainProgressSchema>;

export const trainResultSchema = z.object({
  kind: z.literal('train'),
  worker: z.string().max(300),
  engine: z.string().max(50),
  backend: z.string().max(200).optional(),
  /** The trainer's end ('exit' for the PyTorch engine, which gives an exit code). */
  status: z.enum(['done', 'stopped', 'aborted', 'non-finite', 'exit']),
  completed: z.number().int().min(0).optional(),
  runDir: z.string().max(4096).optional(),
  lastCheckpoint: z.string().max(4096).optional(),
  message: z.string().max(8192).optional(),
  exitCode: z.number().int().optional(),
});
export type TrainJobResult = z.infer<typeof trainResultSchema>;

/** The Redis stream a queued training's log lines go to, read by its submitter. */
export const trainLogKey = (queueName: string, jobId: string): string => `modulargan:${queueName}:log:${jobId}`;
/** How many lines a log stream keeps (about): a submitter that comes back late sees the last ones. */
export const TRAIN_LOG_LINES = 10_000;
/** The lock command a queued training names in its run folder: a later attempt at the same job may take it over. */
export const queuedTrainingCommand = (jobId: string, worker: string): string => `queued training ${jobId} on worker ${worker}`;
