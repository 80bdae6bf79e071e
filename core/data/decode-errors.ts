// Why an image file did not decode, in words a user can act on. libvips keeps one error
// buffer for the whole process: with several decodes at once (the loader's prefetch, a
// batch), one pipeline's cleanup can empty another's message, and sharp then says only
// "Unknown error". So the reason is also read from the file itself — its format by its magic
// bytes, and whether it ends where its format says it must — which no concurrency can erase.

import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** How much of a file's end is searched for its format's closing marker. */
const TAIL = 1024;

type Format = 'JPEG' | 'PNG' | 'GIF' | 'WebP' | 'BMP' | 'TIFF';

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0) => sig.every((x, i) => b[at + i] === x);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

function formatOf(head: Uint8Array): Format | undefined {
  if (startsWith(head, [0xff, 0xd8])) return 'JPEG';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'PNG';
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return 'GIF';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'WebP';
  if (startsWith(head, ascii('BM'))) return 'BMP';
  if (startsWith(head, ascii('II*\0')) || startsWith(head, ascii('MM\0*'))) return 'TIFF';
  return undefined;
}

const includes = (b: Uint8Array, sig: readonly number[]) => {
  for (let i = 0; i + sig.length <= b.length; i++) if (startsWith(b, sig, i)) return true;
  return false;
};
const u32le = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

/** What is missing at the end of a file cut short, or undefined when it ends as its format says. */
function missingEnd(format: Format, head: Uint8Array, tail: Uint8Array, size: number): string | undefined {
  switch (format) {
    // 0xFF 0xD9 occurs only as the marker: inside the compressed data every 0xFF is followed by 0.
    case 'JPEG':
      return includes(tail, [0xff, 0xd9]) ? undefined : 'its end-of-image marker';
    case 'PNG':
      return includes(tail, ascii('IEND')) ? undefined : 'its IEND chunk';
    case 'GIF':
      return tail[tail.length - 1] === 0x3b ? undefined : 'its trailer';
    case 'WebP':
      return head.length >= 8 && u32le(head, 4) + 8 > size ? `the ${u32le(head, 4) + 8} bytes its header announces` : undefined;
    case 'BMP':
      return head.length >= 6 && u32le(head, 2) > size ? `the ${u32le(head, 2)} bytes its header announces` : undefined;
    case 'TIFF':
      return undefined;
  }
}

/** The first and last bytes of a regular file, and its size; undefined when it cannot be read. */
async function ends(file: string): Promise<{ head: Uint8Array; tail: Uint8Array; size: number } | undefined> {
  let fh;
  try {
    fh = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const st = await fh.stat();
    if (!st.isFile()) return undefined;
    const head = Buffer.alloc(Math.min(16, st.size));
    await fh.read(head, 0, head.length, 0);
    const tail = Buffer.alloc(Math.min(TAIL, st.size));
    await fh.read(tail, 0, tail.length, st.size - tail.length);
    return { head, tail, size: st.size };
  } catch {
    return undefined;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * The reason a decode failed, for "<file>: <reason>": the file's format and whether it is cut
 * short, with the decoder's own words when it gave any. `bytes`, when the caller holds them,
 * spares a second read.
 */
export async function decodeFailure(file: string, error: unknown, bytes?: Uint8Array): Promise<string> {
  const said = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim().replace(/:\s*$/, '');
  const told = said !== '' && !/^unknown error$/i.test(said) ? said : undefined;
  const look = bytes ? { head: bytes.subarray(0, 16), tail: bytes.subarray(Math.max(0, bytes.length - TAIL)), size: bytes.length } : await ends(file);
  if (!look) return `cannot decode it as an image${told ? ` (${told})` : ' (the file could not be read back to tell why)'}`;
  if (look.size === 0) return 'cannot decode it as an image: the file is empty';
  const format = formatOf(look.head);
  if (!format) return `cannot decode it as an image: it is not a PNG, JPEG, WebP, GIF, BMP or TIFF file${told ? ` (${told})` : ''}`;
  const missing = missingEnd(format, look.head, look.tail, look.size);
  // The cause is known: libvips's words add nothing here, and they vary from call to call (one
  // CI run's local batch got none for a truncated PNG, its queued twin "vipspng: libpng read
  // error"), which would make two runs over the same folder report one file differently.
  if (missing) return `cannot decode it as an image: truncated ${format} (it ends before ${missing}, ${look.size} bytes in)`;
  return `cannot decode it as an image: corrupt or unsupported ${format}${told ? `: ${told}` : ' (the decoder gave no details)'}`;
}
