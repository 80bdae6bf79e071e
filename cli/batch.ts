// `modulargan batch`: runs a graph over a folder of images, resumable and safe: inputs are
// only read, existing outputs are kept unless --overwrite, every file that could not be
// processed is listed with its reason, and the run goes on (unless --stop-on-error).

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { SingleBar } from 'cli-progress';
import picomatch from 'picomatch';
import { writeFileAtomic } from '../core/files/atomic';
import { formatFileError } from '../core/files/documents';
import { openRunnable } from './runnable';
import { initBackend } from '../core/runtime/backends';
import { isBackendPreference } from '../core/runtime/backend-report';
import { type Batch, type EngineChoice, type RunContext, RunError, type Skipped, plannedOutputs, runGraph } from '../core/runtime/executor';
import { type WriteProblem, createOutputWriter, outputPath } from '../core/runtime/output-writer';

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

const num = (v: string | undefined, name: string, def: number) => {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new RunError(`--${name} must be a whole number, got '${v}'`);
  return n;
};

/** Exit codes: 0 all done, 1 could not run, 2 some files skipped or not written, 130 cancelled. */
export async function batchCommand(file: string, opts: BatchCommandOptions, log: (line: string) => void, signal?: AbortSignal): Promise<number> {
  const doc = await openRunnable(file);
  if (!doc.ok) {
    for (const e of doc.errors) log(formatFileError(file, { ...e, message: `error: ${e.message}` }));
    return 1;
  }
  const { graph, baseDir } = doc.value;
  try {
    const sources = graph.nodes.filter((n) => n.kind === 'image-input');
    if (sources.length !== 1) throw new RunError(`a batch run needs a graph with exactly one image input; this one has ${sources.length}`);
    const input = resolve(opts.input);
    const out = resolve(opts.output);
    if (input === out) throw new RunError('the output folder must not be the input folder (inputs are never touched)');
    if (!existsSync(input)) throw new RunError(`${input}: does not exist`);

    const backend = opts.backend ?? 'auto';
    let engine: EngineChoice = 'auto';
    if (backend === 'onnxruntime') {
      engine = 'onnxruntime';
      await initBackend('cpu', { probeAll: false, gradients: false });
    } else if (isBackendPreference(backend)) {
      if (backend !== 'auto') engine = 'tfjs';
      await initBackend(backend, { gradients: false });
    } else throw new RunError(`--backend must be auto, onnxruntime, tfjs-node-gpu, native, webgpu, wasm or cpu, got '${backend}'`);

    // Which inputs to take: the glob, never anything inside the output folder, and with
    // --skip-existing nothing whose outputs are all there already (a resumed run).
    const outputs = plannedOutputs(graph, opts.masks);
    const glob = opts.glob ? picomatch(opts.glob, { basename: !opts.glob.includes('/'), dot: false }) : undefined;
    const outInsideInput = out.startsWith(input + sep);
    let alreadyDone = 0;
    const filter = (rel: string) => {
      if (glob && !glob(rel)) return false;
      if (outInsideInput && resolve(input, rel).startsWith(out + sep)) return false;
      if (opts.skipExisting) {
        const item = { index: 0, files: {}, names: { [sources[0]!.id]: rel } };
        if (outputs.every((o) => existsSync(join(out, outputPath(item, o, outputs))))) {
          alreadyDone++;
          return false;
        }
      }
      return true;
    };

    const ctrl = new AbortController();
    const onAbort = () => ctrl.abort();
    signal?.addEventListener('abort', onAbort);
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
    let bar: SingleBar | undefined;
    const result = await runGraph(
      graph,
      {
        baseDir,
        engine,
        images: { [sources[0]!.id]: input },
        recursive: opts.recursive,
        filter,
        masks: opts.masks,
        seed: num(opts.seed, 'seed', 0),
        batchSize: num(opts.batch, 'batch', 8) || 1,
        signal: ctrl.signal,
        onSkip: () => {
          if (opts.stopOnError) ctrl.abort();
        },
        onProgress: (p) => {
          if (opts.quiet || !process.stderr.isTTY) return;
          bar ??= new SingleBar({ format: 'batch {bar} {value}/{total} | {speed} img/s | ETA {eta_formatted}', hideCursor: true });
          if (!bar.isActive) bar.start(p.total, 0, { speed: '0' });
          bar.update(p.done, { speed: p.imagesPerSecond.toFixed(1) });
        },
      },
      write,
    );
    await Promise.all(pending);
    bar?.stop();
    signal?.removeEventListener('abort', onAbort);

    const report: BatchReport = {
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
    const reportPath = resolve(opts.report ?? join(out, 'batch-report.json'));
    await mkdir(dirname(reportPath), { recursive: true });
    await writeFileAtomic(reportPath, `${JSON.stringify(report, null, 2)}\n`, { backup: false });
    for (const s of report.skipped) log(`skipped ${s.file}: ${s.reason}`);
    for (const f of failed) log(`not written ${f.path}: ${f.reason}`);
    log(
      `${result.cancelled ? 'stopped' : 'done'}: ${result.processed} processed, ${alreadyDone} already done, ${report.skipped.length} skipped, ${failed.length} not written ` +
        `(${report.imagesPerSecond} img/s with ${result.engine}); report: ${reportPath}`,
    );
    if (result.cancelled && !opts.stopOnError) return 130;
    return report.skipped.length || failed.length ? 2 : 0;
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
