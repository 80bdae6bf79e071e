// Once, before any test file: build the studio page if it is stale. Without this, on a fresh
// clone two workers' first browser tests each started a Vite build, and the second build's
// emptied output folder left the first test's page without its script (CI: the demo never
// appeared within 60 s).
import { ensureRendererBuilt } from '../web/renderer-build';

export async function setup(): Promise<void> {
  await ensureRendererBuilt((line) => console.log(line));
}
