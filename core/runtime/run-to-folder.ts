// A run whose outputs go to a folder as PNG files (`modulargan run`): the same guards as a
// batch — the output folder is checked before anything runs, no output may land on an input,
// two inputs never share an output, a full or read-only disk stops the run with one reason.

import { resolve } from 'node:path';
import type { Graph } from '../graph/graph';
import { type RunOptions, type RunResult, plannedOutputs, runGraph } from './executor';
import { createOutputGuard } from './output-guard';
import { type WriteProblem, createOutputWriter } from './output-writer';

export interface RunToFolderOptions extends Omit<RunOptions, 'exclude' | 'screen'> {
  readonly output: string;
  readonly overwrite?: boolean;
}

export interface RunToFolderResult extends RunResult {
  /** The output folder, resolved. */
  readonly output: string;
  readonly written: number;
  readonly problems: readonly WriteProblem[];
  /** Why the run stopped before the end (a full or read-only disk). */
  readonly stoppedBy?: string;
}

/** Runs `graph` and writes its outputs into `opts.output`. Throws RunError when it cannot start. */
export async function runToFolder(graph: Graph, opts: RunToFolderOptions): Promise<RunToFolderResult> {
  const guard = await createOutputGuard({ outDir: resolve(opts.output), outputs: plannedOutputs(graph, opts.masks) });
  const writer = createOutputWriter({ outDir: guard.outDir, graph, existing: opts.overwrite ? 'replace' : 'refuse', guard });
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort();
  if (opts.signal?.aborted) ctrl.abort();
  opts.signal?.addEventListener('abort', onAbort);
  const problems: WriteProblem[] = [];
  let written = 0;
  let stoppedBy: string | undefined;
  try {
    const result = await runGraph(graph, { ...opts, exclude: guard.exclude, screen: guard.screen, signal: ctrl.signal }, async (batch, ctx) => {
      const r = await writer(batch, ctx);
      written += r.written.length;
      problems.push(...r.problems);
      if (r.fatal && !stoppedBy) {
        stoppedBy = r.fatal;
        ctrl.abort();
      }
    });
    return { ...result, output: guard.outDir, written, problems, ...(stoppedBy ? { stoppedBy } : {}) };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
