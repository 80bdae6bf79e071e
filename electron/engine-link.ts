// Main's side of the link to the engine process: numbered requests and their replies, and
// the run events it streams. Every message from the engine is schema-checked here.

import { type Reply, checkRunEvent, replySchema } from '../core/api/schemas';
import type { RunEvent } from '../core/api/types';
import { type EngineRequest, engineMessageSchema } from './messages';

export interface ChildPortLike {
  on(event: 'message', listener: (message: unknown) => void): void;
  on(event: 'exit', listener: (code: number) => void): void;
  postMessage(message: EngineRequest): void;
}

export interface EngineLink {
  call(method: string, params: unknown[]): Promise<Reply>;
  onRunEvent(listener: (e: RunEvent) => void): () => void;
}

export function createEngineLink(child: ChildPortLike, log: (line: string) => void = console.error): EngineLink {
  let next = 0;
  const pending = new Map<number, (r: Reply) => void>();
  const listeners = new Set<(e: RunEvent) => void>();
  child.on('message', (raw) => {
    const m = engineMessageSchema.safeParse(raw);
    if (!m.success) return log('main: refused a malformed message from the engine');
    if ('id' in m.data) {
      const done = pending.get(m.data.id);
      pending.delete(m.data.id);
      const reply = replySchema.safeParse(m.data.reply);
      done?.(reply.success ? reply.data : { ok: false, error: 'the engine sent a malformed reply' });
    } else {
      try {
        const e = checkRunEvent(m.data.event);
        for (const l of listeners) l(e);
      } catch (err) {
        log(`main: ${(err as Error).message}`);
      }
    }
  });
  child.on('exit', (code) => {
    for (const done of pending.values()) done({ ok: false, error: `the engine process stopped (exit code ${code})` });
    pending.clear();
  });
  return {
    call(method, params) {
      const id = next++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        child.postMessage({ id, method, params });
      });
    },
    onRunEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
