// One writer per run folder, with real processes: a `modulargan train` child holds the lock;
// a second `train --resume` (and the studio's training, and a --restart that would delete the
// run) is refused with the holder named; SIGKILL leaves a stale lock that the next run takes
// over; SIGINT (once or twice) releases it; and processes racing to take over one stale lock
// never both win.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngineService } from '../../core/engine/service';
import type { RunEvent } from '../../core/api/types';
import { initBackend } from '../../core/runtime/backends';
import { RunFolderBusyError } from '../../core/train/run-lock';
import { runTraining } from '../../core/train/run';
import { readLog, tinyProject } from '../helpers/training';

const root = new URL('../../', import.meta.url).pathname;
const cli = join(root, 'bin/modulargan.mjs');
const taker = join(root, 'test/helpers/lock-taker.ts');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The tiny project at 16 px, batch 2: an iteration is quick, and the run long enough to be interrupted. */
const project = (name: string) =>
  tinyProject((p) => {
    for (const n of (p.graph as { nodes: { kind: string; params: Record<string, unknown> }[] }).nodes) if (n.kind !== 'transformer') n.params.imageSize = 16;
    (p.datasets as Record<string, unknown>[])[0]!.imageSize = 16;
    Object.assign(p.training as object, { iterations: 100_000, decayFrom: 50_000, batchSize: 2, nCritic: 1, dDepth: 2, checkpointEvery: 2, sampleEvery: 100_000, backend: 'wasm' });
  }, name);

function start(command: string, args: string[], cwd: string) {
  // The taker runs from the repository, where `--import tsx` finds tsx.
  const child = spawn(process.execPath, [...(command === 'train' ? [cli, 'train'] : ['--import', 'tsx', taker]), ...args], { cwd: command === 'train' ? cwd : root, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  // A death by signal resolves to the signal's name, so a failure says which one.
  const exited = new Promise<number | string | null>((r) => child.once('exit', (code, signal) => r(code ?? signal)));
  return { child, output: () => text, exited };
}
const train = (file: string, ...extra: string[]) => start('train', [file, ...extra], dirname(file));

const runDirOf = (file: string) => file.replace(/\.mgproj\.json$/, '.train');
const logLines = (runDir: string) => (existsSync(join(runDir, 'log.jsonl')) ? readFileSync(join(runDir, 'log.jsonl'), 'utf8').split('\n').filter(Boolean).length : 0);
async function until(ok: () => boolean, what: string, ms = 90_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
/** A log written by one writer at a time: iterations 0, 1, 2, … each once, in order. */
function expectOneWriter(runDir: string): void {
  const its = readLog(join(runDir, 'log.jsonl')).map((l) => l.iteration);
  expect(its).toEqual(its.map((_, i) => i));
}
const holderMessage = (runDir: string, pid: number, command: string) =>
  new RegExp(`run folder ${runDir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is being written by pid ${pid} \\(${command.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, started \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\) on host ${hostname()}`);

beforeAll(async () => {
  await initBackend('wasm', { probeAll: false });
}, 60_000);

describe('one writer per run folder', () => {
  it('refuses a second writer naming the holder, takes over the lock of a killed one, releases it on Ctrl+C (once or twice)', async () => {
    const file = project('p');
    const runDir = runDirOf(file);
    const first = train(file);
    await until(() => logLines(runDir) >= 2 || first.child.exitCode !== null, 'the first run to train');
    const lock = JSON.parse(readFileSync(join(runDir, 'run.lock'), 'utf8')) as { pid: number; host: string; command: string };
    expect(lock).toMatchObject({ pid: first.child.pid, host: hostname(), command: `modulargan train ${file}` });

    // The same project from the command line, with --resume: refused, the holder named.
    const second = train(file, '--resume');
    expect(await second.exited, second.output()).toBe(1);
    expect(second.output()).toMatch(holderMessage(runDir, first.child.pid!, `modulargan train ${file}`));
    expect(second.output()).not.toMatch(/\n\s+at /); // a message, not a stack trace
    // --restart would delete the run under the writer: refused too, before anything is removed.
    await expect(runTraining(file, { restart: true })).rejects.toThrow(RunFolderBusyError);
    // And the studio's Training tab beside the command line.
    const service = createEngineService({ stateDir: mkdtempSync(join(tmpdir(), 'mg-lock-state-')), demoPath: join(root, 'test/fixtures/demo/demo.mgproj.json'), host: 'test' });
    const events: RunEvent[] = [];
    service.onRunEvent((e) => events.push(e));
    await service.startTraining({ projectPath: file, resume: 'latest' });
    await until(() => events.some((e) => e.type === 'training-failed'), 'the studio to be refused');
    expect(events.find((e) => e.type === 'training-failed')).toMatchObject({ message: expect.stringMatching(holderMessage(runDir, first.child.pid!, `modulargan train ${file}`)) });
    expect(first.child.exitCode).toBeNull();

    // SIGKILL: the lock stays, naming a dead process; the next run takes it over.
    first.child.kill('SIGKILL');
    await first.exited;
    expect(JSON.parse(readFileSync(join(runDir, 'run.lock'), 'utf8'))).toMatchObject({ pid: first.child.pid });
    const third = train(file, '--resume');
    await until(() => /resumed from .* at iteration \d+/.test(third.output()), 'the takeover to resume');
    const resumedAt = Number(/at iteration (\d+)/.exec(third.output())![1]);
    await until(() => logLines(runDir) > resumedAt, 'the takeover to train');
    expect(JSON.parse(readFileSync(join(runDir, 'run.lock'), 'utf8'))).toMatchObject({ pid: third.child.pid, command: `modulargan train ${file} --resume` });
    // Ctrl+C: a checkpoint, exit 130, and the lock gone.
    third.child.kill('SIGINT');
    expect(await third.exited, third.output()).toBe(130);
    expect(existsSync(join(runDir, 'run.lock'))).toBe(false);

    // Ctrl+C twice exits at once (process.exit): the lock goes with the process all the same.
    const fourth = train(file, '--resume');
    await until(() => /resumed from/.test(fourth.output()), 'the fourth run to resume');
    fourth.child.kill('SIGINT');
    await sleep(20);
    fourth.child.kill('SIGINT');
    expect(await fourth.exited, fourth.output()).toBe(130);
    expect(existsSync(join(runDir, 'run.lock'))).toBe(false);
    expectOneWriter(runDir);
  }, 180_000);

  it('of processes racing to take over one stale lock, exactly one wins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-lock-race-'));
    const signals = mkdtempSync(join(tmpdir(), 'mg-lock-signals-'));
    const flag = (name: string) => writeFileSync(join(signals, name), '');
    // A holder killed while holding: its lock is stale.
    const killed = start('taker', [dir, join(signals, 'go-0'), join(signals, 'never')], dir);
    flag('go-0');
    await until(() => killed.output().includes('won'), 'the first taker');
    killed.child.kill('SIGKILL');
    await killed.exited;
    for (let round = 1; round <= 3; round++) {
      const takers = Array.from({ length: 6 }, () => start('taker', [dir, join(signals, `go-${round}`), join(signals, `release-${round}`)], dir));
      await until(() => takers.every((t) => t.output().includes('ready')), 'every taker to start');
      flag(`go-${round}`);
      // The winner holds on until every other taker has had its answer.
      await until(() => takers.filter((t) => /\b(won|busy)\b/.test(t.output())).length === takers.length, 'every taker to answer');
      flag(`release-${round}`);
      await Promise.all(takers.map((t) => t.exited));
      const won = takers.filter((t) => /\bwon\b/.test(t.output()));
      expect(won.length, takers.map((t) => t.output()).join('\n---\n')).toBe(1);
      for (const t of takers.filter((x) => x !== won[0])) expect(t.output()).toContain(`busy ${won[0]!.child.pid}`);
      expect(existsSync(join(dir, 'run.lock'))).toBe(false);
      // The next round races for a stale lock again: one left by a process that died holding it.
      writeFileSync(join(dir, 'run.lock'), `${JSON.stringify({ pid: killed.child.pid, host: hostname(), startedAt: new Date().toISOString(), command: 'dead', token: `dead-${round}` })}\n`);
    }
  }, 180_000);
});
