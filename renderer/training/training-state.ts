// What the training view shows, UI-free: the run's status, speed and ETA, every loss term
// per iteration (for the curves), the newest sample grid, the checkpoints, the dataset
// preview and attribute suggestions. Events from the engine update it; React reads it
// through useSyncExternalStore.

import type { CheckpointInfo, DatasetPreview, TrainingEngine, TrainingEngineInfo } from '../../core/api';
import type { SuggestedGroup } from '../../core/graph';

export type TrainingStatus = 'idle' | 'starting' | 'running' | 'paused' | 'stopping' | 'done' | 'stopped' | 'failed';

export interface LossSeries {
  /** Iterations completed, one per progress event. */
  readonly x: readonly number[];
  /** Each loss term's value per point; null where that iteration lacked it (D-only iterations). */
  readonly terms: Readonly<Record<string, readonly (number | null)[]>>;
}

export interface TrainingState {
  readonly view: 'editor' | 'training';
  readonly runId: string | null;
  readonly status: TrainingStatus;
  readonly iteration: number;
  readonly total: number;
  readonly iterationsPerSecond: number;
  readonly etaSeconds: number;
  readonly lr: number | null;
  readonly series: LossSeries;
  /** The newest sample grid, and what made it: the running training, the latest checkpoint, or the untrained model. */
  readonly sample: { readonly png: string; readonly iteration: number; readonly source?: 'training' | 'checkpoint' | 'untrained' } | null;
  /** A "Sample now" is being made. */
  readonly sampling: boolean;
  readonly checkpoints: readonly CheckpointInfo[];
  readonly message: string;
  /** The trainer's notes of this run (dataset notes, skipped files, memory warnings), newest last. */
  readonly notes: readonly string[];
  readonly preview: DatasetPreview | null;
  readonly columns: readonly string[];
  readonly suggestions: readonly SuggestedGroup[];
  /** The training engines the engine's machine has, and why not (empty until asked). */
  readonly engines: readonly TrainingEngineInfo[];
  /** Who trains the next start, and with how many processes (PyTorch only). */
  readonly engine: TrainingEngine;
  readonly nproc: number;
  /** Where the next start trains: on the engine's machine, or on a queue worker (`modulargan worker --train`) through this Redis. */
  readonly runOn: 'here' | 'queue';
  readonly queue: string;
  /** Why the run shown cannot pause (its engine's reason), or null when it can. */
  readonly cannotPause: string | null;
}

export const EMPTY_SERIES: LossSeries = { x: [], terms: {} };

export const INITIAL_TRAINING: TrainingState = {
  view: 'editor',
  runId: null,
  status: 'idle',
  iteration: 0,
  total: 0,
  iterationsPerSecond: 0,
  etaSeconds: 0,
  lr: null,
  series: EMPTY_SERIES,
  sample: null,
  sampling: false,
  checkpoints: [],
  message: '',
  notes: [],
  preview: null,
  columns: [],
  suggestions: [],
  engines: [],
  engine: 'builtin',
  nproc: 1,
  runOn: 'here',
  queue: '',
  cannotPause: null,
};

/** Keys training.monitor logs (eval_fid, eval_error, eval_acc_<group>, eval_kept, eval_l1): a chart of their own, not losses. */
export const MEASURED_PREFIX = 'eval_';

/**
 * The axis a measured value is drawn against: FID (tens to thousands) on a right-hand axis of its
 * own, so the fractions and L1 distances on the left (0 to 1) are not flattened against zero.
 */
export const measuredAxis = (term: string): 'FID' | 'y' => (term.startsWith('eval_fid') ? 'FID' : 'y');

/**
 * The losses, and the measured values on the iterations that have one (a few points a run, at
 * another scale than the losses: FID in the hundreds, accuracies in [0, 1]).
 */
export function splitMeasured(s: LossSeries): { losses: LossSeries; measured: LossSeries } {
  const pick = (measured: boolean) => Object.fromEntries(Object.entries(s.terms).filter(([k]) => k.startsWith(MEASURED_PREFIX) === measured));
  const measuredTerms = pick(true);
  const rows = s.x.map((_, i) => i).filter((i) => Object.values(measuredTerms).some((v) => v[i] !== null && v[i] !== undefined));
  return {
    losses: { x: s.x, terms: pick(false) },
    measured: { x: rows.map((i) => s.x[i]!), terms: Object.fromEntries(Object.entries(measuredTerms).map(([k, v]) => [k, rows.map((i) => v[i] ?? null)])) },
  };
}

/** Appends one iteration's losses; a term seen first now gets nulls for the earlier points. */
export function appendLosses(s: LossSeries, iteration: number, losses: Readonly<Record<string, number>>): LossSeries {
  const n = s.x.length;
  const terms: Record<string, (number | null)[]> = {};
  for (const [k, v] of Object.entries(s.terms)) terms[k] = [...v, losses[k] ?? null];
  for (const [k, v] of Object.entries(losses)) if (!terms[k]) terms[k] = [...Array<null>(n).fill(null), v];
  return { x: [...s.x, iteration], terms };
}

export class TrainingStore {
  private state: TrainingState = INITIAL_TRAINING;
  private readonly listeners = new Set<() => void>();
  getState = (): TrainingState => this.state;
  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  set(patch: Partial<TrainingState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }
}
