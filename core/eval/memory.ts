// What an evaluation will hold, estimated before it loads a single weight: the attribute
// classifier in training (its weights, Adam's state, a batch's activations), the trained
// runs it compares (the ModularGAN run and at most two derived ones of the same sizes), and a
// chunk of test images going through their chains and the classifier. Checked against what
// the backend can have, as runs and trainings are (core/runtime/memory-*.ts).

import { type MemoryBudget, type MemoryEstimate, type MemoryVerdict, checkMemory, estimateInference } from '../runtime/memory-estimate';
import type { TrainModelPlan } from '../train/model';
import { trainingModules } from '../train/memory';

const F32 = 4;
/** As core/runtime/memory-estimate.ts: a training step's tape and backward pass over its forward outputs. */
const TRAIN_FACTOR = 3.9;
/**
 * Tensors the classifier keeps per item, in units of S²·width: the stem's conv, bias and
 * ReLU (3), then per stage s at (S/2^s)² and width·2^s two basic blocks of about 15 op
 * outputs together (convs, biases, ReLUs, the projection and the sum): 15·(1 + ½ + ¼ + ⅛).
 */
const CLASSIFIER_UNITS = 3 + 15 * 1.875;

export interface ClassifierShape {
  readonly imageSize: number;
  readonly width: number;
  /** Label slots (the head's outputs). */
  readonly slots: number;
}

/** The classifier's weights (ResNet-18-style, core/eval/classifier.ts), from its settings. */
export function classifierWeights(c: ClassifierShape): number {
  let n = 9 * 3 * c.width + c.width;
  let cin = c.width;
  for (let s = 0; s < 4; s++) {
    const cout = c.width * 2 ** s;
    for (let b = 0; b < 2; b++) {
      n += 9 * cin * cout + cout + 9 * cout * cout + cout + (cin !== cout ? cin * cout : 0);
      cin = cout;
    }
  }
  return n + cin * c.slots + c.slots;
}

/** The classifier trained on batches of `batch`: weights, gradients, Adam's moments, the step's activations. */
export function estimateClassifierTraining(c: ClassifierShape, batch: number): MemoryEstimate {
  const weightBytes = classifierWeights(c) * F32 * 4;
  const perItem = CLASSIFIER_UNITS * c.imageSize * c.imageSize * c.width + c.imageSize * c.imageSize * 3;
  const activationBytes = TRAIN_FACTOR * perItem * batch * F32;
  return {
    bytes: weightBytes + activationBytes,
    weightBytes,
    activationBytes,
    largest: 'the attribute classifier',
    largestTensorBytes: c.imageSize * c.imageSize * c.width * batch * F32,
  };
}

export interface EvalMemoryOptions {
  readonly classifier: ClassifierShape;
  /** Images per classifier training step (core/eval/classifier-train.ts: 32). */
  readonly classifierBatch: number;
  /** Test images per protocol chunk (core/eval/protocol.ts: 25). */
  readonly chunk: number;
  /** Trained runs held at once: the ModularGAN run, the baseline, the λ_cyc = 0 variant. */
  readonly runs: number;
}

/** The classifier alone (`eval --classifier-only`, or before the runs are loaded). */
export function checkClassifierMemory(c: ClassifierShape, batch: number, budget: MemoryBudget | null): MemoryVerdict {
  return checkMemory(
    estimateClassifierTraining(c, batch),
    budget,
    `Training the attribute classifier (width ${c.width}) at ${c.imageSize} px, ${batch} images a step`,
    'lower the classifier width (--classifier-width) or the image size of the dataset',
  );
}

/** The whole evaluation of `plan` (the ModularGAN run's modules, as training built them). */
export function checkEvalMemory(plan: TrainModelPlan, imageSize: number, opts: EvalMemoryOptions, budget: MemoryBudget | null): MemoryVerdict {
  const m = trainingModules(plan, imageSize);
  // A run loaded for evaluation holds every module training built, discriminators too.
  const all = [m.base, ...m.transformers, m.reconstructor, ...m.discriminators];
  const runWeights = all.reduce((n, x) => n + x.weights, 0) * F32;
  const top = all.reduce((a, b) => (b.weights > a.weights ? b : a));
  const chain = estimateInference([m.base, ...m.transformers, m.reconstructor], opts.chunk);
  const classifier = estimateClassifierTraining(opts.classifier, opts.classifierBatch);
  const weightBytes = opts.runs * runWeights + classifier.weightBytes;
  const activationBytes = Math.max(classifier.activationBytes, chain.activationBytes);
  const biggest = classifier.activationBytes >= chain.activationBytes ? classifier.largest : chain.largest;
  const estimate: MemoryEstimate = {
    bytes: weightBytes + activationBytes,
    weightBytes,
    activationBytes,
    largest: biggest,
    heaviest: { id: top.id, kind: top.kind, params: top.params, weightBytes: top.weights * F32, bytes: top.weights * F32 * opts.runs },
    largestTensorBytes: Math.max(classifier.largestTensorBytes, chain.largestTensorBytes),
  };
  return checkMemory(
    estimate,
    budget,
    `Evaluating ${opts.runs} trained run(s) at ${imageSize} px`,
    'lower the image size of the dataset, the classifier width (--classifier-width), or the base channels of the modules',
  );
}
