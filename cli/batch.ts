// `modulargan batch`: the command-line front end of core/runtime/batch.ts (which the studio's
// Batch panel shares): options from flags, a progress bar, the report as JSON and as lines.

import { resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { formatFileError } from '../core/files/documents';
import { chooseEngine, cliErrorMessage, openRunnable, wholeNumber } from './runnable';
import { type BatchReport, runBatch } from '../core/runtime/batch';

export type { BatchReport };

export interface BatchCommandOptions {
  input: string;
  output: string;
  recursive?: boolean;
  glob?: string;
  skipExisting?: boolean;
  stopOnError?: boolean;
  overwrite?: boolean;
  masks?: boolean;
  seed?: string;
  backend?: string;
  batch?: string;
  report?: string;
  quiet?: boolean;
}


/**
 * Exit codes: 0 all done; 1 could not run (a bad argument or graph, an output folder that cannot
 * take files or whose outputs would land on an input); 2 some files skipped or not written, a
 * full or read-only disk stopped the run, or the report could not be written; 130 cancelled.
 */
export async function batchCommand(file: string, opts: BatchCommandOptions, log: (line: string) => void, signal?: AbortSignal): Promise<number> {
  const doc = await openRunnable(file);
  if (!doc.ok) {
    for (const e of doc.errors) log(formatFileError(file, { ...e, message: `error: ${e.message}` }));
    return 1;
  }
  const { graph, baseDir } = doc.value;
  try {
    const engine = await chooseEngine(opts.backend);

    let bar: SingleBar | undefined;
    const report = await runBatch(
      graph,
      {
        baseDir,
        input: opts.input,
        output: opts.output,
        recursive: opts.recursive,
        glob: opts.glob,
        skipExisting: opts.skipExisting,
        stopOnError: opts.stopOnError,
        overwrite: opts.overwrite,
        masks: opts.masks,
        engine,
        seed: wholeNumber(opts.seed, 'seed', 0),
        batchSize: wholeNumber(opts.batch, 'batch', 8) || 1,
        signal,
        report: opts.report === undefined ? undefined : resolve(opts.report),
      },
      {
        onProgress: (p) => {
          if (opts.quiet || !process.stderr.isTTY) return;
          bar ??= new SingleBar({ format: 'batch {bar} {value}/{total} | {speed} img/s | ETA {eta_formatted}', hideCursor: true });
          if (!bar.isActive) bar.start(p.total, 0, { speed: '0' });
          bar.update(p.done, { speed: p.imagesPerSecond.toFixed(1) });
        },
      },
    );
    bar?.stop();
    for (const s of report.skipped) log(`skipped ${s.file}: ${s.reason}`);
    for (const f of report.failed) log(`not written ${f.path}: ${f.reason}`);
    if (report.stoppedBy) log(`stopped: ${report.stoppedBy}; resume with --skip-existing once it is mended`);
    if (report.reportError) log(`report not written: ${report.reportError}`);
    log(
      `${report.finished ? 'done' : 'stopped'}: ${report.processed} processed, ${report.alreadyDone} already done, ${report.skipped.length} skipped, ${report.failed.length} not written ` +
        `(${report.imagesPerSecond} img/s with ${report.engine}); report: ${report.reportError ? 'not written' : report.reportPath}`,
    );
    if (report.cancelled && !opts.stopOnError) return 130;
    return report.skipped.length || report.failed.length || report.stoppedBy || report.reportError ? 2 : 0;
  } catch (e) {
    const message = cliErrorMessage(e);
    if (message === undefined) throw e;
    log(`error: ${message}`);
    return 1;
  } finally {
    await doc.value.cleanup();
  }
}
