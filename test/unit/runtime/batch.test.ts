import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/runtime/backends';
import { runBatch } from '../../../core/runtime/batch';
import type { RunProgress, Skipped } from '../../../core/runtime/executor';
import { tinyProject } from '../../helpers/projects';

const dir = mkdtempSync(join(tmpdir(), 'mg-runbatch-'));
const inputs = join(dir, 'in');
const png = (w: number, h: number, v: number) => sharp(Buffer.alloc(w * h * 3, v), { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
const graph = tinyProject('unused').graph;

beforeAll(async () => {
  mkdirSync(inputs, { recursive: true });
  writeFileSync(join(inputs, 'a.png'), await png(16, 16, 10));
  writeFileSync(join(inputs, 'b.png'), await png(40, 25, 80));
  writeFileSync(join(inputs, 'c.png'), await png(16, 16, 200));
  writeFileSync(join(inputs, 'corrupt.png'), Buffer.from('\x89PNG\r\n\x1a\nbroken'));
  writeFileSync(join(inputs, 'notes.txt'), 'not an image');
  await initBackend('auto', { gradients: false });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runBatch', () => {
  it('tells progress with images/s and ETA and each skipped file as it goes, and reports them all', async () => {
    const progress: RunProgress[] = [];
    const skips: Skipped[] = [];
    const report = await runBatch(graph, { baseDir: dir, input: inputs, output: join(dir, 'out'), batchSize: 1 }, { onProgress: (p) => progress.push(p), onSkip: (s) => skips.push(s) });
    expect(report).toMatchObject({ finished: true, cancelled: false, processed: 3, written: 3, alreadyDone: 0, failed: [] });
    expect(report.skipped.map((s) => s.file)).toEqual(['corrupt.png', 'notes.txt']);
    expect(skips.map((s) => s.file).sort()).toEqual(['corrupt.png', 'notes.txt']);
    // The total counts every image file; a corrupt one is found out (and skipped) only when decoded.
    expect(progress.at(-1)).toMatchObject({ total: 4 });
    expect(progress.at(-1)!.done).toBeGreaterThanOrEqual(3);
    for (const p of progress) {
      expect(p.imagesPerSecond).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(p.etaSeconds)).toBe(true);
    }
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['a.png', 'b.png', 'batch-report.json', 'c.png']);
  });

  it('resumes with skipExisting, keeps outputs otherwise, and stops when cancelled', async () => {
    const resumed = await runBatch(graph, { baseDir: dir, input: inputs, output: join(dir, 'out'), skipExisting: true });
    expect(resumed).toMatchObject({ processed: 0, alreadyDone: 3, written: 0 });
    const again = await runBatch(graph, { baseDir: dir, input: inputs, output: join(dir, 'out') });
    expect(again.failed.map((f) => f.reason)).toEqual(Array(3).fill('already exists, not overwritten (use --overwrite)'));
    const ctrl = new AbortController();
    ctrl.abort();
    const cancelled = await runBatch(graph, { baseDir: dir, input: inputs, output: join(dir, 'out2'), signal: ctrl.signal });
    expect(cancelled).toMatchObject({ cancelled: true, finished: false });
    await expect(runBatch(graph, { baseDir: dir, input: inputs, output: inputs })).rejects.toThrow(/must not be the input folder/);
  });
});
