// `modulargan run`: runs a project's (or preset's) graph over images and writes PNGs.

import { resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { formatFileError } from '../core/files/documents';
import { chooseEngine, cliErrorMessage, openRunnable, wholeNumber } from './runnable';
import { RunError } from '../core/runtime/executor';
import { runToFolder } from '../core/runtime/run-to-folder';

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
  const doc = await openRunnable(file);
  if (!doc.ok) {
    for (const e of doc.errors) log(formatFileError(file, { ...e, message: `error: ${e.message}` }));
    return 1;
  }
  const { graph, baseDir } = doc.value;
  try {
    const engine = await chooseEngine(opts.backend);

    // --input PATH replaces the one image input; --input NODE=PATH names which.
    const imageNodes = graph.nodes.filter((n) => n.kind === 'image-input');
    const images: Record<string, string> = {};
    for (const spec of opts.input ?? []) {
      const m = /^([^=]+)=(.+)$/.exec(spec);
      const target = m ? imageNodes.find((n) => n.id === m[1]) : imageNodes.length === 1 ? imageNodes[0] : undefined;
      if (!target)
        throw new RunError(
          m ? `--input: the graph has no image input '${m[1]}'` : `--input: the graph has ${imageNodes.length} image inputs; say which with --input NODE=PATH (${imageNodes.map((n) => n.id).join(', ')})`,
        );
      images[target.id] = resolve(m ? m[2]! : spec);
    }

    let bar: SingleBar | undefined;
    const result = await runToFolder(
      graph,
      {
        output: opts.output,
        overwrite: opts.overwrite,
        baseDir,
        engine,
        images,
        seed: wholeNumber(opts.seed, 'seed', 0),
        batchSize: wholeNumber(opts.batch, 'batch', 8) || 1,
        count: opts.count === undefined ? undefined : wholeNumber(opts.count, 'count', 8),
        masks: opts.masks,
        recursive: opts.recursive,
        onProgress: (p) => {
          if (opts.quiet || !process.stderr.isTTY) return;
          bar ??= new SingleBar({ format: 'running {bar} {value}/{total} | {speed} img/s | ETA {eta}s', hideCursor: true });
          if (!bar.isActive) bar.start(p.total, 0, { speed: '0' });
          bar.update(p.done, { speed: p.imagesPerSecond.toFixed(1) });
        },
      },
    );
    bar?.stop();
    for (const s of result.skipped) log(`skipped ${s.file}: ${s.reason}`);
    for (const p of result.problems) log(`not written ${p.path}: ${p.reason}`);
    if (result.stoppedBy) log(`stopped: ${result.stoppedBy}`);
    log(`${result.processed} item(s) in ${result.seconds.toFixed(1)} s with ${result.engine}; outputs in ${result.output}`);
    return result.skipped.length || result.problems.length || result.stoppedBy ? 2 : 0;
  } catch (e) {
    const message = cliErrorMessage(e);
    if (message === undefined) throw e;
    log(`error: ${message}`);
    return 1;
  } finally {
    await doc.value.cleanup();
  }
}

