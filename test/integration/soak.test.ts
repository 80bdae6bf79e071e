import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineService } from '../../core/engine/service';
import type { BatchReportInfo, RunEvent } from '../../core/api/types';
import { initBackend } from '../../core/runtime/backends';
import { runTraining } from '../../core/train/run';
import { diskState } from '../helpers/fuzz';
import { writeTinyProject } from '../helpers/projects';
import { tinyProject } from '../helpers/training';

// Soak: a long training run must hold its memory and tensor count flat, and a big batch
// with bad files among the good must finish with a report naming every bad one. CI runs
// them small (about a minute together); MODULARGAN_SOAK=full runs the sizes:
//   MODULARGAN_SOAK=full npx vitest run test/integration/soak.test.ts
const FULL = process.env.MODULARGAN_SOAK === 'full';
const ITERATIONS = FULL ? 5000 : 400;
const IMAGES = FULL ? 10_000 : 300;
const SAMPLE_EVERY = FULL ? 50 : 10;
const MB = 2 ** 20;

// A real gc() to measure live memory, not garbage: V8 lets a running process turn it on.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const made: string[] = [];
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe(`soak (${FULL ? 'full size' : 'reduced; MODULARGAN_SOAK=full for the full size'})`, () => {
  // wasm: the cpu backend takes minutes for what CI must do in one.
  beforeAll(() => initBackend('wasm', { probeAll: false }), 60_000);

  it(`${ITERATIONS} training iterations on a tiny model: tensor count, heap and RSS stay flat`, async () => {
    const file = tinyProject((p) => {
      for (const n of (p.graph as { nodes: { kind: string; params: Record<string, unknown> }[] }).nodes) if (n.kind !== 'transformer') n.params.imageSize = 16;
      (p.datasets as Record<string, unknown>[])[0]!.imageSize = 16;
      // nCritic 1: every iteration updates G too. Checkpoints and samples now and then, as a real run does.
      Object.assign(p.training as object, { iterations: ITERATIONS, decayFrom: ITERATIONS / 2, batchSize: 2, nCritic: 1, dDepth: 2, checkpointEvery: ITERATIONS / 4, sampleEvery: ITERATIONS / 8 });
    }, 'soak');
    made.push(dirname(file));
    const samples: { iteration: number; tensors: number; tensorBytes: number; heap: number; rss: number; external: number }[] = [];
    const result = await runTraining(file, {
      onProgress: ({ done }) => {
        if (done % SAMPLE_EVERY) return;
        gc();
        const m = process.memoryUsage();
        samples.push({ iteration: done, tensors: tf.memory().numTensors, tensorBytes: tf.memory().numBytes, heap: m.heapUsed, rss: m.rss, external: m.external + m.arrayBuffers });
      },
    });
    expect(result).toMatchObject({ status: 'done', completed: ITERATIONS });
    // After a warm-up (first G steps, first checkpoint, buffers grown to size), nothing grows.
    const steady = samples.filter((s) => s.iteration > ITERATIONS / 4);
    const half = Math.floor(steady.length / 2);
    const [early, late] = [steady.slice(0, half), steady.slice(half)];
    const most = (xs: typeof steady, k: keyof (typeof steady)[number]) => Math.max(...xs.map((s) => s[k]));
    expect(new Set(steady.map((s) => s.tensors)).size, `tensor counts: ${steady.map((s) => s.tensors).join(' ')}`).toBe(1);
    expect(new Set(steady.map((s) => s.tensorBytes)).size, 'tensor bytes').toBe(1);
    const growth = { heap: (most(late, 'heap') - most(early, 'heap')) / MB, external: (most(late, 'external') - most(early, 'external')) / MB, rss: (most(late, 'rss') - most(early, 'rss')) / MB };
    console.info(`training soak: ${ITERATIONS} iterations, ${steady[0]!.tensors} tensors (${(steady[0]!.tensorBytes / MB).toFixed(1)} MB) throughout; growth from the first to the second half: heap ${growth.heap.toFixed(1)} MB, buffers ${growth.external.toFixed(1)} MB, RSS ${growth.rss.toFixed(1)} MB`);
    expect(growth.heap).toBeLessThan(8);
    expect(growth.external).toBeLessThan(8);
    // RSS is the allocator's business too (it keeps freed pages): a generous bound that a leak of a tensor per iteration would still cross at full size.
    expect(growth.rss).toBeLessThan(64);
  }, FULL ? 3_600_000 : 180_000);

  it(`a batch of ${IMAGES} images, 2% of them bad (corrupt, truncated, empty, too small), ends with a report naming each bad file`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-soak-batch-'));
    made.push(dir);
    const input = join(dir, 'in');
    mkdirSync(input);
    const good = await sharp({ create: { width: 20, height: 18, channels: 3, background: '#3a6' } }).png().toBuffer();
    const goodJpeg = await sharp({ create: { width: 24, height: 24, channels: 3, background: '#a36' } }).jpeg().toBuffer();
    const small = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } }).png().toBuffer();
    const bad = new Map<string, string>();
    for (let i = 0; i < IMAGES; i++) {
      const kind = i % 50 === 7 ? ['corrupt', 'truncated', 'empty', 'too small'][Math.floor(i / 50) % 4]! : i % 3 ? 'png' : 'jpeg';
      const name = `${String(i).padStart(5, '0')}.${kind === 'jpeg' ? 'jpg' : 'png'}`;
      const bytes = { png: good, jpeg: goodJpeg, corrupt: Buffer.from(`\x89PNG\r\n\x1a\n${'x'.repeat(40)}`), truncated: good.subarray(0, good.length >> 1), empty: Buffer.alloc(0), 'too small': small }[kind]!;
      writeFileSync(join(input, name), bytes);
      if (!['png', 'jpeg'].includes(kind)) bad.set(name, kind);
    }
    expect(bad.size).toBe(IMAGES / 50);
    const before = diskState(input);
    writeTinyProject(dir, input);
    const service = createEngineService({ stateDir: join(dir, 'state'), demoPath: join(dir, 'tiny.mgproj.json'), host: 'test' });
    const { project } = await service.openProject(join(dir, 'tiny.mgproj.json'));
    const output = join(dir, 'out');
    const done = new Promise<RunEvent>((ok) => service.onRunEvent((e) => (e.type === 'batch-finished' || e.type === 'batch-failed') && ok(e)));
    await service.startBatch({ graph: project.graph, baseDir: dir, input, output, batchSize: 8 });
    const end = await done;
    await service.close();
    expect(end.type, JSON.stringify(end)).toBe('batch-finished');
    const report = JSON.parse(readFileSync(join(output, 'batch-report.json'), 'utf8')) as BatchReportInfo;
    expect(report).toMatchObject({ finished: true, cancelled: false, processed: IMAGES - bad.size, written: IMAGES - bad.size, failed: [] });
    // Every bad file, and only those, with a reason that says what is wrong.
    expect(report.skipped.map((s) => s.file)).toEqual([...bad.keys()].sort());
    for (const s of report.skipped) expect(s.reason, `${s.file} (${bad.get(s.file)})`).toMatch(bad.get(s.file) === 'too small' ? /too small/ : /cannot decode/);
    expect(diskState(input)).toEqual(before);
    console.info(`batch soak: ${IMAGES} images, ${bad.size} bad, all reported; ${report.imagesPerSecond} images/s`);
  }, FULL ? 3_600_000 : 180_000);
});
