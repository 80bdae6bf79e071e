// The engine process's side of the link to main: checks each request against its schema,
// runs it on the service, posts the reply; posts every run event. The entry file
// (engine-process.ts) hands in Electron's process.parentPort; tests hand in a fake.

import { dispatchCall } from '../core/api/dispatch';
import { describeIssues } from '../core/api/schemas';
import type { EngineApi } from '../core/api/types';
import { type EngineMessage, engineRequestSchema } from './messages';

export interface ParentPortLike {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: EngineMessage): void;
}

export function serveEngine(port: ParentPortLike, service: EngineApi, log: (line: string) => void = console.error): void {
  service.onRunEvent((event) => port.postMessage({ event }));
  port.on('message', (e) => {
    const req = engineRequestSchema.safeParse(e.data);
    if (!req.success) {
      log(`engine: refused a malformed request: ${describeIssues(req.error)}`);
      return;
    }
    void dispatchCall(service, req.data.method, req.data.params).then((reply) => port.postMessage({ id: req.data.id, reply }));
  });
}
