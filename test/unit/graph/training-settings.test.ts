// The Training tab's settings take their ranges from the project format's schema: what the
// form refuses is exactly what a project file may not hold, worded for a person.

import { describe, expect, it } from 'vitest';
import { TRAINING_SETTINGS, describeRange, trainingSettingProblem } from '../../../core/graph/format/training-settings';
import { trainingSchema } from '../../../core/graph/format/schemas';

const valid = (key: string, v: number) => trainingSchema.safeParse({ mode: 'translation', dataset: 'd', [key]: v }).success;

describe('training settings', () => {
  it('agree with the project schema at and beyond every bound', () => {
    for (const s of TRAINING_SETTINGS) {
      const probes = [s.min, s.min - 1, s.min + 0.5, s.max, s.max + 1, 1, 0.5].filter(Number.isFinite);
      for (const v of probes) expect(trainingSettingProblem(s.key, v) === null, `${s.key} = ${v}`).toBe(valid(s.key, v));
    }
  });

  it('read the bounds from the schema (batch size up to 1,024, learning rate above 0 and at most 1)', () => {
    const by = Object.fromEntries(TRAINING_SETTINGS.map((s) => [s.key, s]));
    expect(by.batchSize).toMatchObject({ min: 1, max: 1024, integer: true, above: false });
    expect(by.learningRate).toMatchObject({ min: 0, max: 1, integer: false, above: true });
    expect(by.sampleEvery!.max).toBe(Infinity);
    expect(describeRange(by.nCritic!)).toBe('a whole number from 1 to 100');
    expect(describeRange(by.checkpointEvery!)).toBe('a whole number from 1 up');
  });

  it('say what is wrong with a value, naming the setting', () => {
    expect(trainingSettingProblem('batchSize', 0)).toBe('Batch size must be a whole number from 1 to 1,024, not 0');
    expect(trainingSettingProblem('iterations', 2.5)).toMatch(/^Iterations must be a whole number/);
    expect(trainingSettingProblem('learningRate', Number.NaN)).toBe('Learning rate must be a number');
    expect(trainingSettingProblem('learningRate', 3e-4)).toBeNull();
  });
});
