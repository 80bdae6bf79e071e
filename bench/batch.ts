// Batch throughput: decode + E -> 3 T -> R + encode over a folder of generated photos
// (178×218 JPEGs, CelebA's size), through `modulargan batch` exactly as a user runs it.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { batchCommand } from '../cli/batch';
import { serializeDocument } from '../core/graph/format/migrate';
import { projectSchema } from '../core/graph/format/project';
import { benchGraph3T, type InferenceCase } from './inference';

export async function makePhotos(dir: string, count: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const w = 178;
  const h = 218;
  // A few distinct photos, repeated: JPEG encoding of 1,000 unique images would dominate set-up.
  const photos = await Promise.all(
    Array.from({ length: 8 }, (_, k) => {
      const px = Buffer.alloc(w * h * 3);
      for (let i = 0; i < px.length; i++) px[i] = (i * (k + 3) * 31 + (i % w) * 7) & 255;
      return sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
    }),
  );
  for (let i = 0; i < count; i++) writeFileSync(join(dir, `${String(i).padStart(5, '0')}.jpg`), photos[i % photos.length]!);
}

export async function benchBatch(cases: readonly (InferenceCase & { images: number })[]): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const c of cases) {
    const dir = mkdtempSync(join(tmpdir(), 'mg-bench-batch-'));
    try {
      await makePhotos(join(dir, 'in'), c.images);
      const project = projectSchema.parse({ format: 'modulargan-project', version: 2, name: 'bench', graph: benchGraph3T(c) });
      writeFileSync(join(dir, 'bench.mgproj.json'), serializeDocument(project));
      const lines: string[] = [];
      const code = await batchCommand(join(dir, 'bench.mgproj.json'), { input: join(dir, 'in'), output: join(dir, 'out'), quiet: true, report: join(dir, 'report.json') }, (l) => lines.push(l));
      const report = JSON.parse((await import('node:fs')).readFileSync(join(dir, 'report.json'), 'utf8'));
      rows.push({ size: c.size, base: c.base, resBlocks: c.resBlocks, images: c.images, exitCode: code, engine: report.engine, seconds: report.seconds, imagesPerSecond: report.imagesPerSecond });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}
