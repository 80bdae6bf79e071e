import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineService } from '../../core/engine/service';
import { readCelebaImage } from '../../core/data/celeba';
import { ImageFileError, encodePng, readImage, readXmp } from '../../core/data/images';
import { PROVENANCE_FORMAT, provenanceXmp } from '../../core/graph/format/provenance';
import { initBackend } from '../../core/runtime/backends';
import { runBatch } from '../../core/runtime/batch';
import { byteMutation, diskState, expectReadable } from '../helpers/fuzz';
import { tinyProject } from '../helpers/projects';

// Image files as they arrive: cut short by a copy, bit-rotted, mislabelled, or not images
// at all. Every decode path (readImage: executor, batch, image-folder datasets;
// readCelebaImage: CelebA; readXmp and readProvenance: a PNG dropped on the canvas) must
// either give pixels in range or refuse with the file's name; the files never change.

const RUNS = 1500;
const BATCH_FILES = 100;
const SIZE = 8;

/** Recomputes every chunk's CRC, so a damaged PNG reaches the decoder instead of the checksum test. */
function fixPngCrcs(b: Uint8Array): Uint8Array {
  const out = Uint8Array.from(b);
  const view = new DataView(out.buffer);
  for (let at = 8; at + 12 <= out.length; ) {
    const len = view.getUint32(at);
    if (at + 12 + len > out.length) break;
    view.setUint32(at + 8 + len, crc32(out.subarray(at + 4, at + 8 + len)));
    at += 12 + len;
  }
  return out;
}

const seeds: Uint8Array[] = [];
const dir = mkdtempSync(join(tmpdir(), 'mg-fuzz-img-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  const w = 23;
  const h = 17;
  const rgb = Buffer.alloc(w * h * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 37) % 256;
  const img = () => sharp(rgb, { raw: { width: w, height: h, channels: 3 } });
  const xmp = provenanceXmp({ format: PROVENANCE_FORMAT, version: 1, app: 'test', createdAt: '2026-01-01T00:00:00Z', graph: tinyProject('in').graph, seed: 1, modules: {} });
  for (const b of [
    await img().png().toBuffer(),
    await img().png({ progressive: true }).toBuffer(), // interlaced
    await img().png({ palette: true }).toBuffer(),
    await img().ensureAlpha().png().toBuffer(),
    await img().greyscale().toColourspace('grey16').png().toBuffer(),
    await img().jpeg().toBuffer(),
    await img().jpeg({ progressive: true }).toBuffer(),
    await img().greyscale().jpeg().toBuffer(),
    await encodePng(new Float32Array(w * h * 3), w, h, 3, xmp),
  ])
    seeds.push(new Uint8Array(b));
});

/** Damaged images, a third of the PNGs with their checksums made right again. */
const damaged = () =>
  fc.tuple(byteMutation(seeds), fc.nat({ max: 2 }), fc.constantFrom('.png', '.jpg', '.jpeg', '.webp', '')).map(([b, fix, ext]) => ({
    bytes: fix === 0 && b[0] === 0x89 ? fixPngCrcs(b) : b,
    ext,
  }));

/** A decoded image, or a refusal naming the file in words: nothing else. */
async function expectDecodedOrRefused(read: () => Promise<Float32Array>, file: string): Promise<boolean> {
  try {
    const data = await read();
    expect(data.length).toBe(SIZE * SIZE * 3);
    for (const v of data) if (!(v >= -1 && v <= 1)) throw new Error(`${file}: pixel value ${v} out of range`);
    return true;
  } catch (e) {
    if (!(e instanceof ImageFileError)) throw e;
    expect(e.file).toBe(file);
    expectReadable(e.reason);
    expect(e.reason).not.toMatch(/unknown error/i);
    return false;
  }
}

describe('image files under fuzzing', () => {
  it(`${RUNS} damaged PNG and JPEG files: every decode path gives pixels or names the file; no file changes`, async () => {
    const service = createEngineService({ stateDir: join(dir, 'state'), demoPath: join(dir, 'none.mgproj.json'), host: 'test' });
    let decoded = 0;
    let n = 0;
    await fc.assert(
      fc.asyncProperty(damaged(), async ({ bytes, ext }) => {
        const file = join(dir, `f${n++}${ext}`);
        writeFileSync(file, bytes);
        const before = diskState(file);
        if (await expectDecodedOrRefused(async () => (await readImage(file, SIZE, 2)).data, file)) decoded++;
        await expectDecodedOrRefused(() => readCelebaImage(file, SIZE), file);
        const xmp = await readXmp(bytes);
        expect(xmp === undefined || typeof xmp === 'string').toBe(true);
        // The canvas's PNG drop: a graph, or an Error for the user (never a crash).
        await service.readProvenance(Buffer.from(bytes).toString('base64')).then(
          (p) => expect(Array.isArray(p.graph.nodes)).toBe(true),
          (e: Error) => expectReadable(e.message),
        );
        expect(diskState(file)).toEqual(before);
        rmSync(file);
      }),
      { numRuns: RUNS },
    );
    // Damage that spares the pixels (metadata, trailing bytes) still decodes: both outcomes occur.
    expect(decoded).toBeGreaterThan(RUNS / 50);
    expect(decoded).toBeLessThan(RUNS);
    await service.close();
  }, 180_000); // ~10 s alone on 2 cores; generous for a loaded CI machine

  it('damaged files decoded many at once (as prefetch and batches do) still say why, never "Unknown error"', async () => {
    // libvips keeps one error buffer: a decode finishing clears the message of one failing beside it.
    const groups = fc.sample(fc.array(damaged(), { minLength: 16, maxLength: 16 }), { numRuns: 12, seed: 11 });
    let n = 0;
    for (const group of groups) {
      const files = group.map(({ bytes, ext }) => {
        const file = join(dir, `p${n++}${ext}`);
        writeFileSync(file, bytes);
        return file;
      });
      await Promise.all(files.flatMap((file) => [expectDecodedOrRefused(async () => (await readImage(file, SIZE, 2)).data, file), expectDecodedOrRefused(() => readCelebaImage(file, SIZE), file)]));
      for (const f of files) rmSync(f);
    }
  }, 60_000);

  it('a header that claims a huge image is refused at once, not decoded', async () => {
    const b = Uint8Array.from(seeds[0]!);
    new DataView(b.buffer).setUint32(16, 40_000); // IHDR width
    new DataView(b.buffer).setUint32(20, 40_000);
    const file = join(dir, 'huge.png');
    writeFileSync(file, fixPngCrcs(b));
    const t0 = Date.now();
    await expect(readImage(file, SIZE)).rejects.toThrow(ImageFileError);
    await expect(readCelebaImage(file, SIZE)).rejects.toThrow(ImageFileError);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it(`a batch over ${BATCH_FILES} damaged files finishes, writes what decodes and reports every other file`, async () => {
    await initBackend('auto', { gradients: false });
    const input = join(dir, 'batch-in');
    mkdirSync(input);
    const names = fc.sample(damaged(), { numRuns: BATCH_FILES, seed: 7 }).map(({ bytes }, i) => {
      const name = `${String(i).padStart(3, '0')}.png`;
      writeFileSync(join(input, name), bytes);
      return name;
    });
    // The executor's own minimum side for an input of size 16 is 8 pixels.
    const good: string[] = [];
    for (const name of names) if (await readImage(join(input, name), 16, 8).then(() => true, () => false)) good.push(name);
    const before = diskState(input);
    const report = await runBatch(tinyProject('unused').graph, { baseDir: dir, input, output: join(dir, 'batch-out'), batchSize: 4 });
    expect(diskState(input)).toEqual(before);
    expect(report.finished).toBe(true);
    expect(report.written).toBe(good.length);
    expect(report.skipped.map((s) => s.file).sort()).toEqual(names.filter((f) => !good.includes(f)));
    for (const s of report.skipped) expectReadable(s.reason);
    for (const f of good) expect((await sharp(readFileSync(join(dir, 'batch-out', f))).metadata()).width).toBe(16);
  }, 60_000);
});
