// A batch run over a folder of images, shared by `modulargan batch` and the studio's Batch
// panel: inputs are only read, existing outputs are kept unless `overwrite`, every file that
// could not be processed is reported with its reason and the run goes on (unless
// `stopOnError`), and a resumed run skips inputs whose outputs are all there already.

import { existsSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import type { Graph } from '../graph/graph';
import { type Batch, type EngineChoice, type RunContext, RunError, type RunProgress, type Skipped, plannedOutputs, runGraph } from './executor';
import { type WriteProblem, createOutputWriter, outputPath } from './output-writer';

export interface BatchOptions {
  /** Relative paths in the graph (weights) resolve against this folder. */
  readonly baseDir: string;
  readonly input: string;
  readonly output: string;
  readonly recursive?: boolean;
  readonly glob?: string;
  readonly skipExisting?: boolean;
  readonly stopOnError?: boolean;
  readonly overwrite?: boolean;
  readonly masks?: boolean;
  readonly seed?: number;
  readonly batchSize?: number;
  readonly engine?: EngineChoice;
  readonly signal?: AbortSignal;
}

export interface BatchReport {
  readonly input: string;
  readonly output: string;
  readonly finished: boolean;
  readonly cancelled: boolean;
  readonly processed: number;
  readonly alreadyDone: number;
  readonly written: number;
  readonly skipped: readonly Skipped[];
  readonly failed: readonly WriteProblem[];
  readonly engine: string;
  readonly seconds: number;
  readonly imagesPerSecond: number;
}

export interface BatchEvents {
  readonly onProgress?: (p: RunProgress) => void;
  /** Each input skipped (unreadable, not an image, too small), as it happens. */
  readonly onSkip?: (s: Skipped) => void;
}

/** The one image input a batch feeds; refuses graphs with none or several. */
function batchSource(graph: Graph): string {
  const sources = graph.nodes.filter((n) => n.kind === 'image-input');
  if (sources.length !== 1) throw new RunError(`a batch run needs a graph with exactly one image input; this one has ${sources.length}`);
  return sources[0]!.id;
}

/** Runs `graph` over `opts.input`, writing PNGs (with provenance) into `opts.output`. Throws RunError when it cannot start. */
export async function runBatch(given: Graph, opts: BatchOptions, events: BatchEvents = {}): Promise<BatchReport> {
  const source = batchSource(given);
  // An image input left empty (a preset's, say) takes the batch's folder, so the graph validates.
  const graph = {
    ...given,
    nodes: given.nodes.map((n) => (n.id === source && !n.params.path ? { ...n, params: { ...n.params, path: resolve(opts.input) } } : n)),
  };
  const input = resolve(opts.input);
  const out = resolve(opts.output);
  if (input === out) throw new RunError('the output folder must not be the input folder (inputs are never touched)');
  if (!existsSync(input)) throw new RunError(`${input}: does not exist`);

  // Which inputs to take: the glob, never anything inside the output folder, and with
  // skipExisting nothing whose outputs are all there already (a resumed run).
  const outputs = plannedOutputs(graph, opts.masks);
  const glob = opts.glob ? picomatch(opts.glob, { basename: !opts.glob.includes('/'), dot: false }) : undefined;
  const outInsideInput = out.startsWith(input + sep);
  let alreadyDone = 0;
  const filter = (rel: string) => {
    if (glob && !glob(rel)) return false;
    if (outInsideInput && resolve(input, rel).startsWith(out + sep)) return false;
    if (opts.skipExisting) {
      const item = { index: 0, files: {}, names: { [source]: rel } };
      if (outputs.every((o) => existsSync(join(out, outputPath(item, o, outputs))))) {
        alreadyDone++;
        return false;
      }
    }
    return true;
  };

  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort();
  if (opts.signal?.aborted) ctrl.abort();
  opts.signal?.addEventListener('abort', onAbort);
  const failed: WriteProblem[] = [];
  let written = 0;
  const writer = createOutputWriter({ outDir: out, graph, overwrite: opts.overwrite });
  // Encoding and writing overlap the next batch's inference; at most two batches wait.
  const pending = new Set<Promise<void>>();
  const write = async (batch: Batch, ctx: RunContext) => {
    const p = writer(batch, ctx).then((r) => {
      written += r.written.length;
      failed.push(...r.problems);
      if (r.problems.length && opts.stopOnError) ctrl.abort();
    });
    pending.add(p);
    void p.finally(() => pending.delete(p));
    if (pending.size > 2) await Promise.race(pending);
  };
  try {
    const result = await runGraph(
      graph,
      {
        baseDir: opts.baseDir,
        engine: opts.engine ?? 'auto',
        images: { [source]: input },
        recursive: opts.recursive,
        filter,
        masks: opts.masks,
        seed: opts.seed ?? 0,
        batchSize: opts.batchSize ?? 8,
        signal: ctrl.signal,
        onSkip: (s) => {
          events.onSkip?.({ file: relative(input, s.file) || s.file, reason: s.reason });
          if (opts.stopOnError) ctrl.abort();
        },
        onProgress: events.onProgress,
      },
      write,
    );
    await Promise.all(pending);
    return {
      input,
      output: out,
      finished: !result.cancelled,
      cancelled: result.cancelled,
      processed: result.processed,
      alreadyDone,
      written,
      skipped: result.skipped.map((s) => ({ ...s, file: relative(input, s.file) || s.file })).sort((a, b) => (a.file < b.file ? -1 : 1)),
      failed,
      engine: result.engine,
      seconds: Math.round(result.seconds * 100) / 100,
      imagesPerSecond: Math.round((result.processed / Math.max(result.seconds, 1e-9)) * 100) / 100,
    };
  } finally {
    await Promise.all(pending);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
