import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunEvent, checkParams, checkRunEvent, dispatchCall } from '../../core/api';
import { parseQueueAddress } from '../../core/engine/queue/address';
import { parsePathMaps } from '../../core/engine/queue/path-map';
import { runWorkerHost } from '../../core/engine/queue/worker';
import { createEngineService } from '../../core/engine/service';
import { initBackend } from '../../core/runtime/backends';
import { tinyProject } from '../helpers/projects';
import { type RedisServer, startRedis } from '../helpers/redis';

// The studio's Batch panel sends to a queue through the one typed API: the request is checked
// by its schema, the engine queues it, a worker (here in this process, on a real Redis) runs
// the shares, and progress events name each worker; the report equals a local batch's.

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'mg-queue-studio-'));
const inputs = join(dir, 'in');
const service = createEngineService({ stateDir: join(dir, 'state'), demoPath: join(root, 'test', 'fixtures', 'demo', 'demo.mgproj.json'), host: 'test' });
const events: RunEvent[] = [];
service.onRunEvent((e) => events.push(checkRunEvent(e)));
const png = (w: number, h: number, v: number) => sharp(Buffer.alloc(w * h * 3, v), { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
const graph = tinyProject('').graph;
let redis: RedisServer;
const stopWorker = new AbortController();
let worker: Promise<void>;
const log: string[] = [];

const ended = (runId: string) =>
  new Promise<RunEvent>((ok) => {
    const t = setInterval(() => {
      const e = events.find((x) => 'runId' in x && x.runId === runId && (x.type === 'batch-finished' || x.type === 'batch-failed'));
      if (!e) return;
      clearInterval(t);
      ok(e);
    }, 20);
  });

beforeAll(async () => {
  mkdirSync(inputs, { recursive: true });
  for (let i = 0; i < 9; i++) writeFileSync(join(inputs, `p${i}.png`), await png(16 + i, 16, 25 * i));
  writeFileSync(join(inputs, 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\nbroken'));
  await initBackend('auto', { gradients: false });
  redis = await startRedis();
  worker = runWorkerHost({ queue: parseQueueAddress(redis.url), map: parsePathMaps([]), engine: 'auto', name: 'studio-worker', log: (l) => log.push(l), signal: stopWorker.signal });
});
afterAll(async () => {
  stopWorker.abort();
  await worker;
  await service.close();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the studio's Batch panel with a queue", () => {
  it('checks the queue URL at the API boundary', () => {
    const req = { graph, baseDir: dir, input: inputs, output: join(dir, 'x') };
    expect(() => checkParams('startBatch', [{ ...req, queue: 'redis://127.0.0.1:1/0' }])).not.toThrow();
    expect(() => checkParams('startBatch', [{ ...req, queue: 'http://127.0.0.1:1' }])).toThrow(/must be a redis:\/\/ URL/);
    expect(() => checkParams('startBatch', [{ ...req, jobSize: 0 }])).toThrow();
  });

  it('sends the batch to queue workers, shows each worker, and reports as a local batch does', async () => {
    const local = await dispatchCall(service, 'startBatch', [{ graph, baseDir: dir, input: inputs, output: join(dir, 'local'), batchSize: 2 }]);
    const queued = await dispatchCall(service, 'startBatch', [{ graph, baseDir: dir, input: inputs, output: join(dir, 'queued'), batchSize: 2, queue: redis.url, jobSize: 4 }]);
    if (!local.ok || !queued.ok) throw new Error('startBatch refused');
    const [l, q] = await Promise.all([ended((local.result as { runId: string }).runId), ended((queued.result as { runId: string }).runId)]);
    if (l.type !== 'batch-finished' || q.type !== 'batch-finished') throw new Error(`a batch failed: ${JSON.stringify([l, q])}`);
    const strip = ({ seconds: _s, imagesPerSecond: _i, reportPath: _r, output: _o, ...rest }: typeof l.report) => rest;
    expect(strip(q.report)).toEqual(strip(l.report));
    expect(q.report).toMatchObject({ finished: true, processed: 9, written: 9, skipped: [{ file: 'broken.png' }] });
    const progress = events.filter((e) => e.type === 'batch-progress' && e.runId === (queued.result as { runId: string }).runId);
    expect(progress.some((e) => e.type === 'batch-progress' && e.workers?.some((w) => w.worker === 'studio-worker' && w.done > 0))).toBe(true);
    expect(log.join('\n')).toMatch(/share 3\/3 of run .* done: 2 processed/);
  });

  it('fails the batch with the reason when the queue URL is not one', async () => {
    const r = await dispatchCall(service, 'startBatch', [{ graph, baseDir: dir, input: inputs, output: join(dir, 'bad'), queue: 'redis://127.0.0.1:1/queue' }]);
    if (!r.ok) throw new Error('startBatch refused');
    const e = await ended((r.result as { runId: string }).runId);
    expect(e).toMatchObject({ type: 'batch-failed', message: expect.stringMatching(/database after the port must be a number/) });
  });
});
