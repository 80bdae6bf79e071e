// `modulargan run`: flags in, a progress bar and the result's lines out; the run itself is
// core/engine's runDocumentToFolder.

import { SingleBar } from 'cli-progress';
import { describeRunResult, runDocumentToFolder, runExitCode } from '../core/engine/run';
import { commandFailed, wholeNumber } from './flags';

export interface RunCommandOptions {
  input?: string[];
  output: string;
  seed?: string;
  backend?: string;
  batch?: string;
  count?: string;
  masks?: boolean;
  recursive?: boolean;
  overwrite?: boolean;
  quiet?: boolean;
}

/**
 * Returns the exit code: 0 all written; 1 nothing could run (a bad argument or graph, an output
 * folder that cannot take files or whose outputs would land on an input); 2 some files were
 * skipped or not written, or a full or read-only disk stopped the run.
 */
export async function runCommand(file: string, opts: RunCommandOptions, log: (line: string) => void): Promise<number> {
  let bar: SingleBar | undefined;
  try {
    const result = await runDocumentToFolder(
      {
        file,
        output: opts.output,
        // --input PATH feeds the one image input; --input NODE=PATH names which.
        images: (opts.input ?? []).map((spec) => {
          const m = /^([^=]+)=(.+)$/.exec(spec);
          return m ? { node: m[1]!, path: m[2]! } : { path: spec };
        }),
        backend: opts.backend,
        seed: wholeNumber(opts.seed, 'seed', 0),
        batchSize: wholeNumber(opts.batch, 'batch', 8) || 1,
        count: opts.count === undefined ? undefined : wholeNumber(opts.count, 'count', 8),
        masks: opts.masks,
        recursive: opts.recursive,
        overwrite: opts.overwrite,
      },
      {
        onProgress: (p) => {
          if (opts.quiet || !process.stderr.isTTY) return;
          bar ??= new SingleBar({ format: 'running {bar} {value}/{total} | {speed} img/s | ETA {eta}s', hideCursor: true });
          if (!bar.isActive) bar.start(p.total, 0, { speed: '0' });
          bar.update(p.done, { speed: p.imagesPerSecond.toFixed(1) });
        },
      },
    );
    bar?.stop();
    describeRunResult(result).forEach((l) => log(l));
    return runExitCode(result);
  } catch (e) {
    bar?.stop();
    return commandFailed(e, log);
  }
}
