// What the engine is running, as a page that lost its link needs to learn it: each run, batch
// and training with the latest event of each kind it sent (its progress, state, newest
// sample and checkpoint, and its end once it ended). A page that reconnects replays these
// and is where it would have been; the few jobs that ended while it was away are kept too,
// so their end is not missed.

import { jobKindOf } from '../api/schemas';
import type { JobInfo, RunEvent } from '../api/types';

/** Events worth replaying; previews and notes are many, and a page does without the missed ones. */
const KEPT = new Set<RunEvent['type']>([
  'progress',
  'finished',
  'failed',
  'batch-progress',
  'batch-finished',
  'batch-failed',
  'training-progress',
  'training-sample',
  'training-checkpoint',
  'training-state',
  'training-finished',
  'training-failed',
]);
const ENDS = new Set<RunEvent['type']>(['finished', 'failed', 'batch-finished', 'batch-failed', 'training-finished', 'training-failed']);
/** Ended jobs remembered, newest kept. */
export const ENDED_KEPT = 16;

interface Job {
  kind: JobInfo['kind'];
  subject?: string;
  running: boolean;
  /** Latest event per type, in the order they were last sent. */
  latest: Map<RunEvent['type'], RunEvent>;
}

export function createJobJournal() {
  const jobs = new Map<string, Job>();
  const ended: string[] = [];
  const job = (runId: string, kind: JobInfo['kind']) => {
    let j = jobs.get(runId);
    if (!j) jobs.set(runId, (j = { kind, running: true, latest: new Map() }));
    return j;
  };
  return {
    /** A start call named its run: what it is and what it works on. */
    started(runId: string, kind: JobInfo['kind'], subject?: string): void {
      const j = job(runId, kind);
      j.kind = kind;
      if (subject !== undefined) j.subject = subject;
    },
    /** Every event the engine sends passes here. */
    record(e: RunEvent): void {
      if (!('runId' in e) || !KEPT.has(e.type)) return;
      const j = job(e.runId, jobKindOf(e.type));
      j.latest.delete(e.type);
      j.latest.set(e.type, e);
      if (ENDS.has(e.type) && j.running) {
        j.running = false;
        ended.push(e.runId);
        while (ended.length > ENDED_KEPT) jobs.delete(ended.shift()!);
      }
    },
    list(): JobInfo[] {
      return [...jobs].map(([runId, j]) => ({ runId, kind: j.kind, running: j.running, ...(j.subject !== undefined ? { subject: j.subject } : {}), events: [...j.latest.values()] }));
    },
  };
}
