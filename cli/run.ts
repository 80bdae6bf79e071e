// `modulargan run`: runs a project's (or preset's) graph over images and writes PNGs.

import { resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { formatFileError } from '../core/files/documents';
import { chooseEngine, openRunnable, wholeNumber } from './runnable';
import { type Batch, type RunContext, RunError, runGraph } from '../core/runtime/executor';
import { createOutputWriter } from '../core/runtime/output-writer';

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


/** Returns the exit code: 0 all written, 1 nothing could run, 2 some files were skipped. */
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

    const out = resolve(opts.output);
    const problems: string[] = [];
    let bar: SingleBar | undefined;
    const writer = createOutputWriter({ outDir: out, graph, overwrite: opts.overwrite });
    const write = async (batch: Batch, ctx: RunContext) => {
      for (const p of (await writer(batch, ctx)).problems) problems.push(`${p.path}: ${p.reason}`);
    };
    const result = await runGraph(
      graph,
      {
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
      write,
    );
    bar?.stop();
    for (const s of result.skipped) log(`skipped ${s.file}: ${s.reason}`);
    for (const p of problems) log(`not written ${p}`);
    log(`${result.processed} item(s) in ${result.seconds.toFixed(1)} s with ${result.engine}; outputs in ${out}`);
    return result.skipped.length || problems.length ? 2 : 0;
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

