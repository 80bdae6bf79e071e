// `npm install` / `npm ci` hook: builds the native CPU addon (native/) with node-gyp. It never
// fails the install: without a compiler, Node's headers or oneDNN the engine keeps the wasm
// backend, and `modulargan backends` says why native is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const native = join(root, 'native');

function skip(why) {
  console.log(`modulargan: native CPU addon not built (${why}); the engine will use the wasm backend.`);
  process.exit(0);
}

if (process.env.MODULARGAN_SKIP_NATIVE) skip('MODULARGAN_SKIP_NATIVE is set');
if (process.platform !== 'linux' || process.arch !== 'x64') skip(`no build recipe for ${process.platform}-${process.arch} yet`);
if (!existsSync('/usr/include/oneapi/dnnl/dnnl.hpp')) skip('oneDNN headers missing: apt-get install libdnnl-dev');
let gyp;
try {
  gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  createRequire(import.meta.url).resolve('node-addon-api');
} catch {
  skip('node-gyp / node-addon-api are not installed (dev dependencies)');
}
// Node's own headers ship with Debian's nodejs (/usr/include/node); elsewhere node-gyp
// downloads them, which needs network access.
const nodedir = existsSync('/usr/include/node/node_api.h') ? ['--nodedir=/usr'] : [];
// Our loops are compiled for AVX2 (x86-64-v3) unless this CPU lacks it; oneDNN picks its own code at run time.
let cpuinfo = '';
try {
  cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
} catch {
  // not Linux /proc: keep the default
}
const march = cpuinfo && !/\bavx2\b/.test(cpuinfo) ? ['--march=x86-64-v2'] : [];
const run = spawnSync(process.execPath, [gyp, 'rebuild', ...nodedir, ...march], { cwd: native, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (run.status !== 0) {
  const tail = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  console.log(tail);
  skip(`node-gyp failed with status ${run.status ?? run.signal ?? run.error?.message}`);
}
console.log('modulargan: native CPU addon built (native/build/Release/modulargan_native.node).');
