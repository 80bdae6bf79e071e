// Distributed batch throughput: the same folder through `modulargan batch --queue` with one
// and with two worker processes on a real redis-server, each worker pinned to one core
// (taskset; onnxruntime then runs one thread), beside a local batch on one core. Workers are
// started and ready before the clock starts; the rate is the merged report's (planning,
// queueing, following and merging included).

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runQueuedBatchJob } from '../core/engine/queue/batch-submit';
import { serializeDocument } from '../core/graph/format/migrate';
import { projectSchema } from '../core/graph/format/project';
import { startRedis } from '../test/helpers/redis';
import { makePhotos } from './batch';
import { type InferenceCase, benchGraph3T } from './inference';

const cli = new URL('../bin/modulargan.mjs', import.meta.url).pathname;
const pinned = (core: number, args: string[]): [string, string[]] =>
  existsSync('/usr/bin/taskset') ? ['/usr/bin/taskset', ['-c', String(core), process.execPath, cli, ...args]] : [process.execPath, [cli, ...args]];

/** Starts a worker and resolves once it waits for shares. */
function startWorker(core: number, url: string, name: string): Promise<ChildProcess> {
  const [cmd, args] = pinned(core, ['worker', '--queue', url, '--name', name]);
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('waiting for shares')) resolve(p);
    });
    p.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code} before it was ready: ${out}`)));
  });
}

const stop = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null ? r() : (p.once('exit', () => r()), p.kill('SIGTERM'))));

export async function benchQueue(c: InferenceCase & { images: number; jobSize: number }): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'mg-bench-queue-'));
  const redis = await startRedis();
  try {
    await makePhotos(join(dir, 'in'), c.images);
    const project = join(dir, 'bench.mgproj.json');
    writeFileSync(project, serializeDocument(projectSchema.parse({ format: 'modulargan-project', version: 2, name: 'bench', graph: benchGraph3T(c) })));
    const load = loadavg()[0] ?? 0;

    // One core, no queue: what a worker's share of the work costs without one.
    const [cmd, args] = pinned(0, ['batch', project, '-i', join(dir, 'in'), '-o', join(dir, 'local'), '-q']);
    await promisify(execFile)(cmd, args).catch((e: { code?: number }) => {
      if (e.code !== 2) throw e;
    });
    const local = JSON.parse(readFileSync(join(dir, 'local', 'batch-report.json'), 'utf8')) as { imagesPerSecond: number; seconds: number; engine: string };

    const rows: Record<string, unknown>[] = [];
    for (const n of [1, 2]) {
      const workers = await Promise.all(Array.from({ length: n }, (_, i) => startWorker(i % availableParallelism(), redis.url, `w${i + 1}`)));
      try {
        const report = await runQueuedBatchJob({ file: project, input: join(dir, 'in'), output: join(dir, `queued-${n}`), queue: redis.url, jobSize: c.jobSize });
        rows.push({
          workers: n,
          imagesPerSecond: report.imagesPerSecond,
          seconds: report.seconds,
          processed: report.processed,
          engine: report.engine,
          perWorker: report.workers.map((w) => ({ worker: w.worker, images: w.done, shares: w.shares })),
        });
      } finally {
        await Promise.all(workers.map(stop));
      }
    }
    const one = rows[0]!.imagesPerSecond as number;
    const two = rows[1]!.imagesPerSecond as number;
    return {
      note: `${c.images} generated 178x218 JPEGs, E -> 3 T -> R at ${c.size} px base ${c.base}, shares of ${c.jobSize}; each worker pinned to one core (taskset), so onnxruntime runs one thread; load before: ${load.toFixed(2)}`,
      pinned: existsSync('/usr/bin/taskset'),
      localOneCore: { imagesPerSecond: local.imagesPerSecond, seconds: local.seconds, engine: local.engine },
      rows,
      speedupTwoWorkers: Math.round((two / one) * 100) / 100,
    };
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
