// Image files in and out. Inside the engine an image is float32 RGB, height × width × 3,
// values in [-1, 1] (the range of R's tanh). Files are centre-cropped to a square and
// resized; that is the stated policy for images of another size.

import { constants } from 'node:fs';
import { lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { decodeFailure } from './decode-errors';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.bmp', '.tif', '.tiff', '.gif'];

export interface ImageData {
  readonly width: number;
  readonly height: number;
  /** height × width × 3, row-major, in [-1, 1] */
  readonly data: Float32Array;
}

/** An image file that could not be used, and why. */
export class ImageFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/**
 * Decodes a file, centre-crops it to a square and resizes it to size × size (the stated
 * policy for images of another size). Images whose shorter side is under `minSide` pixels
 * are refused as too small rather than blown up.
 */
export async function readImage(file: string, size: number, minSide = 2): Promise<ImageData> {
  const data = await decodeSquare(file, size, (img, meta) => {
    if (Math.min(meta.width ?? 0, meta.height ?? 0) < minSide)
      throw new ImageFileError(file, `is too small (${meta.width}×${meta.height}; needs at least ${minSide} pixels on its shorter side)`);
    return img
      .rotate() // honour EXIF orientation, as photo viewers do
      .resize(size, size, { fit: 'cover', position: 'centre', kernel: 'lanczos3' });
  });
  return { width: size, height: size, data };
}

/**
 * The one decode every reader of image files shares: the file read as a regular file, decoded
 * strictly, cut and resized by `shape` (which sees the decoded size and may refuse it with an
 * ImageFileError), then sRGB without alpha as size × size × 3 floats in [-1, 1]. A decoder's
 * failure becomes an ImageFileError that names the file and says why.
 */
export async function decodeSquare(file: string, size: number, shape: (img: Sharp, meta: Metadata) => Sharp): Promise<Float32Array> {
  const bytes = await readRegularFile(file);
  let raw: Buffer;
  try {
    const img = sharp(bytes, { failOn: 'error' });
    raw = await shape(img, await img.metadata())
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer();
  } catch (e) {
    if (e instanceof ImageFileError) throw e;
    throw new ImageFileError(file, await decodeFailure(file, e, bytes));
  }
  if (raw.length !== size * size * 3) throw new ImageFileError(file, `decoded to ${raw.length} bytes, expected ${size * size * 3}`);
  const data = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) data[i] = raw[i]! / 127.5 - 1;
  return data;
}

/** Larger files are refused before they are read: no image input of a GAN needs this much. */
const MAX_IMAGE_BYTES = 512 * 1024 * 1024;

/**
 * What a file is when it is not a regular file, for skip reasons; undefined for a regular one.
 * A FIFO, socket or device is never read: opening or reading one can block for ever.
 */
export function notRegular(s: Stats): string | undefined {
  if (s.isFile()) return undefined;
  if (s.isFIFO()) return 'a named pipe (FIFO)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  if (s.isDirectory()) return 'a folder';
  return 'not a regular file';
}

/**
 * The bytes of an image file. Opened non-blocking and checked on the open handle, so a FIFO
 * swapped in after the folder was listed cannot hang the run, and a device is never read.
 */
export async function readRegularFile(file: string): Promise<Buffer> {
  let fh;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ImageFileError(file, code === 'ENOENT' ? ((await lstat(file).catch(() => null)) ? 'is a symbolic link to nothing (its target is missing)' : 'does not exist') : `cannot be opened (${code ?? (e as Error).message})`);
  }
  try {
    const s = await fh.stat();
    const what = notRegular(s);
    if (what) throw new ImageFileError(file, `is ${what}, not an image file`);
    if (s.size > MAX_IMAGE_BYTES) throw new ImageFileError(file, `is too large for an image input (${Math.round(s.size / 2 ** 20)} MiB; at most ${MAX_IMAGE_BYTES / 2 ** 20} MiB)`);
    return await fh.readFile();
  } catch (e) {
    if (e instanceof ImageFileError) throw e;
    throw new ImageFileError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    await fh.close();
  }
}

/** [-1, 1] floats to 8-bit RGB (or grey for one channel), rounded and clamped. */
export function toBytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.max(0, Math.min(255, Math.round((data[i]! + 1) * 127.5)));
  return out;
}

/** Encodes an image as an 8-bit PNG, with an XMP packet (provenance) when given. */
export async function encodePng(data: Float32Array, width: number, height: number, channels: 1 | 3, xmp?: string): Promise<Buffer> {
  const img = sharp(Buffer.from(toBytes(data).buffer), { raw: { width, height, channels } });
  return (xmp ? img.withXmp(xmp) : img).png({ compressionLevel: 6 }).toBuffer();
}

/** The XMP packet of an image file's bytes, if it has one. */
export async function readXmp(bytes: Uint8Array): Promise<string | undefined> {
  try {
    return (await sharp(bytes).metadata()).xmpAsString;
  } catch {
    return undefined;
  }
}

/** A file the listing found but cannot use, and why (a FIFO, a link to nothing, ...). */
export interface UnusableFile {
  readonly file: string;
  readonly reason: string;
}

/**
 * Files in a folder, sorted by name so runs are repeatable: images, everything else, and what
 * cannot be used as a file at all (FIFOs, sockets, devices, links to nothing or to folders),
 * which is never opened. Folders whose real path is in `exclude` (an output folder inside the
 * input folder) are not entered; links to folders are not followed, so there are no loops.
 */
export async function listFiles(dir: string, recursive = false, exclude: readonly string[] = []): Promise<{ images: string[]; others: string[]; unusable: UnusableFile[] }> {
  const images: string[] = [];
  const others: string[] = [];
  const unusable: UnusableFile[] = [];
  const walk = async (d: string) => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (recursive && !(exclude.length && exclude.includes(await realpath(p).catch(() => p)))) await walk(p);
        continue;
      }
      let kind: string | undefined;
      if (e.isSymbolicLink()) {
        const target = await stat(p).catch((err: NodeJS.ErrnoException) => err);
        if (target instanceof Error)
          kind = target.code === 'ENOENT' ? 'is a symbolic link to nothing (its target is missing)' : target.code === 'ELOOP' ? 'is a symbolic link loop' : `is a symbolic link that cannot be followed (${target.code})`;
        else if (target.isDirectory()) {
          // Like a folder: ignored unless recursive, and then reported rather than followed.
          if (recursive) unusable.push({ file: p, reason: 'is a symbolic link to a folder (not followed)' });
          continue;
        } else if (notRegular(target)) kind = `is a symbolic link to ${notRegular(target)}`;
      } else if (!e.isFile()) {
        // Dirent knows the type without opening anything; some file systems report "unknown".
        const s = await lstat(p).catch(() => null);
        kind = s ? (notRegular(s) ? `is ${notRegular(s)}` : undefined) : 'has vanished';
      }
      if (kind) unusable.push({ file: p, reason: `${kind}, not an image file` });
      else if (IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase())) images.push(p);
      else others.push(p);
    }
  };
  await walk(dir);
  return { images, others, unusable };
}

export const listImages = async (dir: string, recursive = false): Promise<string[]> => (await listFiles(dir, recursive)).images;

/**
 * A file, or every image in a folder (`others`: the folder's files that are not images, for
 * reports). `root` is what output names are made relative to.
 */
export async function resolveImageSource(
  path: string,
  recursive = false,
  exclude: readonly string[] = [],
): Promise<{ root: string; folder: boolean; files: string[]; others: string[]; unusable: UnusableFile[] }> {
  const s = await stat(path).catch(() => null);
  if (!s) throw new ImageFileError(path, (await lstat(path).catch(() => null)) ? 'is a symbolic link to nothing (its target is missing)' : 'does not exist');
  if (s.isDirectory()) {
    const { images, others, unusable } = await listFiles(path, recursive, exclude);
    if (!images.length) throw new ImageFileError(path, `holds no images (${IMAGE_EXTENSIONS.join(', ')})`);
    return { root: path, folder: true, files: images, others, unusable };
  }
  const what = notRegular(s);
  if (what) throw new ImageFileError(path, `is ${what}, not an image file or a folder of images`);
  return { root: dirname(path), folder: false, files: [path], others: [], unusable: [] };
}
