// Which failures are the user's to mend and which are bugs. A front end prints the first as
// one line and keeps the stack trace of the second.

import { RunError } from '../runtime/executor';
import { writeErrorReason } from '../runtime/output-writer';
import { DocumentError } from './documents';

export { RunError };
/** What went wrong, as text, whatever was thrown: the contract's rule, for the engine's own messages too. */
export { errorText } from '../api/dispatch';

/**
 * The one-line message for an error a run or batch ends with: a RunError's or a document's,
 * or a file-system error's (a disk that filled up while the report was written, say) with the
 * path and reason. Undefined for anything else, which is a bug and keeps its stack trace.
 */
export function userErrorMessage(e: unknown): string | undefined {
  if (e instanceof RunError || e instanceof DocumentError) return e.message;
  const err = e as NodeJS.ErrnoException;
  if (e instanceof Error && typeof err.code === 'string' && typeof err.syscall === 'string') return `${err.path ? `${err.path}: ` : ''}${writeErrorReason(e)}`;
  return undefined;
}

/** The node a failure is about, when it names one. */
export const errorNode = (e: unknown): string | undefined => (e instanceof RunError ? e.node : undefined);
