// Who trains a project: the engine in the studio's own process, or PyTorch
// (python/modulargan_torch). One list, read by the contract (startTraining's schema), the
// engine (core/engine/train.ts), the command line's --engine and the Training tab's picker.

export const TRAINING_ENGINES = ['builtin', 'torch'] as const;
export type TrainingEngine = (typeof TRAINING_ENGINES)[number];

export const isTrainingEngine = (name: string): name is TrainingEngine => (TRAINING_ENGINES as readonly string[]).includes(name);

/** The most data-parallel processes one machine's torchrun is asked for (one per GPU, or a few CPU processes). */
export const MAX_LOCAL_PROCESSES = 64;

/** Why a training on a queue worker has no Pause (the Training tab shows it on the disabled button). */
export const QUEUE_CANNOT_PAUSE =
  'A training on a queue runs on a worker’s machine, which does not wait between iterations: Stop writes a checkpoint there, and "Resume from it" continues exactly where it stopped.';
