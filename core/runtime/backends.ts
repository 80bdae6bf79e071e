// Backend selection: try the fast backends first and fall back, and say for every candidate
// what happened, so a slow run on a user's machine can be explained ("tfjs-node-gpu is not
// installed", "no GPU adapter") instead of guessed at.

import * as tf from '@tensorflow/tfjs-core';
import {
  BACKEND_ORDER,
  type BackendName,
  type BackendPreference,
  type BackendReport,
  type CandidateReport,
  errorMessage,
} from './backend-report';
import { BackendLoadError, type Loaded, type LoaderOptions, loaderFor } from './backend-loaders';
import { ensureGradients } from './gradients';

export interface InitBackendOptions extends LoaderOptions {
  /**
   * Also load the candidates after the chosen one, so the report says which others would work
   * (default true). Costs a second or so; a training run that only needs the backend can skip it.
   */
  probeAll?: boolean;
  /** Let 'auto' choose a WebGPU adapter that runs on the CPU (lavapipe); default false. */
  allowCpuWebgpu?: boolean;
  /** Register tfjs-core's gradient functions, needed for training (default true; ~1 s once). */
  gradients?: boolean;
}

/** Thrown when a requested backend cannot be used; carries the full report. */
export class BackendUnavailableError extends Error {
  constructor(
    message: string,
    readonly report: CandidateReport[],
  ) {
    super(message);
  }
}

const loadedNames = new Map<BackendName, string>();

/** The tfjs name of a backend that initBackend has loaded, e.g. for tf.setBackend. */
export function tfjsNameOf(name: BackendName): string | undefined {
  return loadedNames.get(name);
}

async function tryLoad(name: BackendName, opts: InitBackendOptions): Promise<{ loaded?: Loaded; failure?: CandidateReport }> {
  try {
    const loaded = await loaderFor(name)(opts);
    loadedNames.set(name, loaded.tfjsName);
    return { loaded };
  } catch (e) {
    const details = e instanceof BackendLoadError ? e.details : {};
    return { failure: { name, status: 'failed', reason: errorMessage(e), details } };
  }
}

export async function initBackend(preference: BackendPreference = 'auto', opts: InitBackendOptions = {}): Promise<BackendReport> {
  // tfjs's own console advice (install tfjs-node, on every start) is not for our users: the
  // report returned here says which backend runs and why. PROD only silences those messages.
  tf.env().set('PROD', true);
  if (opts.gradients !== false) await ensureGradients();
  if (preference !== 'auto') return initExactly(preference, opts);
  const candidates: CandidateReport[] = [];
  let active: { name: BackendName; tfjsName: string } | undefined;
  for (const name of BACKEND_ORDER) {
    if (active && opts.probeAll === false) {
      candidates.push({ name, status: 'skipped', reason: `not tried: ${active.name} was chosen first`, details: {} });
      continue;
    }
    const { loaded, failure } = await tryLoad(name, opts);
    if (!loaded) {
      candidates.push(failure!);
      continue;
    }
    if (loaded.notForAuto && !opts.allowCpuWebgpu) {
      candidates.push({ name, status: 'skipped', reason: `available but skipped: ${loaded.notForAuto}`, details: loaded.details });
    } else if (active) {
      candidates.push({ name, status: 'available', reason: `works; ${active.name} comes first`, details: loaded.details });
    } else {
      active = { name, tfjsName: loaded.tfjsName };
      candidates.push({ name, status: 'active', reason: 'first candidate that loaded', details: loaded.details });
    }
  }
  // cpu is pure JS and always loads, so 'auto' always ends with an active backend.
  if (!active) throw new BackendUnavailableError('no tfjs backend could be loaded', candidates);
  await tf.setBackend(active.tfjsName);
  return { active: active.name, tfjsName: active.tfjsName, candidates };
}

async function initExactly(name: BackendName, opts: InitBackendOptions): Promise<BackendReport> {
  const { loaded, failure } = await tryLoad(name, opts);
  const others: CandidateReport[] = BACKEND_ORDER.filter((n) => n !== name).map((n) => ({
    name: n,
    status: 'skipped',
    reason: `not tried: backend '${name}' was requested`,
    details: {},
  }));
  if (!loaded) {
    throw new BackendUnavailableError(`backend '${name}' was requested but could not be used: ${failure!.reason}`, [failure!, ...others]);
  }
  const reason = loaded.notForAuto ? `requested (note: ${loaded.notForAuto})` : 'requested';
  const mine: CandidateReport = { name, status: 'active', reason, details: loaded.details };
  return { active: name, tfjsName: loaded.tfjsName, candidates: [mine, ...others] };
}
