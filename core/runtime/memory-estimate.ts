// How much memory a run or a training step will need, estimated before it starts, so that
// a batch size the machine cannot hold is refused with a message that names the setting to
// change, instead of the engine dying of out-of-memory half an hour in. Pure arithmetic over
// module parameters (no tensors); core/runtime/memory-budget.ts says what the backend has.
//
// The model: every module is a chain of "units" (conv, then instance norm and ReLU, or a
// leaky ReLU in D) whose output sizes follow from its parameters. tfjs keeps each op's
// output: inside a module's tidy during inference, and on the gradient tape for a whole
// training step, where the step's backward pass needs about as much again. The constants
// were fitted to tf.profile's peak bytes of real training steps on the cpu backend and
// checked against the wasm heap of the standard iteration (test/unit/runtime/memory-estimate.test.ts).

import type { ModuleNodeKind } from '../modules/create';

export type { ModuleNodeKind };

export interface ModuleSpec {
  /** Node id, for messages. */
  readonly id: string;
  readonly kind: ModuleNodeKind;
  /** Resolved parameters (baseChannels, resBlocks, attributes, imageSize, depth, ...). */
  readonly params: Readonly<Record<string, unknown>>;
  /** Side of the map it reads: the image for E and D, the feature map for T and R (G: ignored). */
  readonly side: number;
  /** Number of weights (float32 values) it holds. */
  readonly weights: number;
}

export interface MemoryEstimate {
  readonly bytes: number;
  /** Weights, with the copies the work keeps of them (an engine's, gradients, Adam's moments). */
  readonly weightBytes: number;
  /** Activations, and the batches loaded ahead. */
  readonly activationBytes: number;
  /** The module whose activations weigh most: the one to shrink if the batch cannot. */
  readonly largest: string;
  /** The module whose weights weigh most (bytes with their copies): the one to shrink when weights dominate. */
  readonly heaviest?: {
    readonly id: string;
    readonly kind: ModuleNodeKind;
    readonly params: Readonly<Record<string, unknown>>;
    /** Its weights once. */
    readonly weightBytes: number;
    /** With the copies the work keeps (bytes ≥ weightBytes). */
    readonly bytes: number;
  };
  /** The largest single tensor (a backend may cap one buffer, as WebGPU does). */
  readonly largestTensorBytes: number;
}

const F32 = 4;
/** Tensors kept per unit: conv, 4 for composite instance norm, ReLU; 2 with a fused norm. */
const UNIT_TENSORS = 6;
const FUSED_UNIT_TENSORS = 2;
/**
 * Measured: the training step's peak over the op outputs its tape holds (the backward pass
 * and temporaries). tf.profile's peak bytes on the cpu backend over five small
 * configurations (16-32 px, base 4-8, batch 2-4) gave 4.4-5.0; the standard iteration
 * (64 px, base 32, 3 T × 3 residual blocks, batch 16) 3.8-3.9 on wasm (heap 3.8 GB) and
 * native. Fitted to the large ones: they are the ones near a limit.
 */
const TRAIN_FACTOR = 3.9;
/** Measured: D's gradient penalty differentiates D twice; with its real and fake passes, about 5 D passes. */
const D_PASSES = 5;
/**
 * Copies of the weights a run holds: the modules' own, the inference engine's (onnxruntime
 * builds a model holding them, then a session that keeps its own).
 */
const INFERENCE_COPIES = 3;
/** Training: the weights, their gradients, Adam's two moments. */
const TRAINING_COPIES = 4;
/** The batch in training, the loader's three ahead, and the one being assembled. */
const LOADED_BATCHES = 5;

const num = (p: Readonly<Record<string, unknown>>, k: string, fallback = 0): number => (typeof p[k] === 'number' ? (p[k] as number) : fallback);
const conditionLength = (p: Readonly<Record<string, unknown>>): number =>
  ((p.attributes as { kind: string; values?: unknown[] }[] | undefined) ?? []).reduce((n, g) => n + (g.kind === 'onehot' ? (g.values?.length ?? 0) : 1), 0);

/** Elements per item of a module's unit outputs (`units`) and of its other sizeable tensors (`extra`). */
export function moduleActivations(m: ModuleSpec): { units: number; extra: number; output: number } {
  const p = m.params;
  const b = num(p, 'baseChannels', 64);
  const rb = num(p, 'resBlocks');
  const s2 = m.side * m.side;
  switch (m.kind) {
    case 'encoder':
      // conv7 b@S², conv4 s2 2b@S²/4, conv4 s2 4b@S²/16, residual blocks 2 × 4b@S²/16
      return { units: s2 * b * (1 + 0.5 + 0.25 + rb * 0.5), extra: 0, output: (s2 / 16) * 4 * b };
    case 'transformer': {
      const c = 4 * b;
      const len = conditionLength(p);
      const mask = p.useMask === false ? 0 : 1;
      // conv3 c, residual blocks 2c each; tiled condition and concat; mask conv, tanh and blend
      return { units: s2 * c * (1 + 2 * rb), extra: s2 * (c + 2 * len + mask * (3 + 3 * c)), output: s2 * c };
    }
    case 'reconstructor':
      // residual blocks 2 × 4b@F² each, two transposed convs 2b@(2F)², b@(4F)², then conv7 to RGB and tanh
      return { units: s2 * (8 * b * rb + 8 * b + 16 * b), extra: 16 * s2 * 3 * 2, output: 16 * s2 * 3 };
    case 'generator': {
      const size = num(p, 'imageSize', 64);
      const n = Math.round(Math.log2(size / 16));
      let units = 0;
      for (let i = 0; i <= n; i++) units += 4 * b * 2 ** Math.min(n - i, 2) * (4 * 2 ** i) ** 2;
      return { units, extra: 0, output: (size / 4) ** 2 * 4 * b };
    }
    case 'discriminator': {
      const depth = num(p, 'depth', 5);
      let units = 0;
      for (let i = 0; i < depth; i++) units += b * 2 ** i * (m.side / 2 ** (i + 1)) ** 2;
      return { units, extra: 0, output: (m.side / 2 ** depth) ** 2 };
    }
  }
}

/** Elements per item a module's pass keeps: its units' op outputs plus the rest. */
function passElements(m: ModuleSpec, fused: boolean): number {
  const a = moduleActivations(m);
  // D's leaky ReLU is built from relu, neg, mul and sub (for its second derivative): never fused.
  return a.units * (fused && m.kind !== 'discriminator' ? FUSED_UNIT_TENSORS : UNIT_TENSORS) + a.extra;
}

function heaviest(modules: readonly ModuleSpec[], copies: number): MemoryEstimate['heaviest'] {
  const top = modules.reduce<ModuleSpec | undefined>((a, b) => (!a || b.weights > a.weights ? b : a), undefined);
  return top && { id: top.id, kind: top.kind, params: top.params, weightBytes: top.weights * F32, bytes: top.weights * F32 * copies };
}

function largestTensor(modules: readonly ModuleSpec[], batch: number): number {
  let max = 0;
  for (const m of modules) {
    const b = num(m.params, 'baseChannels', 64);
    const s2 = m.side * m.side;
    const per = m.kind === 'encoder' ? s2 * b : m.kind === 'reconstructor' ? 16 * s2 * Math.max(b, 3) : m.kind === 'discriminator' ? (s2 / 4) * b : m.kind === 'transformer' ? s2 * 4 * b : moduleActivations(m).output;
    max = Math.max(max, per);
  }
  return max * batch * F32;
}

export interface EstimateOptions {
  /** The backend fuses instance norm and ReLU into one kernel (our native CPU backend). */
  readonly fusedNorm?: boolean;
}

/** A graph run: modules one after another, each keeping its op outputs until it returns. */
export function estimateInference(modules: readonly ModuleSpec[], batchSize: number, opts: EstimateOptions = {}): MemoryEstimate {
  let peak = 0;
  let largest = modules[0]?.id ?? '';
  let held = 0;
  for (const m of modules) {
    const e = passElements(m, !!opts.fusedNorm);
    if (e > peak) [peak, largest] = [e, m.id];
    held += moduleActivations(m).output; // the executor keeps every port's value for the batch
  }
  const weightBytes = modules.reduce((n, m) => n + m.weights, 0) * F32 * INFERENCE_COPIES;
  const activationBytes = (peak + held) * batchSize * F32;
  return { bytes: weightBytes + activationBytes, weightBytes, activationBytes, largest, heaviest: heaviest(modules, INFERENCE_COPIES), largestTensorBytes: largestTensor(modules, batchSize) };
}

export interface TrainingModules {
  readonly mode: 'translation' | 'generation';
  readonly base: ModuleSpec;
  readonly transformers: readonly ModuleSpec[];
  readonly reconstructor: ModuleSpec;
  /** One per transformer, in order; then, in generation mode, G's own if it has one. Or the shared one. */
  readonly discriminators: readonly ModuleSpec[];
  /** With one shared D: how many modules it judges (its step reads the real batch and each one's fakes at once). */
  readonly sharedJudges?: number;
}

/** The optional training terms that put more passes on the tapes (training.lambda*, core/train/trainer.ts). */
export interface TrainingTerms {
  /** lambdaChain (with several transformers): every transformer once more, R, and each D's reading. */
  readonly chain?: boolean;
  /** lambdaIdentity (translation): each transformer asked for the input's own value, then R. */
  readonly identity?: boolean;
  /** lambdaRoundTrip (translation): each transformer once more, on E's reading of its image. */
  readonly roundTrip?: boolean;
  /** lambdaUnmasked: each masked transformer's f' through R and its D, and D learns it as a third batch. */
  readonly unmasked?: boolean;
}

export interface TrainingEstimateOptions extends EstimateOptions {
  readonly terms?: TrainingTerms;
}

/**
 * One training iteration (core/train/trainer.ts): the generator side's tape holds E (or G),
 * then per transformer T, R, its D and E again (the feature cycle), and R once more (the
 * reconstruction), plus what the optional terms add; D's step holds about five passes of each
 * D per batch it reads. The larger of the two, with its backward pass, plus weights, gradients
 * and Adam's two moments.
 */
export function estimateTraining(m: TrainingModules, batchSize: number, opts: TrainingEstimateOptions = {}): MemoryEstimate {
  const f = !!opts.fusedNorm;
  const terms = opts.terms ?? {};
  const pass = (x: ModuleSpec) => passElements(x, f);
  // A shared D (one entry) reads for every transformer.
  const dPass = (i: number) => {
    const d = m.discriminators[i] ?? m.discriminators[0];
    return d ? pass(d) : 0;
  };
  const translation = m.mode === 'translation';
  const judgesUnmasked = (t: ModuleSpec) => !!terms.unmasked && t.params.useMask !== false;
  let g = pass(m.base) + pass(m.reconstructor);
  m.transformers.forEach((t, i) => {
    g += pass(t) + pass(m.reconstructor) + dPass(i) + (translation ? pass(m.base) : 0);
    if (terms.identity && translation) g += pass(t) + pass(m.reconstructor);
    if (terms.roundTrip && translation) g += pass(t);
    if (judgesUnmasked(t)) g += pass(m.reconstructor) + dPass(i);
  });
  if (terms.chain && m.transformers.length > 1) {
    // A shared D reads the composed image once; one D per transformer each read it.
    const readers = m.sharedJudges ? dPass(0) : m.transformers.reduce((n, _, i) => n + dPass(i), 0);
    g += m.transformers.reduce((n, t) => n + pass(t), 0) + pass(m.reconstructor) + readers;
  }
  if (m.mode === 'generation' && m.discriminators.length > m.transformers.length) g += pass(m.reconstructor) + pass(m.discriminators.at(-1)!);
  // A D of its own reads real and fake batches (2 per step; 3 with its transformer's R(f')); a
  // shared one the real batch and every judged module's (and their R(f')s).
  const unmaskedBatches = m.transformers.filter(judgesUnmasked).length;
  const dBatches = (i: number) => {
    if (m.sharedJudges) return (1 + m.sharedJudges + unmaskedBatches) / 2;
    const t = m.transformers[i];
    return t && judgesUnmasked(t) ? 1.5 : 1;
  };
  const d = m.discriminators.reduce((n, x, i) => n + D_PASSES * pass(x) * dBatches(i), 0);
  const all = [m.base, ...m.transformers, m.reconstructor, ...m.discriminators];
  // Which module to shrink: the one that weighs most on the tape.
  const largest = all.reduce((a, b) => (pass(b) > pass(a) ? b : a)).id;
  // The loader keeps a few batches ahead of the one being trained on (core/data/loader.ts).
  const side = m.base.kind === 'generator' ? num(m.base.params, 'imageSize', 64) : m.base.side;
  const batches = LOADED_BATCHES * batchSize * side * side * 3 * F32;
  const activationBytes = TRAIN_FACTOR * Math.max(g, d) * batchSize * F32 + batches;
  const weightBytes = all.reduce((n, x) => n + x.weights, 0) * F32 * TRAINING_COPIES;
  return { bytes: weightBytes + activationBytes, weightBytes, activationBytes, largest, heaviest: heaviest(all, TRAINING_COPIES), largestTensorBytes: largestTensor(all, batchSize) };
}

/** What the backend can give: from memory-budget.ts (Node) or a test. */
export interface MemoryBudget {
  readonly bytes: number;
  /** "this machine has 22 GB free", "the wasm backend can address 4 GB". */
  readonly what: string;
  /** The largest single buffer, where the backend caps it (WebGPU). */
  readonly maxBufferBytes?: number;
}

export type MemoryVerdict = { readonly ok: true; readonly warning?: string } | { readonly ok: false; readonly message: string };

export function formatBytes(bytes: number): string {
  const gb = bytes / 1e9;
  if (gb >= 10) return `${Math.round(gb)} GB`;
  if (gb >= 1) return `${gb.toFixed(1)} GB`;
  return `${Math.max(1, Math.round(bytes / 1e6))} MB`;
}

/** Above this share of the budget a start is allowed with a warning. */
const WARN_SHARE = 0.8;

/** "base channels 512, 32 residual blocks": the knobs that size a module's weights. */
function describeModule(kind: ModuleNodeKind, p: Readonly<Record<string, unknown>>): string {
  const parts = [`base channels ${num(p, 'baseChannels', 64)}`];
  if (kind === 'encoder' || kind === 'transformer') parts.push(`${num(p, 'resBlocks')} residual blocks`);
  if (kind === 'discriminator') parts.push(`depth ${num(p, 'depth', 5)}`);
  if (kind === 'generator') parts.push(`${num(p, 'imageSize', 64)} px`);
  return parts.join(', ');
}

/** What to lower when a module's weights are what does not fit. */
function weightsFix(kind: ModuleNodeKind): string {
  switch (kind) {
    case 'encoder':
    case 'transformer':
      return 'lower its base channels or its residual blocks';
    case 'discriminator':
      return "lower the discriminators' base channels or depth (training.dBaseChannels, training.dDepth)";
    default:
      return 'lower its base channels';
  }
}

/**
 * The verdict, in words: what would run and how much it needs (weights and activations
 * apart), what there is, and the part to shrink — the heaviest module's weights when the
 * weights are most of it (a smaller batch would not help), else `fix` (the batch, the image
 * size). `action` says what would run ("Training at batch size 64 and 256 px").
 */
export function checkMemory(estimate: MemoryEstimate, budget: MemoryBudget | null, action: string, fix: string): MemoryVerdict {
  if (!budget) return { ok: true };
  if (budget.maxBufferBytes !== undefined && estimate.largestTensorBytes > budget.maxBufferBytes)
    return { ok: false, message: `${action} makes a ${formatBytes(estimate.largestTensorBytes)} tensor (in ${estimate.largest}); the GPU takes at most ${formatBytes(budget.maxBufferBytes)} in one buffer — ${fix}.` };
  if (estimate.bytes <= WARN_SHARE * budget.bytes) return { ok: true };
  const h = estimate.heaviest;
  const byWeights = h !== undefined && estimate.weightBytes > estimate.activationBytes;
  const need = `${action} needs about ${formatBytes(estimate.bytes)} (${formatBytes(estimate.weightBytes)} for weights, ${formatBytes(estimate.activationBytes)} for activations)`;
  const culprit = byWeights
    ? `most of it is weights; the largest module is ${h.kind} '${h.id}' (${describeModule(h.kind, h.params)}: ${formatBytes(h.weightBytes)} of weights${h.bytes > h.weightBytes ? `, ${formatBytes(h.bytes)} with their copies` : ''})`
    : `most of it is activations, the largest in '${estimate.largest}'`;
  const what = byWeights ? weightsFix(h.kind) : fix;
  if (estimate.bytes > budget.bytes) return { ok: false, message: `${need}; ${budget.what}. ${cap(culprit)} — ${what}.` };
  return { ok: true, warning: `${need}; ${budget.what}: it may run out of memory. ${cap(culprit)}; if it does, ${what}.` };
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
