// What the Training tab is told about a run's files, whichever engine wrote them: a
// checkpoint as its list shows it, and a sample grid as a data URL.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointManifest } from '../train/checkpoint';
import type { CheckpointInfo } from '../api/types';

export const pngUrl = (png: Uint8Array): string => `data:image/png;base64,${Buffer.from(png).toString('base64')}`;

/** A checkpoint folder of `root` as the checkpoint list and training-checkpoint events carry it. */
export async function checkpointInfo(root: string, id: string, best: boolean): Promise<CheckpointInfo> {
  const path = join(root, id);
  const m = JSON.parse(await readFile(join(path, 'manifest.json'), 'utf8')) as CheckpointManifest;
  const losses = Object.fromEntries(Object.entries(m.losses).filter(([, v]) => Number.isFinite(v)));
  return { id, iteration: m.iteration, createdAt: m.createdAt, losses, best, path };
}
