// The training step's memory, estimated from the built model before the first iteration,
// and checked against what the backend can have (core/runtime/memory-*.ts).

import type { GanModule } from '../modules/create';
import { type MemoryBudget, type MemoryVerdict, type ModuleNodeKind, type ModuleSpec, type TrainingModules, checkMemory, estimateTraining } from '../runtime/memory-estimate';
import type { Part, TrainModel } from './model';

function spec(part: Part<GanModule>, imageSize: number): ModuleSpec {
  const m = part.module;
  const kind = m.nodeKind as ModuleNodeKind;
  const side = kind === 'encoder' || kind === 'discriminator' ? imageSize : imageSize / 4;
  return { id: part.id, kind, params: m.params, side, weights: Object.values(m.variables).reduce((n, v) => n + v.size, 0) };
}

export function trainingModules(model: TrainModel, imageSize: number): TrainingModules {
  return {
    mode: model.mode,
    base: spec(model.base, imageSize),
    transformers: model.transformers.map((t) => spec(t, imageSize)),
    reconstructor: spec(model.reconstructor, imageSize),
    discriminators: model.discriminators.map((d) => spec(d, imageSize)),
  };
}

/** Refuses (or warns about) a batch size the backend cannot hold, naming what to change. */
export function checkTrainingMemory(model: TrainModel, batchSize: number, imageSize: number, budget: MemoryBudget | null, fusedNorm = false): MemoryVerdict {
  const estimate = estimateTraining(trainingModules(model, imageSize), batchSize, { fusedNorm });
  return checkMemory(
    estimate,
    budget,
    `Training at batch size ${batchSize} and ${imageSize} px`,
    'lower the batch size in the training settings (or the image size of the dataset, or the base channels of the modules)',
  );
}
