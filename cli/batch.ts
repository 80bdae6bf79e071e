// `modulargan batch`: the command-line front end of core/runtime/batch.ts (which the studio's
// Batch panel shares): options from flags, a progress bar, the report as JSON and as lines.

import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { writeFileAtomic } from '../core/files/atomic';
import { formatFileError } from '../core/files/documents';
import { chooseEngine, openRunnable, wholeNumber } from './runnable';
import { RunError } from '../core/runtime/executor';
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


/** Exit codes: 0 all done, 1 could not run, 2 some files skipped or not written, 130 cancelled. */
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
    const reportPath = resolve(opts.report ?? join(report.output, 'batch-report.json'));
    await mkdir(dirname(reportPath), { recursive: true });
    await writeFileAtomic(reportPath, `${JSON.stringify(report, null, 2)}\n`, { backup: false });
    for (const s of report.skipped) log(`skipped ${s.file}: ${s.reason}`);
    for (const f of report.failed) log(`not written ${f.path}: ${f.reason}`);
    log(
      `${report.cancelled ? 'stopped' : 'done'}: ${report.processed} processed, ${report.alreadyDone} already done, ${report.skipped.length} skipped, ${report.failed.length} not written ` +
        `(${report.imagesPerSecond} img/s with ${report.engine}); report: ${reportPath}`,
    );
    if (report.cancelled && !opts.stopOnError) return 130;
    return report.skipped.length || report.failed.length ? 2 : 0;
  } catch (e) {
    if (e instanceof RunError) {
      log(`error: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    await doc.value.cleanup();
  }
}
