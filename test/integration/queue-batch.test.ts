import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_QUEUE } from '../../core/engine/queue/batch-job';
import { type RedisServer, startRedis } from '../helpers/redis';
import { writeTinyProject } from '../helpers/projects';

// A distributed batch against real servers: a real redis-server, real worker processes, a
// folder of good and bad images. The first worker is killed mid-share (its share is taken
// over when its lock runs out), Redis stops answering for two seconds (SIGSTOP) while two
// more workers start, and later dies and comes back empty on the same port. The merged report
// and the outputs must equal those of a local `modulargan batch` of the same folder, every
// input processed once or reported, nothing torn, no input touched.

const root = new URL('../../', import.meta.url).pathname;
const cli = join(root, 'bin/modulargan.mjs');
const dir = mkdtempSync(join(tmpdir(), 'mg-queue-'));
const inputs = join(dir, 'in');
let redis: RedisServer;
const procs: ChildProcess[] = [];

const noise = (w: number, h: number, seed: number) => {
  const px = Buffer.alloc(w * h * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * 7919 + seed * 104729) % 251;
  return sharp(px, { raw: { width: w, height: h, channels: 3 } });
};
const hashes = (folder: string) =>
  Object.fromEntries(
    (readdirSync(folder, { recursive: true }) as string[]).sort().map((f) => {
      try {
        return [f, createHash('sha256').update(readFileSync(join(folder, f))).digest('hex')];
      } catch {
        return [f, 'folder'];
      }
    }),
  );

/** A process whose output lines are kept, and can be waited for. */
function start(args: string[]) {
  const p = spawn(process.execPath, [cli, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  const onData = (d: Buffer) => {
    for (const line of d.toString().split('\n').filter(Boolean)) {
      lines.push(line);
      for (const w of [...waiters])
        if (w.re.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
    }
  };
  p.stdout!.on('data', onData);
  p.stderr!.on('data', onData);
  const exit = new Promise<number>((r) => p.once('exit', (code, signal) => r(code ?? (signal ? 128 : -1))));
  return {
    p,
    lines,
    exit,
    waitFor: (re: RegExp, ms: number) =>
      new Promise<string>((resolve, reject) => {
        const hit = lines.find((l) => re.test(l));
        if (hit) return resolve(hit);
        const t = setTimeout(() => reject(new Error(`no line matching ${re} within ${ms} ms; got:\n${lines.join('\n')}`)), ms);
        waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
      }),
  };
}
const worker = (name: string) => start(['worker', '--queue', redis.url, '--name', name, '--lock-seconds', '3']);

beforeAll(async () => {
  mkdirSync(join(inputs, 'sub'), { recursive: true });
  for (let i = 0; i < 26; i++) writeFileSync(join(inputs, `img${String(i).padStart(2, '0')}.png`), await noise(16 + (i % 5) * 7, 16 + (i % 3) * 5, i).png().toBuffer());
  writeFileSync(join(inputs, 'photo.jpg'), await noise(30, 24, 99).jpeg().toBuffer());
  writeFileSync(join(inputs, 'sub', 'a.png'), await noise(18, 18, 7).png().toBuffer());
  writeFileSync(join(inputs, 'sub', 'b.webp'), await noise(20, 20, 8).webp().toBuffer());
  const whole = await noise(64, 64, 5).png().toBuffer();
  writeFileSync(join(inputs, 'truncated.png'), whole.subarray(0, whole.length >> 1));
  writeFileSync(join(inputs, 'corrupt.png'), Buffer.from('\x89PNG\r\n\x1a\nbroken'));
  writeFileSync(join(inputs, 'notes.txt'), 'not an image');
  writeFileSync(join(inputs, 'tiny.png'), await noise(3, 3, 1).png().toBuffer());
  // Two inputs with one output name: the later one is skipped, locally and queued alike.
  writeFileSync(join(inputs, 'twin.jpg'), await noise(16, 16, 11).jpeg().toBuffer());
  writeFileSync(join(inputs, 'twin.png'), await noise(16, 16, 12).png().toBuffer());
  writeTinyProject(dir, 'in');
  redis = await startRedis();
});
afterAll(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const batchArgs = ['batch', 'tiny.mgproj.json', '-i', 'in', '--recursive', '--batch', '2'];

describe('modulargan batch --queue with real workers', () => {
  it('survives a worker killed mid-share and a Redis that stops and restarts empty, and equals a local batch', async () => {
    const before = hashes(inputs);
    const first = worker('first');
    const local = promisify(execFile)(process.execPath, [cli, ...batchArgs, '-o', 'local', '-q'], { cwd: dir }).then(
      () => 0,
      (e: { code: number }) => e.code,
    );
    await first.waitFor(/waiting for shares/, 30_000);

    const coord = start([...batchArgs, '-o', 'queued', '--queue', redis.url, '--job-size', '4']);
    // The first worker dies in the middle of its first share; its lock keeps the share for 3 s.
    await first.waitFor(/share \d+\/\d+ of run .*: \d+ files/, 30_000);
    first.p.kill('SIGKILL');
    // Redis answers nothing for two seconds while two more workers start.
    redis.pause();
    const second = worker('second');
    const third = worker('third');
    await new Promise((r) => setTimeout(r, 2000));
    redis.resume();
    // The killed worker's share is taken over once its lock has run out...
    const helpers = [second, third];
    await Promise.race(helpers.map((w) => w.waitFor(/\(attempt [2-9]\)/, 30_000)));
    // ...and then Redis dies, and comes back empty on the same port.
    await redis.kill();
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();

    expect(await Promise.race([coord.exit, new Promise((r) => setTimeout(() => r('timeout'), 40_000))])).toBe(await local);
    expect(await local).toBe(2); // the bad files are reported, locally and queued alike
    expect(coord.lines.join('\n')).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+\/0 is back|lost by Redis; queued again/);

    const report = (folder: string) => JSON.parse(readFileSync(join(dir, folder, 'batch-report.json'), 'utf8'));
    const same = (r: Record<string, unknown>, folder: string) => {
      const { seconds: _s, imagesPerSecond: _i, engine: _e, reportPath, output, ...rest } = r;
      expect(reportPath).toBe(join(dir, folder, 'batch-report.json'));
      expect(output).toBe(join(dir, folder));
      return JSON.parse(JSON.stringify(rest).replaceAll(join(dir, folder), '<out>'));
    };
    const queued = report('queued');
    expect(same(queued, 'queued')).toEqual(same(report('local'), 'local'));
    expect(queued).toMatchObject({ finished: true, processed: 30, written: 30, failed: [] });
    expect(queued.skipped.map((s: { file: string }) => s.file)).toEqual(['corrupt.png', 'notes.txt', 'tiny.png', 'truncated.png', 'twin.png']);

    // The same files, the same pixels; nothing torn or left over; the inputs untouched.
    const files = (folder: string) => (readdirSync(join(dir, folder), { recursive: true }) as string[]).sort();
    expect(files('queued')).toEqual(files('local'));
    for (const f of files('local').filter((f) => f.endsWith('.png'))) {
      const [a, b] = await Promise.all(['local', 'queued'].map((d) => sharp(join(dir, d, f)).raw().toBuffer()));
      expect(b!.equals(a!), f).toBe(true);
    }
    expect(hashes(inputs)).toEqual(before);

    if (process.env.QUEUE_TEST_LOG) for (const [n, w] of Object.entries({ first, second, third, coord })) console.log(`--- ${n}\n${w.lines.join("\n")}`);
    for (const w of helpers) w.p.kill('SIGTERM');
    expect(await Promise.all(helpers.map((w) => w.exit))).toEqual([0, 0]);
  }, 90_000);

  it('removes the shares not started on Ctrl+C and reports the run cancelled', async () => {
    // No worker runs now (the test before may have failed before stopping its own): every share waits.
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : undefined)));
    const coord = start([...batchArgs, '-o', 'cancelled', '--queue', redis.url, '--job-size', '2']);
    await coord.waitFor(/queued 33 files as 17 shares/, 30_000);
    coord.p.kill('SIGINT');
    expect(await Promise.race([coord.exit, new Promise((r) => setTimeout(() => r('timeout'), 20_000))])).toBe(130);
    const report = JSON.parse(readFileSync(join(dir, 'cancelled', 'batch-report.json'), 'utf8'));
    expect(report).toMatchObject({ finished: false, cancelled: true, processed: 0, written: 0 });
    const queue = new Queue(BATCH_QUEUE, { connection: { host: '127.0.0.1', port: redis.port } });
    try {
      expect(await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed')).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 });
    } finally {
      await queue.close();
    }
  }, 60_000);
});
