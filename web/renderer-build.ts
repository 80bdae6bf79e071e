// Builds the renderer with Vite when dist/renderer is missing or older than its sources,
// so `npm run web` and the browser tests always serve the current editor.

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const REPO_ROOT = join(import.meta.dirname, '..');
export const RENDERER_OUT = join(REPO_ROOT, 'dist', 'renderer');
const SOURCES = ['renderer', 'core/graph', 'core/api'].map((d) => join(REPO_ROOT, d));

async function newest(dir: string): Promise<number> {
  let t = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? await newest(p) : (await stat(p)).mtimeMs);
  }
  return t;
}

export async function rendererIsCurrent(): Promise<boolean> {
  try {
    const built = (await stat(join(RENDERER_OUT, 'index.html'))).mtimeMs;
    const sources = Math.max(...(await Promise.all(SOURCES.map(newest))));
    return built >= sources;
  } catch {
    return false;
  }
}

/** Builds unless current; returns the folder to serve. */
export async function ensureRendererBuilt(log: (line: string) => void = () => {}): Promise<string> {
  if (await rendererIsCurrent()) return RENDERER_OUT;
  log('building the studio page (vite)…');
  const { build } = await import('vite');
  await build({ configFile: join(REPO_ROOT, 'renderer', 'vite.config.ts'), logLevel: 'warn' });
  return RENDERER_OUT;
}
