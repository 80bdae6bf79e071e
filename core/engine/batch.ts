// A batch run over a folder, from every front door: `modulargan batch`, the studio's Batch
// panel and queue workers all call runBatchJob, so they open the document, choose the
// backend, write the report and describe it the same way. The work itself (guards,
// resumable outputs, the JSON report written as it goes) is core/runtime/batch.ts.

import { resolve } from 'node:path';
import type { Graph } from '../graph/graph';
import { expandPresetNodes } from '../graph/preset-node';
import { type BatchOptions, type BatchReport, runBatch } from '../runtime/batch';
import type { EngineChoice, RunProgress, Skipped } from '../runtime/executor';
import { chooseInferenceEngine } from './backends';
import { type OpenedDocument, requireDocument } from './documents';
import { RunError } from './errors';

export type { BatchReport, RunProgress, Skipped };

/**
 * What a batch runs and how: a BatchRequest of the API (graph and baseDir) or a document on
 * disk (file), with the runtime's batch options (folders, filters, resume, report, share) and
 * a backend by name instead of a started engine.
 */
export interface BatchJob extends Omit<BatchOptions, 'baseDir' | 'engine'> {
  /** A project, preset or preset bundle file to run... */
  readonly file?: string;
  /** ...or a graph (preset nodes allowed), with the folder its relative paths (weights) resolve against. */
  readonly graph?: Graph;
  readonly baseDir?: string;
  /** An inference backend by name (INFERENCE_BACKENDS in backends.ts); default auto. */
  readonly backend?: string;
}

export interface BatchJobEvents {
  /** After each batch of images: done of total, images per second, seconds left. */
  readonly onProgress?: (p: RunProgress) => void;
  /** Each input skipped (unreadable, not an image, too small), as it happens, relative to the input folder. */
  readonly onSkip?: (s: Skipped) => void;
  /**
   * Starts the inference engine instead of choosing one by `backend`: an engine that lives
   * long (the studio's) starts its backend once.
   */
  readonly startEngine?: () => Promise<EngineChoice>;
}

/**
 * Runs a batch and returns its report (also written as JSON to report.reportPath). Throws
 * RunError or DocumentError, with a message for the user, when it cannot start; every file it
 * could not process is in the report instead.
 */
export async function runBatchJob(job: BatchJob, events: BatchJobEvents = {}): Promise<BatchReport> {
  if ((job.file === undefined) === (job.graph === undefined)) throw new RunError('a batch runs either a document (file) or a graph (graph and baseDir)');
  let doc: OpenedDocument | undefined;
  try {
    if (job.file !== undefined) doc = await requireDocument(job.file);
    const graph = doc?.graph ?? job.graph!;
    const baseDir = doc?.baseDir ?? job.baseDir;
    if (baseDir === undefined) throw new RunError('a batch of a graph needs the folder its relative paths resolve against (baseDir)');
    const engine = events.startEngine ? await events.startEngine() : await chooseInferenceEngine(job.backend);
    // Preset nodes run as their subgraphs; the outputs' provenance holds the expanded graph.
    return await runBatch(
      expandPresetNodes(graph).graph,
      {
        baseDir,
        input: job.input,
        output: job.output,
        recursive: job.recursive,
        glob: job.glob,
        skipExisting: job.skipExisting,
        stopOnError: job.stopOnError,
        overwrite: job.overwrite,
        masks: job.masks,
        engine,
        seed: job.seed ?? 0,
        batchSize: job.batchSize ?? 8,
        signal: job.signal,
        report: job.report === undefined ? undefined : resolve(job.report),
        share: job.share,
      },
      { onProgress: events.onProgress, onSkip: events.onSkip },
    );
  } finally {
    await doc?.cleanup();
  }
}

/** The report in lines, as every front end prints it: each file skipped or not written, then one summary line. */
export function describeBatchReport(report: BatchReport): string[] {
  return [
    ...report.skipped.map((s) => `skipped ${s.file}: ${s.reason}`),
    ...report.failed.map((f) => `not written ${f.path}: ${f.reason}`),
    ...(report.stoppedBy ? [`stopped: ${report.stoppedBy}; resume with --skip-existing once it is mended`] : []),
    ...(report.reportError ? [`report not written: ${report.reportError}`] : []),
    `${report.finished ? 'done' : 'stopped'}: ${report.processed} processed, ${report.alreadyDone} already done, ${report.skipped.length} skipped, ${report.failed.length} not written ` +
      `(${report.imagesPerSecond} img/s with ${report.engine}); report: ${report.reportError ? 'not written' : report.reportPath}`,
  ];
}

/**
 * The exit status a batch ends with: 0 all done; 2 some files skipped or not written, a full
 * or read-only disk stopped it, or the report could not be written; 130 cancelled.
 */
export function batchExitCode(report: BatchReport, stopOnError = false): number {
  if (report.cancelled && !stopOnError) return 130;
  return report.skipped.length || report.failed.length || report.stoppedBy || report.reportError ? 2 : 0;
}
