// The training step's memory, estimated from the planned model (parameters only, so before a
// single weight is allocated), and checked against what the backend can have
// (core/runtime/memory-*.ts).

import { moduleWeightCount } from '../modules/create';
import { type MemoryBudget, type MemoryVerdict, type ModuleNodeKind, type ModuleSpec, type TrainingModules, type TrainingTerms, checkMemory, estimateInference, estimateTraining } from '../runtime/memory-estimate';
import type { PartPlan, TrainModel, TrainModelPlan } from './model';
import type { TrainSettings } from './trainer';

/** A module as the estimate needs it: built (a TrainModel's part) or only planned. */
type PartLike = PartPlan | TrainModel['all'][number];

function spec(part: PartLike, imageSize: number): ModuleSpec {
  const [id, kind, params] = 'module' in part ? [part.id, part.module.nodeKind as ModuleNodeKind, part.module.params] : [part.node.id, part.kind, part.resolved];
  const side = kind === 'encoder' || kind === 'discriminator' ? imageSize : imageSize / 4;
  return { id, kind, params, side, weights: moduleWeightCount(kind, params) };
}

export function trainingModules(model: TrainModel | TrainModelPlan, imageSize: number): TrainingModules {
  const parts = model as { base: PartLike; transformers: readonly PartLike[]; reconstructor: PartLike; discriminators: readonly PartLike[] };
  const shared = 'sharedD' in model ? model.sharedD : undefined;
  const judges = shared ? model.discriminators.length : 'judged' in model ? model.judged?.length : undefined;
  return {
    mode: model.mode,
    base: spec(parts.base, imageSize),
    transformers: parts.transformers.map((t) => spec(t, imageSize)),
    reconstructor: spec(parts.reconstructor, imageSize),
    // A shared D: a built model's views have no weights; a plan lists the one D and what it judges.
    discriminators: (shared ? [shared] : parts.discriminators).map((d) => spec(d, imageSize)),
    ...(judges ? { sharedJudges: judges } : {}),
  };
}

/** Which of the optional terms that add passes to a training step are on. */
export function trainingTerms(cfg: Pick<TrainSettings, 'lambdaChain' | 'lambdaIdentity' | 'lambdaRoundTrip' | 'lambdaUnmasked'>): TrainingTerms {
  return { chain: !!cfg.lambdaChain, identity: !!cfg.lambdaIdentity, roundTrip: !!cfg.lambdaRoundTrip, unmasked: !!cfg.lambdaUnmasked };
}

/** Refuses (or warns about) a training the backend cannot hold, naming the numbers and what to change. */
export function checkTrainingMemory(model: TrainModel | TrainModelPlan, batchSize: number, imageSize: number, budget: MemoryBudget | null, fusedNorm = false, terms: TrainingTerms = {}): MemoryVerdict {
  const estimate = estimateTraining(trainingModules(model, imageSize), batchSize, { fusedNorm, terms });
  return checkMemory(
    estimate,
    budget,
    `Training at batch size ${batchSize} and ${imageSize} px`,
    'lower the batch size in the training settings (or the image size of the dataset, or the base channels of the modules)',
  );
}

/**
 * A sample grid of the model outside training ("Sample now" with no run holding the model):
 * every module built (discriminators too, as training builds them) and `items` images
 * through the chain.
 */
export function checkSampleMemory(plan: TrainModelPlan, items: number, imageSize: number, budget: MemoryBudget | null, fusedNorm = false): MemoryVerdict {
  const m = trainingModules(plan, imageSize);
  const chain = estimateInference([m.base, ...m.transformers, m.reconstructor], items, { fusedNorm });
  const dWeights = m.discriminators.reduce((n, d) => n + d.weights, 0) * 4;
  return checkMemory(
    { ...chain, bytes: chain.bytes + dWeights, weightBytes: chain.weightBytes + dWeights },
    budget,
    `A sample grid of ${items} images at ${imageSize} px`,
    'lower the image size of the dataset or the base channels of the modules',
  );
}
