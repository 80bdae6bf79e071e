// The engine API in a browser: calls as HTTP POSTs to the web host, run events over a
// WebSocket that is opened again when it drops (the engine may be on another machine), with
// the running jobs caught up on (core/api/reconnect.ts). Same-origin only; the host set an
// HttpOnly token cookie with the page, and the token from the page's URL goes along as a
// header too.

import { type ApiMethod, type EngineApi, type ReconnectingEvents, type RunEvent, createApiClient, reconnectingEvents } from '../../core/api';

export function createWebClient(token: string | null, origin = location.origin): EngineApi {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers['x-modulargan-token'] = token;
  const listeners = new Set<(e: RunEvent) => void>();
  let events: ReconnectingEvents | null = null;

  const subscribe = () =>
    (events ??= reconnectingEvents({
      where: origin,
      connect(h) {
        const url = new URL('/api/events', origin.replace(/^http/, 'ws'));
        if (token) url.searchParams.set('token', token);
        const ws = new WebSocket(url);
        ws.onopen = () => h.open();
        ws.onmessage = (m) => h.message(String(m.data));
        // A failed socket fires error, then close: close alone is the signal.
        ws.onclose = () => h.closed();
        return ws;
      },
      listJobs: () => api.listJobs(),
      deliver: (e) => {
        for (const l of listeners) l(e);
      },
    }));

  const send = async (method: ApiMethod, params: unknown[]) => {
    // Runs stream their events: be subscribed before the run starts.
    if (method === 'startRun' || method === 'startBatch' || method === 'startTraining') await subscribe().ready;
    let res: Response;
    try {
      res = await fetch(`${origin}/api/call/${method}`, { method: 'POST', headers, body: JSON.stringify({ params }), credentials: 'same-origin' });
    } catch (e) {
      throw new Error(`the engine at ${origin} cannot be reached (${(e as Error).message}); the studio keeps trying to reconnect`);
    }
    // Refusals of what a call asks for (403: a path outside the served folders) come as replies, with the reason.
    if ((res.headers.get('content-type') ?? '').startsWith('application/json')) return res.json();
    throw new Error(`the studio host refused the request (${res.status}): ${(await res.text()).trim()}`);
  };
  const api = createApiClient(send, (listener) => {
    listeners.add(listener);
    subscribe();
    return () => listeners.delete(listener);
  });
  return api;
}
