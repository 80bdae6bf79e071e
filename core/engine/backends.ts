// Choosing what computes, by name, for every front door: the tfjs backends (one list,
// BACKEND_ORDER in core/runtime/backend-report.ts) and, for inference, onnxruntime. Help
// texts, the choices a front end offers and the refusals are all made from that list, so a
// backend added there is offered, accepted and named everywhere at once.

import { BACKEND_ORDER, type BackendName, type BackendPreference, type BackendReport, type CandidateReport, isBackendPreference } from '../runtime/backend-report';
import { BackendUnavailableError, initBackend } from '../runtime/backends';
import { type EngineChoice, RunError } from '../runtime/executor';
import { type BackendBench, microbenchAll } from '../runtime/microbench';

export type { BackendBench, BackendName, BackendPreference, BackendReport, CandidateReport };

/** Every tfjs backend we can start, in the order 'auto' tries them. */
export const BACKEND_NAMES = BACKEND_ORDER;
/** What training and evaluation accept: auto or one tfjs backend. */
export const TRAINING_BACKENDS = ['auto', ...BACKEND_ORDER] as const;
/** What run and batch accept: also onnxruntime, which runs the whole graph as one ONNX model. */
export const INFERENCE_BACKENDS = ['auto', 'onnxruntime', ...BACKEND_ORDER] as const;
export type InferenceBackend = (typeof INFERENCE_BACKENDS)[number];

/** "a, b, c or d" */
export const listChoices = (names: readonly string[]): string => (names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`);

/** The refusal of a backend name, the same from every front door. `what` names where it came from ("--backend", "training.backend in p.mgproj.json"). */
export const unknownBackendMessage = (given: string, choices: readonly string[], what = '--backend'): string =>
  `unknown backend '${given}': ${what} must be ${listChoices(choices)}`;

export const isInferenceBackend = (name: string): name is InferenceBackend => (INFERENCE_BACKENDS as readonly string[]).includes(name);

/** A training backend by name, or a RunError naming the choices. */
export function parseTrainingBackend(name: string, what = '--backend'): BackendPreference {
  if (!isBackendPreference(name)) throw new RunError(unknownBackendMessage(name, TRAINING_BACKENDS, what));
  return name;
}

/**
 * Starts what a run or batch computes with: onnxruntime (tfjs then only holds the weights), a
 * tfjs backend (which then runs the graph), or auto (the executor picks: tfjs on GPU backends and
 * the native one, onnxruntime on the other CPU backends).
 */
export async function chooseInferenceEngine(name: string = 'auto', what = '--backend'): Promise<EngineChoice> {
  if (!isInferenceBackend(name)) throw new RunError(unknownBackendMessage(name, INFERENCE_BACKENDS, what));
  if (name === 'onnxruntime') {
    await initBackend('cpu', { probeAll: false, gradients: false });
    return 'onnxruntime';
  }
  await initBackend(name, { gradients: false });
  return name === 'auto' ? 'auto' : 'tfjs';
}

/** The one inference backend of an engine that lives long (the studio's): started once, on first use. */
export function sharedInferenceEngine(): () => Promise<EngineChoice> {
  let started: Promise<EngineChoice> | undefined;
  return () => {
    // A failed start is not kept: the next run tries again (and says why again).
    started ??= chooseInferenceEngine('auto').catch((e: unknown) => {
      started = undefined;
      throw e;
    });
    return started;
  };
}

/**
 * Starts the backend a training (or evaluation) runs on: the one asked for, else the project's
 * training.backend, else auto. Gradients are registered (training needs them).
 */
export async function startTrainingBackend(asked: string | undefined, fromProject?: { readonly backend?: string; readonly file: string }): Promise<BackendReport> {
  const name = asked ?? fromProject?.backend ?? 'auto';
  const what = asked === undefined && fromProject?.backend !== undefined ? `training.backend in ${fromProject.file}` : '--backend';
  return initBackend(parseTrainingBackend(name, what), { probeAll: false });
}

export type BackendsProbe =
  | { readonly ok: true; readonly report: BackendReport; readonly bench?: Record<string, BackendBench> }
  | { readonly ok: false; readonly message: string; readonly candidates: readonly CandidateReport[] };

/** Which backends load here and why others do not, with a conv/matMul micro-benchmark of each that loads. */
export async function probeBackends(opts: { backend?: string; bench?: boolean; quick?: boolean } = {}): Promise<BackendsProbe> {
  const name = opts.backend ?? 'auto';
  if (!isBackendPreference(name)) return { ok: false, message: unknownBackendMessage(name, TRAINING_BACKENDS), candidates: [] };
  let report: BackendReport;
  try {
    report = await initBackend(name, { gradients: false });
  } catch (e) {
    if (!(e instanceof BackendUnavailableError)) throw e;
    return { ok: false, message: e.message, candidates: e.report };
  }
  const bench = opts.bench === false ? undefined : await microbenchAll(report, { quick: opts.quick ?? false });
  return { ok: true, report, ...(bench ? { bench } : {}) };
}
