import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../helpers/redis';
import { readLog, tinyProject } from '../helpers/training';

// Queued trainings against a real redis-server and real worker processes started with
// --train: the submitter prints the worker's log lines and progress; a worker killed
// mid-training has the job taken over by another, which resumes from the latest checkpoint
// (each iteration logged once); Ctrl+C at the submitter stops the training with a checkpoint.

const root = new URL('../../', import.meta.url).pathname;
const cli = join(root, 'bin/modulargan.mjs');
let redis: RedisServer;
const procs: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function start(args: string[]) {
  const p = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  const lines: string[] = [];
  const t0 = Date.now();
  for (const s of [p.stdout!, p.stderr!])
    s.on('data', (d: Buffer) => {
      const got = d.toString().split('\n').filter(Boolean);
      lines.push(...got);
      if (process.env.QUEUE_TEST_LOG) for (const l of got) console.log(`${((Date.now() - t0) / 1000).toFixed(1)} ${args[0]} ${l}`);
    });
  const exit = new Promise<number>((r) => p.once('exit', (code, signal) => r(code ?? (signal ? 128 : -1))));
  const waitFor = async (re: RegExp, ms: number) => {
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
      const hit = lines.find((l) => re.test(l));
      if (hit) return hit;
      await sleep(50);
    }
    throw new Error(`no line matching ${re} within ${ms} ms:\n${lines.join('\n')}`);
  };
  return { p, lines, exit, waitFor };
}
const trainer = (name: string) => start(['worker', '--queue', redis.url, '--name', name, '--train', '--train-lock-seconds', '3']);

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await redis?.stop();
});

describe('modulargan train --queue with real workers', () => {
  it('streams the log back, and a worker killed mid-training has it resumed by another from its checkpoint', async () => {
    const file = tinyProject();
    const run = join(dirname(file), 'tiny.train');
    const workers = [trainer('t1'), trainer('t2')];
    await Promise.all(workers.map((w) => w.waitFor(/waiting for shares/, 30_000)));
    const submit = start(['train', file, '--queue', redis.url, '--iterations', '14', '--backend', 'wasm']);
    // Whoever took it dies once it has written its first checkpoint.
    while (!existsSync(join(run, 'checkpoints', 'iter-000006', 'manifest.json'))) await sleep(20);
    const taker = workers.find((w) => w.lines.some((l) => /training .* for /.test(l)))!;
    const other = workers.find((w) => w !== taker)!;
    taker.p.kill('SIGKILL');

    expect(await Promise.race([submit.exit, sleep(60_000).then(() => 'timeout')])).toBe(0);
    const out = submit.lines.join('\n');
    expect(out).toMatch(/queued as train-\S+ on modulargan-train/);
    expect(out).toContain('backend: wasm');
    expect(out).toMatch(/\(attempt 2\)/);
    expect(out).toMatch(/resumed from .*iter-0000(06|12) at iteration/);
    const name = other === workers[0] ? 't1' : 't2';
    expect(out).toMatch(new RegExp(`finished at iteration 14 on ${name}; log, samples and checkpoints in .*tiny\\.train`));
    expect(readLog(join(run, 'log.jsonl')).map((r) => r.iteration)).toEqual(Array.from({ length: 14 }, (_, i) => i));
    rmSync(dirname(file), { recursive: true, force: true });
  }, 120_000);

  it('stops the training with a checkpoint on Ctrl+C at the submitter', async () => {
    const file = tinyProject();
    const submit = start(['train', file, '--queue', redis.url, '--iterations', '400', '--backend', 'wasm']);
    await submit.waitFor(/iteration \d+\/400 on t[12]/, 60_000);
    submit.p.kill('SIGINT');
    expect(await Promise.race([submit.exit, sleep(30_000).then(() => 'timeout')])).toBe(130);
    expect(submit.lines.join('\n')).toMatch(/interrupted at iteration \d+; --resume continues from .*iter-\d+/);
    rmSync(dirname(file), { recursive: true, force: true });
  }, 90_000);
});
