// The engine's utility process (Electron's utilityProcess.fork): tensor work runs here, so
// it never blocks the window or main. Arguments: the state folder and the demo project.
// It imports no 'electron': Electron gives it `process.parentPort`.

import { type ParentPortLike, serveEngine } from '../core/engine/engine-process';
import { createEngineService } from '../core/engine/service';

const [stateDir, demoPath] = process.argv.slice(2);
const port = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
if (!port || !stateDir || !demoPath) {
  console.error('engine-process: start me with utilityProcess.fork(file, [stateDir, demoPath])');
  process.exit(2);
}
serveEngine(port, createEngineService({ stateDir, demoPath, host: 'electron' }));
