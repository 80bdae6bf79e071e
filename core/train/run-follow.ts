// Following a run folder that another process writes (the PyTorch engine's, or a queue
// worker's on shared storage): each iteration's line as it lands in log.jsonl, each sample
// grid as it lands in samples/, each checkpoint once checkpoints/index.json lists it. What
// the folder holds when following starts belongs to an earlier run and is not told.

import { open, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readIndex } from './checkpoint';
import type { Losses } from './trainer';

export interface RunFolderEvents {
  /**
   * Each iteration's log line as it lands in log.jsonl. A resumed run rewrites the log to the
   * lines before its checkpoint, and those come again: the caller knows where it resumed.
   */
  readonly onIteration?: (iteration: number, losses: Losses) => void;
  /** A sample grid the run wrote (samples/iter-N.png, PNG bytes), as the built-in trainer's onSample. */
  readonly onSample?: (png: Uint8Array, iteration: number) => void;
  /** A checkpoint checkpoints/index.json lists that was not there before (its folder). */
  readonly onCheckpoint?: (dir: string, iteration: number) => void;
}

/**
 * Reads lines appended to a file since the last call, from its end when made: the lines
 * already there are an earlier run's. A file replaced (a resumed run rewrites the log,
 * a restart deletes it) is read again from its start.
 */
async function followLines(file: string): Promise<() => Promise<string[]>> {
  const first = await stat(file).catch(() => null);
  let at = first?.size ?? 0;
  let ino = first?.ino ?? -1;
  let rest = '';
  return async () => {
    const s = await stat(file).catch(() => null);
    const size = s?.size ?? -1;
    if (s && (s.ino !== ino || size < at)) {
      at = 0;
      rest = '';
      ino = s.ino;
    }
    if (size <= at) return [];
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(size - at);
      await fh.read(buf, 0, buf.length, at);
      at = size;
      const text = rest + buf.toString('utf8');
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      return lines.filter((l) => l.trim());
    } finally {
      await fh.close();
    }
  };
}

const SAMPLE_FILE = /^iter-(\d{1,12})\.png$/;

/**
 * Follows what a run writes besides its log: sample grids (new names, or rewritten ones:
 * a resumed run writes its iterations' grids again) and the checkpoints index.json lists.
 */
async function watchFiles(runDir: string, o: RunFolderEvents): Promise<() => Promise<void>> {
  const samplesDir = join(runDir, 'samples');
  const root = join(runDir, 'checkpoints');
  const grids = async () => {
    const names = await readdir(samplesDir).catch(() => [] as string[]);
    const out = new Map<string, { iteration: number; mark: string }>();
    for (const name of names) {
      const m = SAMPLE_FILE.exec(name);
      const s = m && (await stat(join(samplesDir, name)).catch(() => null));
      if (s?.isFile()) out.set(name, { iteration: Number(m![1]), mark: `${s.mtimeMs}:${s.size}` });
    }
    return out;
  };
  const checkpoints = async () => new Map((await readIndex(root).catch(() => ({ checkpoints: [] }))).checkpoints.map((c) => [c.path, `${c.iteration}:${c.createdAt}`]));
  const seenGrids = new Map([...(await grids())].map(([k, v]) => [k, v.mark]));
  const seenCheckpoints = await checkpoints();
  return async () => {
    if (o.onSample) {
      const now = [...(await grids())].filter(([name, g]) => seenGrids.get(name) !== g.mark).sort((a, b) => a[1].iteration - b[1].iteration);
      for (const [name, g] of now) {
        // Written atomically (a temporary renamed into place), so a name seen is whole.
        const png = await readFile(join(samplesDir, name)).catch(() => null);
        if (!png) continue;
        seenGrids.set(name, g.mark);
        o.onSample(new Uint8Array(png), g.iteration);
      }
    }
    if (o.onCheckpoint) {
      const index = await readIndex(root).catch(() => null);
      for (const c of [...(index?.checkpoints ?? [])].sort((a, b) => a.iteration - b.iteration)) {
        const mark = `${c.iteration}:${c.createdAt}`;
        if (seenCheckpoints.get(c.path) === mark) continue;
        seenCheckpoints.set(c.path, mark);
        o.onCheckpoint(join(root, c.path), c.iteration);
      }
    }
  };
}

/**
 * Starts following `runDir` (log.jsonl, samples/, checkpoints/) from what it holds now;
 * returns a look that tells what was written since the last one. Looks run one at a time,
 * however often they are asked for: a slow disk must not have two read the same lines.
 */
export async function followRunFolder(runDir: string, o: RunFolderEvents): Promise<() => Promise<void>> {
  const [next, watch] = await Promise.all([followLines(join(runDir, 'log.jsonl')), watchFiles(runDir, o)]);
  const lookOnce = async () => {
    for (const line of await next()) {
      try {
        const { iteration, ...losses } = JSON.parse(line) as { iteration: number } & Losses;
        o.onIteration?.(iteration, losses);
      } catch {
        // a line being written; the next look has it whole
      }
    }
    await watch();
  };
  // A file replaced between a stat and its read (a restart clears the folder) is read whole on the next look.
  const look = () => lookOnce().catch(() => undefined);
  let looking: Promise<void> = Promise.resolve();
  return () => (looking = looking.then(look));
}
