// `npm run web`: the studio in a browser. Serves the editor on 127.0.0.1 with a random
// access token, and prints the URL to open. The engine runs in a child process, so when it
// dies (out of memory, a crash) the page stays, says so, and a fresh engine is started.
//   npm run web -- --port 5173 --state DIR
// A port that is malformed, taken or not allowed is said in one line (exit 2), before the
// page is built.

import { homedir } from 'node:os';
import { join } from 'node:path';
import { startEngineProcess } from './engine';
import { type WebHost, startWebHost } from './host';
import { listenFailure, parsePort } from './listen';
import { REPO_ROOT, RENDERER_OUT, ensureRendererBuilt } from './renderer-build';

export const DEMO_PROJECT = join(REPO_ROOT, 'assets', 'demo', 'demo.mgproj.json');

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? '') : undefined;
};
const fail = (message: string): never => {
  process.stderr.write(`modulargan web: ${message}\n`);
  process.exit(2);
};

const port = parsePort(arg('port'));
if (!port.ok) fail(port.message);
const listenOn = port.ok ? port.port : 0;
const stateDir = arg('state') || join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'modulargan-studio');
const engine = startEngineProcess({ stateDir, demoPath: DEMO_PROJECT });
let host: WebHost;
try {
  // The host serves the page's folder as it is when asked: it listens before the page is built.
  host = await startWebHost({ engine, stateDir, staticDir: RENDERER_OUT, port: listenOn });
} catch (e) {
  await engine.close();
  const message = listenFailure(e, '127.0.0.1', listenOn);
  if (message === undefined) throw e;
  fail(message);
}
await ensureRendererBuilt((l) => console.log(l));
console.log(`ModularGAN Studio is running. Open this address in a browser (it holds the access token):\n\n  ${host!.url}\n\nPress Ctrl+C to stop.`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  // A running training writes a checkpoint before the engine goes.
  await engine.call('stopAllTraining', []);
  await engine.close();
  await host.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
