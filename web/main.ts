// `npm run web`: the studio in a browser on this machine. Serves the editor on 127.0.0.1
// with a fresh random access token, and prints the URL to open. The engine runs in a child
// process, so when it dies (out of memory, a crash) the page stays, says so, and a fresh
// engine is started. The same host as `modulargan serve` (web/serve.ts), kept to loopback.
//   npm run web -- --port 5173 --state DIR
// A port that is malformed, taken or not allowed is said in one line (exit 2), before the
// page is built.

import { parsePort } from './listen';
import { newToken } from './security';
import { defaultStateDir, serveStudio, stopOnSignals } from './serve';

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
const served = await serveStudio({
  listen: '127.0.0.1',
  port: port.ok ? port.port : 0,
  token: newToken(),
  stateDir: arg('state') || defaultStateDir(),
  flag: '--port',
  log: (l) => console.log(l),
});
if ('failure' in served) fail(served.failure);
else {
  console.log(`ModularGAN Studio is running. Open this address in a browser (it holds the access token):\n\n  ${served.host.url}\n\nPress Ctrl+C to stop.`);
  stopOnSignals(served);
}
