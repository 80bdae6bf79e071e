// The training settings a person edits in the Training tab, with their ranges read from the
// project format's own schema (trainingSchema), so the form, the file check and the trainer
// can never disagree about what is allowed.

import type { z } from 'zod';
import { trainingSchema } from './schemas';

export type TrainingSettingKey = 'iterations' | 'batchSize' | 'learningRate' | 'nCritic' | 'sampleEvery' | 'checkpointEvery';

export interface TrainingSetting {
  readonly key: TrainingSettingKey;
  readonly title: string;
  readonly help: string;
  readonly integer: boolean;
  /** Lowest allowed value; `above`: the value must be greater than it, not equal. */
  readonly min: number;
  readonly above: boolean;
  /** Highest allowed value (Infinity when the format sets none). */
  readonly max: number;
}

const WORDS: Record<TrainingSettingKey, { title: string; help: string }> = {
  iterations: { title: 'Iterations', help: 'How many iterations the run makes in all; each updates D once, and G every n_critic-th.' },
  batchSize: { title: 'Batch size', help: 'Images per iteration. Larger batches take more memory; the engine refuses one that cannot fit.' },
  learningRate: { title: 'Learning rate', help: 'Adam step size of every module (1e-4 in the paper); it decays linearly to zero from "decay from", when the project sets one.' },
  nCritic: { title: 'n_critic', help: 'D updates per G update (5 in WGAN-GP).' },
  sampleEvery: { title: 'Sample every', help: 'Iterations between sample grids (one is also made at iteration 0, and at the end).' },
  checkpointEvery: { title: 'Checkpoint every', help: 'Iterations between checkpoints (one is also written at the end and when stopped).' },
};

/** The field's schema without its default, for its bounds. */
function numberSchema(key: TrainingSettingKey): z.ZodNumber {
  let s = trainingSchema.shape[key] as z.ZodType;
  while ('unwrap' in s && typeof s.unwrap === 'function') s = s.unwrap() as z.ZodType;
  return s as z.ZodNumber;
}

export const TRAINING_SETTINGS: readonly TrainingSetting[] = (Object.keys(WORDS) as TrainingSettingKey[]).map((key) => {
  const s = numberSchema(key);
  const min = s.minValue ?? -Infinity;
  // An int schema without a maximum reports the largest safe integer: no bound for a person.
  const max = s.maxValue === null || s.maxValue >= Number.MAX_SAFE_INTEGER ? Infinity : s.maxValue;
  return { key, ...WORDS[key], integer: !!s.isInt, min, above: !s.safeParse(min).success, max };
});

const bySetting = new Map(TRAINING_SETTINGS.map((s) => [s.key, s]));

/** "a whole number from 1 to 1,024", "a number above 0 and at most 1". */
export function describeRange(s: TrainingSetting): string {
  const n = (x: number) => x.toLocaleString('en-US', { maximumSignificantDigits: 6 });
  const low = s.above ? `above ${n(s.min)}` : `from ${n(s.min)}`;
  const high = Number.isFinite(s.max) ? (s.above ? ` and at most ${n(s.max)}` : ` to ${n(s.max)}`) : s.above ? '' : ' up';
  return `${s.integer ? 'a whole number' : 'a number'} ${low}${high}`;
}

/** Why a value is not allowed for a setting, in words; null when it is. */
export function trainingSettingProblem(key: TrainingSettingKey, value: unknown): string | null {
  const s = bySetting.get(key)!;
  if (typeof value !== 'number' || Number.isNaN(value)) return `${s.title} must be a number`;
  return numberSchema(key).safeParse(value).success ? null : `${s.title} must be ${describeRange(s)}, not ${value}`;
}
