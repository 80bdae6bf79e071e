// Module weights on disk: the Node-only edge of core/modules/weights.ts (which stays free of
// file-system code so the same encoder works wherever the engine runs).

import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { GanModule } from '../modules/create';
import { type DecodedWeights, type WeightsStorage, decodeWeights, encodeWeights } from '../modules/weights';
import { writeFileAtomic } from './atomic';

/** Saves one module's weights atomically (a crash never leaves half a file). */
export async function writeWeightsFile(path: string, m: GanModule, meta?: Readonly<Record<string, unknown>>, storage?: WeightsStorage): Promise<void> {
  await writeFileAtomic(path, encodeWeights(m, meta, storage));
}

/**
 * The largest weights file read: far above any module the catalogue's ranges make at the
 * paper's sizes, and below what one Node buffer holds, so a path naming a huge file is
 * refused by its size instead of failing inside the read.
 */
export const MAX_WEIGHTS_FILE_BYTES = 2 ** 31 - 1;

/** Reads and checks a weights file; errors name the file. */
export async function readWeightsFile(path: string): Promise<DecodedWeights> {
  let bytes: Buffer;
  try {
    // Non-blocking, so opening a FIFO returns at once (and is refused below) instead of
    // waiting for a writer; for a regular file the flag changes nothing.
    const fh = await open(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
    try {
      // The size and kind come from the open file, not from a name that may change under us.
      const st = await fh.stat();
      // A FIFO or a device would never end (or never start): only regular files are weights.
      if (!st.isFile()) throw new Error(st.isDirectory() ? 'this is a folder, not a weights file' : 'not a regular file, so not a weights file');
      if (st.size > MAX_WEIGHTS_FILE_BYTES) throw new Error(`${st.size} bytes, larger than any weights file this studio reads (${MAX_WEIGHTS_FILE_BYTES} bytes)`);
      bytes = await fh.readFile();
    } finally {
      await fh.close();
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'this is a folder, not a weights file' : (e as Error).message;
    throw new Error(`${path}: ${why}`, { cause: e });
  }
  try {
    return { ...decodeWeights(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)), file: path };
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`, { cause: e });
  }
}
