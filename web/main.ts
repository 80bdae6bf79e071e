// `npm run web`: the studio in a browser. Serves the editor on 127.0.0.1 with a random
// access token, and prints the URL to open. The engine runs in a child process, so when it
// dies (out of memory, a crash) the page stays, says so, and can restart it.
//   npm run web -- --port 5173 --state DIR

import { homedir } from 'node:os';
import { join } from 'node:path';
import { startEngineProcess } from './engine';
import { startWebHost } from './host';
import { REPO_ROOT, ensureRendererBuilt } from './renderer-build';

export const DEMO_PROJECT = join(REPO_ROOT, 'assets', 'demo', 'demo.mgproj.json');

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

const staticDir = await ensureRendererBuilt((l) => console.log(l));
const stateDir = arg('state') ?? join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'modulargan-studio');
const engine = startEngineProcess({ stateDir, demoPath: DEMO_PROJECT });
const host = await startWebHost({ engine, stateDir, staticDir, port: arg('port') ? Number(arg('port')) : 0 });
console.log(`ModularGAN Studio is running. Open this address in a browser (it holds the access token):\n\n  ${host.url}\n\nPress Ctrl+C to stop.`);

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
