// The vocabulary of backend selection, kept apart so front ends can format a report
// without loading any tfjs code.

/**
 * The backends we know how to start, in the order 'auto' tries them. 'native' (our oneDNN
 * addon) comes before webgpu: on a machine without a real GPU webgpu is emulated on the CPU
 * and auto skips it anyway, and with a real one tfjs-node-gpu is usually there first.
 */
export const BACKEND_ORDER = ['tfjs-node-gpu', 'native', 'webgpu', 'wasm', 'cpu'] as const;

export type BackendName = (typeof BACKEND_ORDER)[number];
export type BackendPreference = 'auto' | BackendName;

/**
 * active: the backend now in use; available: loads and works but was not chosen;
 * skipped: not tried, or deliberately passed over (e.g. a CPU-emulated GPU);
 * failed: tried and could not load.
 */
export type CandidateStatus = 'active' | 'available' | 'skipped' | 'failed';

export interface CandidateReport {
  name: BackendName;
  status: CandidateStatus;
  reason: string;
  details: Record<string, unknown>;
}

export interface BackendReport {
  /** Our name for the active backend. */
  active: BackendName;
  /** The name tfjs knows it by (tfjs-node-gpu registers as 'tensorflow'). */
  tfjsName: string;
  candidates: CandidateReport[];
}

export function isBackendPreference(value: string): value is BackendPreference {
  return value === 'auto' || (BACKEND_ORDER as readonly string[]).includes(value);
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] ?? e.message;
  if (typeof e === 'object' && e !== null && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}
