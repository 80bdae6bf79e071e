import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQueueAddress } from '../../core/engine/queue/address';
import { runQueuedBatch } from '../../core/engine/queue/batch-submit';
import { parsePathMaps } from '../../core/engine/queue/path-map';
import { runWorkerHost } from '../../core/engine/queue/worker';
import { initBackend } from '../../core/runtime/backends';
import { tinyProject } from '../helpers/projects';
import { type RedisServer, startRedis } from '../helpers/redis';

// A worker killed in the middle of writing leaves its temporary file beside the outputs; on
// another machine its pid means nothing here. Once every share has ended the submitter removes
// such leftovers, even one made just before the end: the output folder then holds what a
// local run leaves, and nothing else.

const dir = mkdtempSync(join(tmpdir(), 'mg-queue-sweep-'));
const inputs = join(dir, 'in');
const png = (v: number) => sharp(Buffer.alloc(16 * 16 * 3, v), { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer();
let redis: RedisServer;
const stop = new AbortController();
let worker: Promise<void>;

beforeAll(async () => {
  mkdirSync(inputs);
  for (let i = 0; i < 4; i++) writeFileSync(join(inputs, `p${i}.png`), await png(40 * i));
  await initBackend('auto', { gradients: false });
  redis = await startRedis();
  worker = runWorkerHost({ queue: parseQueueAddress(redis.url), map: parsePathMaps([]), engine: 'auto', log: () => undefined, signal: stop.signal });
});
afterAll(async () => {
  stop.abort();
  await worker;
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a queued batch at its end', () => {
  it("removes a killed writer's temporary file, however young, once every share has ended", async () => {
    const out = join(dir, 'out');
    const report = await runQueuedBatch(
      tinyProject('').graph,
      { baseDir: dir, input: inputs, output: out, queue: parseQueueAddress(redis.url), jobSize: 2, checkEveryMs: 200 },
      {
        // After planning (which sweeps what it finds): as if a worker on another machine died mid-write.
        onQueued: () => {
          mkdirSync(out, { recursive: true });
          // Named with a pid alive here (this one): on another machine that pid meant another process.
          writeFileSync(join(out, `.p9.png.${process.pid}.0123456789ab.tmp`), 'half a PNG');
        },
      },
    );
    expect(report).toMatchObject({ finished: true, processed: 4, written: 4 });
    expect(readdirSync(out).sort()).toEqual(['batch-report.json', 'p0.png', 'p1.png', 'p2.png', 'p3.png']);
  });
});
