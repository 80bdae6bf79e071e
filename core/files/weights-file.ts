// Module weights on disk: the Node-only edge of core/modules/weights.ts (which stays free of
// file-system code so the same encoder works wherever the engine runs).

import { readFile } from 'node:fs/promises';
import type { GanModule } from '../modules/create';
import { type DecodedWeights, type WeightsStorage, decodeWeights, encodeWeights } from '../modules/weights';
import { writeFileAtomic } from './atomic';

/** Saves one module's weights atomically (a crash never leaves half a file). */
export async function writeWeightsFile(path: string, m: GanModule, meta?: Readonly<Record<string, unknown>>, storage?: WeightsStorage): Promise<void> {
  await writeFileAtomic(path, encodeWeights(m, meta, storage));
}

/** Reads and checks a weights file; errors name the file. */
export async function readWeightsFile(path: string): Promise<DecodedWeights> {
  const bytes = await readFile(path);
  try {
    return decodeWeights(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`, { cause: e });
  }
}
