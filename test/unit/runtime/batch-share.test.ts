import { linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepStaleTemporaries } from '../../../core/files/stale-temporaries';
import { initBackend } from '../../../core/runtime/backends';
import { type BatchReport, planBatch, runBatch } from '../../../core/runtime/batch';
import { tinyProject } from '../../helpers/projects';

// planBatch lists and screens a folder exactly as runBatch does, and runBatch runs a share of
// such a plan (a queued job): only its files, no report file, no temporaries swept, and an
// output an earlier attempt wrote counted as written without being written again.

const dir = mkdtempSync(join(tmpdir(), 'mg-share-'));
const inputs = join(dir, 'in');
const png = (w: number, h: number, v: number) => sharp(Buffer.alloc(w * h * 3, v), { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
const graph = tinyProject('unused').graph;
const base = { baseDir: dir, input: inputs, recursive: true, batchSize: 2 };

beforeAll(async () => {
  mkdirSync(join(inputs, 'sub'), { recursive: true });
  for (let i = 0; i < 7; i++) writeFileSync(join(inputs, `f${i}.png`), await png(16 + i, 16, 20 * i));
  writeFileSync(join(inputs, 'sub', 'g.png'), await png(16, 16, 99));
  writeFileSync(join(inputs, 'clash.jpg'), await sharp(await png(16, 16, 40)).jpeg().toBuffer());
  writeFileSync(join(inputs, 'clash.png'), await png(16, 16, 41));
  writeFileSync(join(inputs, 'corrupt.png'), Buffer.from('\x89PNG\r\n\x1a\nbroken'));
  writeFileSync(join(inputs, 'notes.txt'), 'not an image');
  await initBackend('auto', { gradients: false });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const comparable = (r: BatchReport) => ({ processed: r.processed, written: r.written, alreadyDone: r.alreadyDone, skipped: r.skipped.map(inLocal), failed: r.failed.length, finished: r.finished });
/** Reasons name the output folder: the shared run's written as the local run's. */
const inLocal = (s: { file: string; reason: string }) => ({ ...s, reason: s.reason.replaceAll(join(dir, 'shared'), join(dir, 'local')) });

describe('planBatch and shares of a plan', () => {
  it('plans what a run does, and its shares together do what the run does', async () => {
    const local = await runBatch(graph, { ...base, output: join(dir, 'local') });
    const plan = await planBatch(graph, { ...base, output: join(dir, 'shared') });
    // Nothing was written by planning, not even the output folder.
    expect(() => statSync(join(dir, 'shared'))).toThrow();
    expect(plan.files).toEqual(['clash.jpg', 'corrupt.png', 'f0.png', 'f1.png', 'f2.png', 'f3.png', 'f4.png', 'f5.png', 'f6.png', 'sub/g.png']);
    expect(plan.skipped).toEqual([
      { file: 'clash.png', reason: expect.stringMatching(/^its output .*clash\.png is also the output of .*clash\.jpg, which is processed instead/) },
      { file: 'notes.txt', reason: 'not an image file' },
    ]);

    const parts: BatchReport[] = [];
    for (let i = 0; i < plan.files.length; i += 4)
      parts.push(await runBatch(graph, { ...base, output: join(dir, 'shared'), share: { files: plan.files.slice(i, i + 4) } }));
    expect(readdirSync(join(dir, 'shared'))).not.toContain('batch-report.json');
    const merged = {
      processed: parts.reduce((n, p) => n + p.processed, 0),
      written: parts.reduce((n, p) => n + p.written, 0),
      alreadyDone: plan.alreadyDone,
      skipped: [...plan.skipped, ...parts.flatMap((p) => p.skipped)].sort((a, b) => (a.file < b.file ? -1 : 1)).map(inLocal),
      failed: parts.reduce((n, p) => n + p.failed.length, 0),
      finished: parts.every((p) => p.finished),
    };
    expect(merged).toEqual(comparable(local));
    expect((readdirSync(join(dir, 'shared'), { recursive: true }) as string[]).sort()).toEqual(
      (readdirSync(join(dir, 'local'), { recursive: true }) as string[]).filter((f) => f !== 'batch-report.json').sort(),
    );
  });

  it('drops finished inputs when planning with skipExisting, and a share written before is counted, not written again', async () => {
    const out = join(dir, 'again');
    await runBatch(graph, { ...base, output: out, share: { files: ['f0.png', 'f1.png'] } });
    const plan = await planBatch(graph, { ...base, output: out, skipExisting: true });
    expect(plan.alreadyDone).toBe(2);
    expect(plan.files).not.toContain('f0.png');

    // The same share again, as a retried job: f0's output is the earlier attempt's.
    const inode = lstatSync(join(out, 'f0.png')).ino;
    const stale = join(out, '.f9.png.999999.0123456789ab.tmp');
    writeFileSync(stale, 'a killed writer on another machine');
    const earlier = new Set([join(out, 'f0.png'), join(out, 'f1.png')]);
    const again = await runBatch(graph, { ...base, output: out, share: { files: ['f0.png', 'f1.png', 'f2.png'], writtenBefore: async (p) => earlier.has(p) } });
    expect(again).toMatchObject({ processed: 3, written: 3, failed: [] });
    expect(lstatSync(join(out, 'f0.png')).ino).toBe(inode);
    // Another machine's pid means nothing here: a share sweeps nothing; the planner does once every share ended.
    expect(readdirSync(out)).toContain('.f9.png.999999.0123456789ab.tmp');
    expect(await sweepStaleTemporaries([out], Date.now() + 5000, { writersDoneAfterMs: 2000 })).toEqual([stale]);

    // Without writtenBefore, the same outputs are refused as outputs that were there before.
    const refused = await runBatch(graph, { ...base, output: out, share: { files: ['f0.png'] } });
    expect(refused.failed.map((f) => f.reason)).toEqual(['already exists, not overwritten (use --overwrite)']);
  });

  it('counts an output another attempt linked in at the same moment as written, in every mode', async () => {
    const out = join(dir, 'race');
    await runBatch(graph, { ...base, output: out, share: { files: ['f3.png'] } });
    // writtenBefore says no at first (the other attempt had not finished), yes once the link fails.
    for (const mode of [{}, { skipExisting: true }]) {
      let asked = 0;
      const r = await runBatch(graph, { ...base, ...mode, output: out, share: { files: ['f3.png'], writtenBefore: async () => asked++ > 0 } });
      expect(r).toMatchObject({ written: 1, failed: [] });
    }
  });

  it('refuses what runBatch refuses, before anything is queued', async () => {
    await expect(planBatch(graph, { ...base, output: inputs })).rejects.toThrow(/must not be the input folder/);
    const out = join(dir, 'linked');
    mkdirSync(out);
    linkSync(join(inputs, 'f5.png'), join(out, 'f4.png'));
    await expect(planBatch(graph, { ...base, output: out, overwrite: true })).rejects.toThrow(/f4\.png is the same file as the input .*f5\.png \(a hard link\)/);
    await expect(planBatch(graph, { ...base, input: join(dir, 'nowhere'), output: out })).rejects.toThrow(/nowhere: does not exist/);
  });
});
