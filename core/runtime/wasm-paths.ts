// The wasm backend fetches its .wasm binaries at run time; in Node it must be told where
// they are. Resolve them through the module system so the path follows node_modules wherever
// it lives (hoisted, symlinked, packaged app) instead of a path baked in at build time.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The folder holding tfjs-backend-wasm's .wasm files, with a trailing separator. */
export function wasmBinaryDir(): string {
  const require = createRequire(import.meta.url);
  // The package's "main" lives in dist/, next to the binaries.
  const main = require.resolve('@tensorflow/tfjs-backend-wasm');
  return join(dirname(main), '/');
}
