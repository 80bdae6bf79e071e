import { describe, expect, it } from 'vitest';
import { dispatchCall } from '../../../core/api/dispatch';
import { type EngineMessage, serveEngine } from '../../../core/engine/engine-process';
import type { EngineApi } from '../../../core/api/types';

// The engine's end of the link: whatever a service throws becomes a reply with a string
// error (a rejection there is unhandled and ends the engine process), and a post to a host
// that has gone is logged, not thrown into the engine.

const throwing = (thrown: unknown) => ({ listRecent: async () => Promise.reject(thrown), onRunEvent: () => () => undefined }) as unknown as EngineApi;

describe('the engine end of the link', () => {
  it('answers with a string error whatever the service throws', async () => {
    const badMessage = Object.assign(new Error('x'), { message: { not: 'a string' } });
    const throwingGetter = Object.defineProperty(new Error('x'), 'message', {
      get() {
        throw new Error('no');
      },
    });
    const cases: [unknown, string][] = [
      [new Error('disk full'), 'disk full'],
      ['plain text', 'plain text'],
      [42, '42'],
      [Object.create(null), 'the engine failed without saying why'],
      [
        {
          toString() {
            throw new Error('no');
          },
        },
        'the engine failed without saying why',
      ],
      [badMessage, 'the engine failed without saying why'],
      [throwingGetter, 'the engine failed without saying why'],
      [new Error(''), 'the engine failed without saying why'],
    ];
    for (const [thrown, error] of cases) expect(await dispatchCall(throwing(thrown), 'listRecent', [])).toEqual({ ok: false, error });
  });

  it('survives posting to a host that has gone', async () => {
    const logged: string[] = [];
    let deliver!: (e: { data: unknown }) => void;
    let emit!: (e: unknown) => void;
    const service = {
      listRecent: async () => [],
      onRunEvent: (l: (e: unknown) => void) => ((emit = l), () => undefined),
    } as unknown as EngineApi;
    const port = {
      on: (_e: 'message', l: typeof deliver) => void (deliver = l),
      postMessage: (_m: EngineMessage) => {
        throw new Error('channel closed');
      },
    };
    serveEngine(port, service, (l) => logged.push(l));
    expect(() => emit({ type: 'progress', runId: 'r', done: 1, total: 2 })).not.toThrow();
    deliver({ data: { id: 1, method: 'listRecent', params: [] } });
    await new Promise((ok) => setTimeout(ok, 10));
    expect(logged).toEqual(['engine: a message to the host was lost: channel closed', 'engine: a message to the host was lost: channel closed']);
  });
});
