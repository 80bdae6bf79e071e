// Reading a zip file that arrived from someone else (a preset bundle) without trusting a
// number in it: the central directory is read first, so every entry's name and declared size
// can be refused before a byte is inflated, and each entry is then inflated with its declared
// size as a hard limit — an entry that inflates to more than it says (a zip bomb) is stopped
// there, never held whole in memory. Stored and deflated entries only, no ZIP64, no
// encryption: all a bundle the studio writes ever uses.

import { crc32, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  /** As written in the zip, '/'-separated; a folder entry ends with '/'. */
  readonly name: string;
  readonly directory: boolean;
  /** Declared sizes: compressed (in the file) and inflated. */
  readonly compressedSize: number;
  readonly size: number;
  readonly method: number;
  readonly crc: number;
  /** Where its compressed bytes start. */
  readonly dataStart: number;
}

/** A zip that cannot be read as one; the message says why. */
export class ZipError extends Error {}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** More entries than any bundle has: the listing itself stays small. */
export const MAX_ZIP_ENTRIES = 10_000;

/** Lists a zip's entries from its central directory, checking every offset against the file. */
export function listZip(bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  // The end record is the last 22 bytes, or earlier by a comment of up to 65,535 bytes.
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--)
    if (u32(at) === EOCD && at + 22 + u16(at + 20) === bytes.length) {
      end = at;
      break;
    }
  if (end < 0) throw new ZipError('no zip directory at its end (not a zip file, or cut short)');
  if (u16(end + 4) !== 0 || u16(end + 6) !== 0) throw new ZipError('a zip split over several files is not supported');
  const count = u16(end + 10);
  const cdSize = u32(end + 12);
  const cdStart = u32(end + 16);
  if (count === 0xffff || cdStart === 0xffffffff || cdSize === 0xffffffff) throw new ZipError('ZIP64 archives are not supported (a preset bundle is far smaller than 4 GiB)');
  if (count > MAX_ZIP_ENTRIES) throw new ZipError(`it has ${count} entries; a bundle has at most ${MAX_ZIP_ENTRIES}`);
  if (cdStart + cdSize > end) throw new ZipError('its directory lies outside the file (damaged)');
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let at = cdStart;
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || u32(at) !== CENTRAL) throw new ZipError(`directory entry ${i + 1} is damaged`);
    const flags = u16(at + 8);
    const method = u16(at + 10);
    const crc = u32(at + 16);
    const compressedSize = u32(at + 20);
    const size = u32(at + 24);
    const nameLength = u16(at + 28);
    const next = at + 46 + nameLength + u16(at + 30) + u16(at + 32);
    const local = u32(at + 42);
    if (next > end) throw new ZipError(`directory entry ${i + 1} is damaged`);
    const name = new TextDecoder('utf-8').decode(bytes.subarray(at + 46, at + 46 + nameLength));
    if (flags & 1) throw new ZipError(`entry '${name}' is encrypted`);
    if (compressedSize === 0xffffffff || size === 0xffffffff || local === 0xffffffff) throw new ZipError(`entry '${name}' needs ZIP64, which is not supported`);
    // Two entries of one name: a zip tool would show one and unpack the other.
    if (names.has(name)) throw new ZipError(`entry '${name}' is listed twice`);
    names.add(name);
    if (local + 30 > bytes.length || u32(local) !== LOCAL) throw new ZipError(`entry '${name}' points at no local header (damaged)`);
    const dataStart = local + 30 + u16(local + 26) + u16(local + 28);
    if (dataStart + compressedSize > bytes.length) throw new ZipError(`entry '${name}' reaches past the end of the file (damaged or cut short)`);
    entries.push({ name, directory: name.endsWith('/'), compressedSize, size, method, crc, dataStart });
    at = next;
  }
  return entries;
}

/**
 * An entry's bytes, inflated with its declared size as the limit: more is refused as soon as
 * it appears, less is refused after, and the CRC must match.
 */
export function readZipEntry(bytes: Uint8Array, e: ZipEntry): Uint8Array {
  const data = bytes.subarray(e.dataStart, e.dataStart + e.compressedSize);
  let out: Uint8Array;
  if (e.method === 0) {
    if (e.compressedSize !== e.size) throw new ZipError(`entry '${e.name}' is stored with ${e.compressedSize} bytes but declares ${e.size}`);
    out = data.slice();
  } else if (e.method === 8) {
    try {
      out = inflateRawSync(data, { maxOutputLength: Math.max(1, e.size) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new ZipError(`entry '${e.name}' inflates to more than the ${e.size} bytes it declares (a zip bomb, or damaged); stopped there`);
      throw new ZipError(`entry '${e.name}' cannot be inflated (${(err as Error).message})`);
    }
    if (out.length !== e.size) throw new ZipError(`entry '${e.name}' inflates to ${out.length} bytes, not the ${e.size} it declares (damaged)`);
  } else throw new ZipError(`entry '${e.name}' uses compression method ${e.method}; only stored and deflated entries are read`);
  if (crc32(out) >>> 0 !== e.crc) throw new ZipError(`entry '${e.name}' does not match its CRC (damaged)`);
  return out;
}
