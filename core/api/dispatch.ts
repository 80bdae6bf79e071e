// The receiving side of every transport: checks a call against its schema, runs it on the
// service, and turns the outcome into a reply that can be serialised.

import { API_METHODS, type Reply, checkParams, checkResult, replySchema } from './schemas';
import type { ApiMethod, EngineApi } from './types';

/**
 * What went wrong, as text, whatever was thrown: a reply's error must be a string, and a
 * value that cannot become one (no prototype, a throwing toString) must not turn the reply
 * into a rejection, which in the engine process would be unhandled and end it.
 */
export function errorText(e: unknown): string {
  try {
    const text = e instanceof Error ? e.message : String(e);
    if (typeof text === 'string' && text) return text;
  } catch {
    // fall through
  }
  return 'the engine failed without saying why';
}

/** A call refused for what it asks to reach (a path outside the folders an engine serves), not failed at its work. */
export class RefusedError extends Error {}

/** Runs one call from an untrusted sender. Never throws: failures become { ok: false }. */
export async function dispatchCall(service: EngineApi, method: unknown, params: unknown): Promise<Reply> {
  try {
    const call = checkParams(method, params);
    const fn = service[call.method] as (...a: unknown[]) => Promise<unknown>;
    const result = await fn.apply(service, call.params);
    return { ok: true, result: checkResult(call.method, result) };
  } catch (e) {
    return { ok: false, error: errorText(e), ...(e instanceof RefusedError ? { refused: true as const } : {}) };
  }
}

/**
 * A client-side EngineApi over any request function (HTTP, IPC, a port): each reply is
 * checked against the method's result schema before the page sees it.
 */
export function createApiClient(
  send: (method: ApiMethod, params: unknown[]) => Promise<unknown>,
  onRunEvent: EngineApi['onRunEvent'],
): EngineApi {
  const call =
    (method: ApiMethod) =>
    async (...params: unknown[]) => {
      // The whole reply is checked: { ok: false } without an error would reject with an empty message.
      const checked = replySchema.safeParse(await send(method, params));
      if (!checked.success) throw new Error(`the engine sent a malformed reply to ${method}`);
      const reply = checked.data;
      if (!reply.ok) throw new Error(reply.error || `the engine refused ${method} without saying why`);
      return checkResult(method, reply.result);
    };
  // Every method of the map, none listed by hand: a method added to API_SCHEMAS is callable at once.
  return { ...Object.fromEntries(API_METHODS.map((m) => [m, call(m)])), onRunEvent } as EngineApi;
}
