// Undo history over immutable snapshots. Edits with the same group key in quick succession
// (a drag, typing in a field) merge into one step, so one Ctrl+Z undoes one gesture.

export interface History<T> {
  readonly past: readonly T[];
  readonly present: T;
  readonly future: readonly T[];
  /** Group of the last step and when it was made, for merging. */
  readonly group: string | null;
  readonly at: number;
}

export const HISTORY_LIMIT = 200;
/** Edits of one group further apart than this are separate steps. */
export const GROUP_WINDOW_MS = 1500;

export const createHistory = <T>(present: T): History<T> => ({ past: [], present, future: [], group: null, at: 0 });

export function record<T>(h: History<T>, next: T, group: string | null = null, now = Date.now(), limit = HISTORY_LIMIT): History<T> {
  if (next === h.present) return h;
  if (group !== null && group === h.group && now - h.at < GROUP_WINDOW_MS) return { ...h, present: next, future: [], at: now };
  const past = [...h.past, h.present];
  if (past.length > limit) past.splice(0, past.length - limit);
  return { past, present: next, future: [], group, at: now };
}

/** Closes the current group, so the next edit starts a new step even with the same key. */
export const seal = <T>(h: History<T>): History<T> => (h.group === null ? h : { ...h, group: null });

export function undo<T>(h: History<T>): History<T> {
  if (!h.past.length) return h;
  return { past: h.past.slice(0, -1), present: h.past[h.past.length - 1]!, future: [h.present, ...h.future], group: null, at: 0 };
}

export function redo<T>(h: History<T>): History<T> {
  if (!h.future.length) return h;
  return { past: [...h.past, h.present], present: h.future[0]!, future: h.future.slice(1), group: null, at: 0 };
}
