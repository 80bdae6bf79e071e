// The web host's engine process (forked by web/engine.ts): tensor work, files and training
// run here, so the engine can run out of memory or crash while the web server and the page
// stay up. Arguments: the state folder, the demo project, and the roots the engine's calls
// are limited to (modulargan serve --root), if any.

import { type ParentPortLike, serveEngine } from '../core/engine/engine-process';
import { createEngineService } from '../core/engine/service';

const [stateDir, demoPath, ...roots] = process.argv.slice(2);
const send = process.send?.bind(process);
if (!send || !stateDir || !demoPath) {
  console.error('web/engine-child: start me with child_process.fork(file, [stateDir, demoPath])');
  process.exit(2);
}
const port: ParentPortLike = {
  on: (_event, listener) => void process.on('message', (data) => listener({ data })),
  // With a callback, a post to a host that has gone fails quietly instead of as an 'error'
  // event that would end the engine before 'disconnect' can stop its training cleanly.
  postMessage: (m) => void send(m, (e: Error | null) => e && console.error(`engine: a message to the host was lost: ${e.message}`)),
};
const service = createEngineService({ stateDir, demoPath, host: 'web', ...(roots.length ? { roots } : {}) });
serveEngine(port, service);

// Ctrl+C in the terminal reaches the whole process group: the web host decides when the
// engine stops (after training has written its checkpoint), so the signal is ignored here.
process.on('SIGINT', () => undefined);
// The host went away without closing us: stop training with a checkpoint, then go.
process.on('disconnect', () => void service.close().finally(() => process.exit(0)));
