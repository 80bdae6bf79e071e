// What the Training tab is told about a run's files, whichever engine wrote them: a
// checkpoint as its list shows it, and a sample grid as a data URL.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CheckpointManifest, readIndex } from '../train/checkpoint';
import type { CheckpointInfo, RunEvent } from '../api/types';

export const pngUrl = (png: Uint8Array): string => `data:image/png;base64,${Buffer.from(png).toString('base64')}`;

/** A checkpoint folder of `root` as the checkpoint list and training-checkpoint events carry it. */
export async function checkpointInfo(root: string, id: string, best: boolean): Promise<CheckpointInfo> {
  const path = join(root, id);
  const m = JSON.parse(await readFile(join(path, 'manifest.json'), 'utf8')) as CheckpointManifest;
  const losses = Object.fromEntries(Object.entries(m.losses).filter(([, v]) => Number.isFinite(v)));
  return { id, iteration: m.iteration, createdAt: m.createdAt, losses, best, path };
}

/**
 * training-checkpoint events for a run another process writes (PyTorch, a queue worker): each
 * checkpoint folder it reports is read from disk after the ones before it (in the order
 * written); `settled` waits for them, so the run's end is told after its last checkpoint.
 */
export function checkpointEvents(root: string, runId: string, emit: (e: RunEvent) => void, last: string | undefined) {
  let reading = Promise.resolve();
  return {
    onCheckpoint(dir: string): void {
      const id = dir.split(/[\\/]/).pop()!;
      last = dir;
      reading = reading
        .then(() => readIndex(root))
        .then((index) => checkpointInfo(root, id, index.best === id))
        .then((checkpoint) => emit({ type: 'training-checkpoint', runId, checkpoint }))
        // Pruned already (more checkpoints than the run keeps, between two looks): the list has the newer ones.
        .catch(() => undefined);
    },
    /** The newest checkpoint folder reported (or the one the run resumed from). */
    last: (): string | undefined => last,
    settled: (): Promise<void> => reading,
  };
}
