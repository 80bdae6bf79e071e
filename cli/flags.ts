// What every command does with its flags and its failures: whole numbers checked by name,
// and a document that cannot be opened printed one problem a line.

import { DocumentError, formatFileError } from '../core/engine/documents';
import { RunError, userErrorMessage } from '../core/engine/errors';

/** A whole-number option, e.g. --batch 8. */
export function wholeNumber(v: string | undefined, name: string, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new RunError(`--${name} must be a whole number, got '${v}'`);
  return n;
}

/** A count option that may be left out, e.g. --iterations 500: undefined when absent, else a whole number of at least `min`. */
export function optionalCount(v: string | undefined, name: string, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new RunError(`--${name} must be a whole number of at least ${min}, got '${v}'`);
  return n;
}

/** "file:line:col: error: message", one line per problem; returns the exit code 1. */
export function printDocumentErrors(e: DocumentError, log: (line: string) => void): number {
  for (const err of e.errors) log(formatFileError(e.file, { ...err, message: `error: ${err.message}` }));
  return 1;
}

/**
 * The end of a command whose set-up errors come from many layers (training, eval, export), each
 * with a message meant for the user: any Error as one "error:" line (exit 1); anything thrown
 * that is not an Error is rethrown.
 */
export function errorLine(e: unknown, log: (line: string) => void): number {
  if (!(e instanceof Error)) throw e;
  log(`error: ${e.message}`);
  return 1;
}

/**
 * The end of a command that failed: a document's problems one a line, a user's mistake or a
 * file system's refusal as one "error:" line (exit 1); anything else is a bug and is rethrown
 * with its stack trace.
 */
export function commandFailed(e: unknown, log: (line: string) => void): number {
  if (e instanceof DocumentError) return printDocumentErrors(e, log);
  const message = userErrorMessage(e);
  if (message === undefined) throw e;
  log(`error: ${message}`);
  return 1;
}
