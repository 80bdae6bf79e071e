// A batch run over a folder of images, shared by `modulargan batch` and the studio's Batch
// panel: inputs are only read (no output may land on one, see output-guard.ts), existing
// outputs are kept unless `overwrite`, every file that could not be processed is reported with
// its reason and the run goes on (unless `stopOnError`; a full or read-only disk stops it),
// and a resumed run skips inputs whose outputs are all there and finishes those cut off
// between two outputs. The JSON report is rewritten as the run goes, so a run that dies late
// still leaves the per-file report of what it did.

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import picomatch from 'picomatch';
import { writeFileAtomic } from '../files/atomic';
import type { Graph } from '../graph/graph';
import { type Batch, type EngineChoice, type OutputInfo, type RunContext, RunError, type RunProgress, type Skipped, plannedOutputs, runGraph } from './executor';
import { createOutputGuard } from './output-guard';
import { type WriteProblem, createOutputWriter, writeErrorReason } from './output-writer';

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
  /** Where the JSON report goes (default <output>/batch-report.json). */
  readonly report?: string;
  /** Run only this share of a batch planned elsewhere (planBatch): a queued job. */
  readonly share?: BatchShare;
}

/**
 * One job's share of a batch that planBatch listed and screened once for all of them: the
 * folder is not listed again, finished inputs are not dropped again (the plan did that; what
 * is there now an earlier attempt at this share may have written), no temporaries are swept
 * (other machines may be writing beside us) and no report file is written (the planner merges
 * the shares' reports into one).
 */
export interface BatchShare {
  /** The inputs, relative to the input folder, in the plan's order. */
  readonly files: readonly string[];
  /** Whether the file at an output's path was written by an earlier attempt at this share. */
  readonly writtenBefore?: (path: string) => Promise<boolean>;
}

/** What a batch would do, decided before anything runs: the same listing, filters and guards as runBatch. */
export interface BatchPlan {
  readonly input: string;
  readonly output: string;
  readonly reportPath: string;
  /** The graph as it runs (an image input left empty takes the folder). */
  readonly graph: Graph;
  /** What each input makes, in the writer's order (for the outputs' paths). */
  readonly outputs: readonly OutputInfo[];
  /** The inputs to run, relative to `input`, in the order a run takes them. */
  readonly files: readonly string[];
  /** Inputs that will not run, relative to `input`, with the reason a run reports. */
  readonly skipped: readonly Skipped[];
  /** Inputs whose outputs are all there (with skipExisting). */
  readonly alreadyDone: number;
}

/** The report is rewritten at most this often while the run goes on (and once at the end). */
const REPORT_EVERY_MS = 1000;

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
  readonly reportPath: string;
  /** Why the run stopped before the end other than being cancelled (a full or read-only disk). */
  readonly stoppedBy?: string;
  /** Why the report file could not be written (the report itself is still returned). */
  readonly reportError?: string;
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

/** What a batch run and its plan share: the folders, the outputs, the guard and the filter. */
async function setUp(given: Graph, opts: BatchOptions) {
  const source = batchSource(given);
  // An image input left empty (a preset's, say) takes the batch's folder, so the graph validates.
  const graph = {
    ...given,
    nodes: given.nodes.map((n) => (n.id === source && !n.params.path ? { ...n, params: { ...n.params, path: resolve(opts.input) } } : n)),
  };
  const input = resolve(opts.input);
  const out = resolve(opts.output);
  if (!existsSync(input)) throw new RunError(`${input}: does not exist`);
  const reportPath = resolve(opts.report ?? join(out, 'batch-report.json'));

  // Which inputs to take: the glob, and never anything inside the output folder (the guard's
  // exclude). The guard refuses outputs that would land on inputs, skips inputs whose output
  // another input already has, and with skipExisting drops those whose outputs are all there.
  const outputs = plannedOutputs(graph, opts.masks);
  const share = opts.share;
  const guard = await createOutputGuard({ outDir: out, outputs, skipExisting: opts.skipExisting && !share, extraFiles: share ? [] : [reportPath], sweep: !share });
  const glob = opts.glob ? picomatch(opts.glob, { basename: !opts.glob.includes('/'), dot: false }) : undefined;
  return { source, graph, input, out, reportPath, outputs, guard, glob };
}

/** Thrown by planBatch's screen once it knows the plan: nothing after the screen runs. */
class Planned extends Error {}

/** Lists and screens a batch as runBatch would, without running it. Throws RunError as runBatch does. */
export async function planBatch(given: Graph, opts: Omit<BatchOptions, 'share'>): Promise<BatchPlan> {
  const { source, graph, input, out, reportPath, outputs, guard, glob } = await setUp(given, opts);
  const rel = (f: string) => relative(input, f) || f;
  const skipped: Skipped[] = [];
  let files: string[] | undefined;
  let alreadyDone = 0;
  try {
    // The run itself lists and screens, so the plan cannot drift from what a run would do.
    await runGraph(
      graph,
      {
        baseDir: opts.baseDir,
        images: { [source]: input },
        recursive: opts.recursive,
        filter: glob ? (f) => glob(f) : undefined,
        exclude: guard.exclude,
        masks: opts.masks,
        batchSize: opts.batchSize ?? 8,
        onSkip: (s) => skipped.push({ file: rel(s.file), reason: s.reason }),
        screen: async (items, listings) => {
          const verdict = await guard.screen(items, listings);
          const first = (i: number) => Object.values(items.find((x) => x.index === i)?.files ?? {})[0] ?? `item ${i}`;
          for (const x of verdict.skip) skipped.push({ file: rel(first(x.index)), reason: x.reason });
          const out = new Set([...verdict.drop, ...verdict.skip.map((x) => x.index)]);
          files = items.filter((x) => !out.has(x.index)).map((x) => rel(first(x.index)));
          alreadyDone = guard.alreadyDone;
          throw new Planned();
        },
      },
      () => undefined,
    );
  } catch (e) {
    if (!(e instanceof Planned)) throw e;
  }
  if (!files) throw new RunError('the batch could not be planned: its input was never listed');
  return { input, output: out, reportPath, graph, outputs, files, skipped: skipped.sort((a, b) => (a.file < b.file ? -1 : 1)), alreadyDone };
}

/** Runs `graph` over `opts.input`, writing PNGs (with provenance) into `opts.output`. Throws RunError when it cannot start. */
export async function runBatch(given: Graph, opts: BatchOptions, events: BatchEvents = {}): Promise<BatchReport> {
  const t0 = performance.now();
  const { source, graph, input, out, reportPath, guard, glob } = await setUp(given, opts);
  const share = opts.share;

  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort();
  if (opts.signal?.aborted) ctrl.abort();
  opts.signal?.addEventListener('abort', onAbort);
  const failed: WriteProblem[] = [];
  const skipped: Skipped[] = [];
  let written = 0;
  let processed = 0;
  let stoppedBy: string | undefined;
  let engine = '';
  const writer = createOutputWriter({
    outDir: out,
    graph,
    existing: opts.skipExisting ? 'keep' : opts.overwrite ? 'replace' : 'refuse',
    guard,
    writtenBefore: share?.writtenBefore,
  });

  const snapshot = (end?: { cancelled: boolean; processed: number; engine: string }): BatchReport => {
    const seconds = (performance.now() - t0) / 1000;
    const n = end?.processed ?? processed;
    return {
      input,
      output: out,
      finished: end ? !end.cancelled : false,
      cancelled: end ? end.cancelled && !stoppedBy : false,
      processed: n,
      alreadyDone: guard.alreadyDone,
      written,
      skipped: [...skipped].sort((a, b) => (a.file < b.file ? -1 : 1)),
      failed: [...failed],
      engine: end?.engine ?? engine,
      seconds: Math.round(seconds * 100) / 100,
      imagesPerSecond: Math.round((n / Math.max(seconds, 1e-9)) * 100) / 100,
      reportPath,
      ...(stoppedBy ? { stoppedBy } : {}),
      ...(reportError ? { reportError } : {}),
    };
  };
  // One write at a time; a failed one is remembered, and the next one tries again.
  let reportError: string | undefined;
  let lastReport = 0;
  let reporting = Promise.resolve();
  const saveReport = (report: () => BatchReport): Promise<void> => {
    lastReport = Date.now();
    if (share) return reporting;
    reporting = reporting.then(async () => {
      try {
        await mkdir(dirname(reportPath), { recursive: true });
        await writeFileAtomic(reportPath, `${JSON.stringify({ ...report(), reportError: undefined }, null, 2)}\n`, { backup: false });
        reportError = undefined;
      } catch (e) {
        reportError = `${reportPath}: ${writeErrorReason(e)}`;
      }
    });
    return reporting;
  };

  // Encoding and writing overlap the next batch's inference; at most two batches wait.
  const pending = new Set<Promise<void>>();
  const write = async (batch: Batch, ctx: RunContext) => {
    engine = ctx.engine;
    const p = writer(batch, ctx).then((r) => {
      written += r.written.length;
      processed += batch.items.length;
      failed.push(...r.problems);
      if (r.fatal && !stoppedBy) stoppedBy = r.fatal;
      if ((r.problems.length && opts.stopOnError) || r.fatal) ctrl.abort();
      if (Date.now() - lastReport >= REPORT_EVERY_MS) void saveReport(snapshot);
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
        listed: share ? { [source]: share.files.map((f) => join(input, f)) } : undefined,
        recursive: opts.recursive,
        filter: glob ? (rel) => glob(rel) : undefined,
        exclude: guard.exclude,
        screen: guard.screen,
        masks: opts.masks,
        seed: opts.seed ?? 0,
        batchSize: opts.batchSize ?? 8,
        signal: ctrl.signal,
        onSkip: (s) => {
          const rel = { file: relative(input, s.file) || s.file, reason: s.reason };
          skipped.push(rel);
          events.onSkip?.(rel);
          if (opts.stopOnError) ctrl.abort();
        },
        onProgress: events.onProgress,
      },
      write,
    );
    await Promise.all(pending);
    const final = () => snapshot({ cancelled: result.cancelled, processed: result.processed, engine: result.engine });
    await saveReport(final);
    return final();
  } finally {
    await Promise.all(pending);
    await reporting;
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
