// Bundles the Electron entry files into dist/electron/*.cjs: Electron loads CommonJS main
// and sandboxed preload scripts, and a sandboxed preload must be one file. Native and
// heavy engine packages stay external (they ship unpacked beside the asar).
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build } from 'vite';
import { REPO_ROOT, ensureRendererBuilt } from '../web/renderer-build';

const external = [
  'electron',
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  /^@tensorflow\//,
  'onnxruntime-node',
  'sharp',
  'webgpu',
  'onnx-proto',
  'protobufjs',
  'seedrandom',
];

export const ELECTRON_ENTRIES = ['main', 'preload', 'engine-process'] as const;

export async function buildElectron(outDir = join(REPO_ROOT, 'dist', 'electron'), entries: readonly string[] = ELECTRON_ENTRIES): Promise<void> {
  for (const entry of entries) {
    await build({
      configFile: false,
      logLevel: 'warn',
      build: {
        ssr: join(REPO_ROOT, 'electron', `${entry}.ts`),
        outDir,
        emptyOutDir: false,
        target: 'node22',
        minify: false,
        rollupOptions: { external, output: { format: 'cjs', entryFileNames: `${entry}.cjs`, codeSplitting: false } },
      },
      // The preload runs sandboxed: everything but 'electron' must be inside it.
      ssr: { noExternal: entry === 'preload' ? true : undefined, target: 'node' },
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await ensureRendererBuilt(console.log);
  await buildElectron();
  console.log('built dist/electron/{main,preload,engine-process}.cjs');
}
