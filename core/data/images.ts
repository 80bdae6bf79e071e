// Image files in and out. Inside the engine an image is float32 RGB, height × width × 3,
// values in [-1, 1] (the range of R's tanh). Files are centre-cropped to a square and
// resized; that is the stated policy for images of another size.

import { readdir, stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import sharp, { type Metadata } from 'sharp';

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
  let raw: Buffer;
  let meta: Metadata;
  try {
    const img = sharp(file, { failOn: 'error' });
    meta = await img.metadata();
    if (Math.min(meta.width ?? 0, meta.height ?? 0) < minSide)
      throw new ImageFileError(file, `is too small (${meta.width}×${meta.height}; needs at least ${minSide} pixels on its shorter side)`);
    raw = await img
      .rotate() // honour EXIF orientation, as photo viewers do
      .resize(size, size, { fit: 'cover', position: 'centre', kernel: 'lanczos3' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer();
  } catch (e) {
    if (e instanceof ImageFileError) throw e;
    throw new ImageFileError(file, `cannot decode it as an image (${(e as Error).message.split('\n')[0]})`);
  }
  if (raw.length !== size * size * 3) throw new ImageFileError(file, `decoded to ${raw.length} bytes, expected ${size * size * 3}`);
  const data = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) data[i] = raw[i]! / 127.5 - 1;
  return { width: size, height: size, data };
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

/** Files in a folder, sorted by name so runs are repeatable: images, and everything else. */
export async function listFiles(dir: string, recursive = false): Promise<{ images: string[]; others: string[] }> {
  const images: string[] = [];
  const others: string[] = [];
  const walk = async (d: string) => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (recursive) await walk(p);
      } else if (IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase())) images.push(p);
      else others.push(p);
    }
  };
  await walk(dir);
  return { images, others };
}

export const listImages = async (dir: string, recursive = false): Promise<string[]> => (await listFiles(dir, recursive)).images;

/**
 * A file, or every image in a folder (`others`: the folder's files that are not images, for
 * reports). `root` is what output names are made relative to.
 */
export async function resolveImageSource(path: string, recursive = false): Promise<{ root: string; files: string[]; others: string[] }> {
  const s = await stat(path).catch(() => null);
  if (!s) throw new ImageFileError(path, 'does not exist');
  if (s.isDirectory()) {
    const { images, others } = await listFiles(path, recursive);
    if (!images.length) throw new ImageFileError(path, `holds no images (${IMAGE_EXTENSIONS.join(', ')})`);
    return { root: path, files: images, others };
  }
  return { root: dirname(path), files: [path], others: [] };
}
