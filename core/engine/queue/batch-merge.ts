// The report of a distributed batch: the plan's part (files that are not images, unusable,
// outputs clashing, finished before) and every share's part, merged into the report a local
// run of the same folder writes — same fields, skipped files sorted by name, write failures
// in the run's order. A share that failed for good reports each of its files as skipped with
// the reason, so every input ends up processed or reported.

import type { BatchReport } from '../../runtime/batch';
import type { Skipped } from '../../runtime/executor';
import type { WriteProblem } from '../../runtime/output-writer';
import type { BatchJobResult } from './batch-job';

/** Where one share stands in the submitter's books. */
export interface ShareOutcome {
  readonly index: number;
  readonly files: readonly string[];
  /** Its result, once a worker finished it. */
  readonly result?: BatchJobResult;
  /** Why it failed for good (after its retries), and where. */
  readonly failure?: { readonly reason: string; readonly worker?: string };
}

export interface PlannedPart {
  readonly input: string;
  readonly output: string;
  readonly reportPath: string;
  readonly skipped: readonly Skipped[];
  readonly alreadyDone: number;
}

export interface MergeEnd {
  /** The run was stopped (Ctrl+C, the first problem with stopOnError) before every share ran. */
  readonly aborted: boolean;
  /** Why it stopped, when a disk refused to take more. */
  readonly stoppedBy?: string;
  readonly seconds: number;
  readonly reportError?: string;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The failure of a share as each of its files' skip reason. */
export const shareFailureReason = (f: NonNullable<ShareOutcome['failure']>): string =>
  `not processed: the queued job holding it failed${f.worker ? ` on ${f.worker}` : ''}: ${f.reason}`;

export function mergeBatchReport(plan: PlannedPart, shares: readonly ShareOutcome[], end: MergeEnd | null): BatchReport {
  const ordered = [...shares].sort((a, b) => a.index - b.index);
  const skipped: Skipped[] = [...plan.skipped];
  const failed: WriteProblem[] = [];
  const engines: string[] = [];
  let processed = 0;
  let written = 0;
  let stoppedBy = end?.stoppedBy;
  for (const s of ordered) {
    if (s.result) {
      processed += s.result.processed;
      written += s.result.written;
      skipped.push(...s.result.skipped);
      failed.push(...s.result.failed);
      if (s.result.engine && !engines.includes(s.result.engine)) engines.push(s.result.engine);
      stoppedBy ??= s.result.stoppedBy;
    } else if (s.failure) {
      const reason = shareFailureReason(s.failure);
      for (const file of s.files) skipped.push({ file, reason });
    }
  }
  const seconds = end?.seconds ?? 0;
  const stopped = !!end && (end.aborted || !!stoppedBy);
  return {
    input: plan.input,
    output: plan.output,
    finished: !!end && !stopped,
    cancelled: !!end && stopped && !stoppedBy,
    processed,
    alreadyDone: plan.alreadyDone,
    written,
    skipped: skipped.sort((a, b) => (a.file < b.file ? -1 : 1)),
    failed,
    engine: engines.join(', '),
    seconds: round2(seconds),
    imagesPerSecond: round2(processed / Math.max(seconds, 1e-9)),
    reportPath: plan.reportPath,
    ...(stoppedBy ? { stoppedBy } : {}),
    ...(end?.reportError ? { reportError: end.reportError } : {}),
  };
}
