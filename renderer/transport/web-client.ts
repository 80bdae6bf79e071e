// The engine API in a browser: calls as HTTP POSTs to the web host, run events over a
// WebSocket. Same-origin only; the host set an HttpOnly token cookie with the page, and the
// token from the page's URL goes along as a header too.

import { type ApiMethod, type EngineApi, type RunEvent, checkRunEvent, createApiClient } from '../../core/api';

export function createWebClient(token: string | null, origin = location.origin): EngineApi {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers['x-modulargan-token'] = token;
  const listeners = new Set<(e: RunEvent) => void>();
  let socket: WebSocket | null = null;

  const connect = () => {
    const url = new URL('/api/events', origin.replace(/^http/, 'ws'));
    if (token) url.searchParams.set('token', token);
    socket = new WebSocket(url);
    socket.onmessage = (m) => {
      let e: RunEvent;
      try {
        e = checkRunEvent(JSON.parse(String(m.data)));
      } catch (err) {
        console.warn((err as Error).message);
        return;
      }
      for (const l of listeners) l(e);
    };
    socket.onclose = () => {
      socket = null;
    };
    return new Promise<void>((ok) => {
      socket!.onopen = () => ok();
      socket!.onerror = () => ok();
    });
  };
  let ready: Promise<void> | null = null;

  const send = async (method: ApiMethod, params: unknown[]) => {
    // Runs stream their events: be subscribed before the run starts.
    if ((method === 'startRun' || method === 'startBatch' || method === 'startTraining') && !socket) await (ready = connect());
    const res = await fetch(`${origin}/api/call/${method}`, { method: 'POST', headers, body: JSON.stringify({ params }), credentials: 'same-origin' });
    if (res.status !== 200) throw new Error(`the studio host refused the request (${res.status}): ${(await res.text()).trim()}`);
    return res.json();
  };
  return createApiClient(send, (listener) => {
    listeners.add(listener);
    if (!socket && !ready) ready = connect();
    return () => listeners.delete(listener);
  });
}
