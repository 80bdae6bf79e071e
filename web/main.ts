// `npm run web`: the studio in a browser. Serves the editor and the engine on 127.0.0.1
// with a random access token, and prints the URL to open.
//   npm run web -- --port 5173 --state DIR

import { homedir } from 'node:os';
import { join } from 'node:path';
import { createEngineService } from '../core/api/engine-service';
import { startWebHost } from './host';
import { REPO_ROOT, ensureRendererBuilt } from './renderer-build';

export const DEMO_PROJECT = join(REPO_ROOT, 'assets', 'demo', 'demo.mgproj.json');

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

const staticDir = await ensureRendererBuilt((l) => console.log(l));
const stateDir = arg('state') ?? join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'modulargan-studio');
const service = createEngineService({ stateDir, demoPath: DEMO_PROJECT, host: 'web' });
const host = await startWebHost({ service, staticDir, port: arg('port') ? Number(arg('port')) : 0 });
console.log(`ModularGAN Studio is running. Open this address in a browser (it holds the access token):\n\n  ${host.url}\n\nPress Ctrl+C to stop.`);

const stop = async () => {
  await service.close();
  await host.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
