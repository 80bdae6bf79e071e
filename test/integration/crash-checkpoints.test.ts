import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { type FSWatcher, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, watch } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readWeightsFile } from '../../core/files/weights-file';
import { readLog, tinyProject } from '../helpers/training';

// `modulargan train` is killed with SIGKILL again and again: while a checkpoint folder is
// being written, just after it is renamed into place (before the index lists it), and at
// random moments. After every kill, each checkpoint the index lists must be whole, and the
// next `--resume` must continue from the newest of them; the run then completes with the
// log, samples and final weights of an uninterrupted run: no byte lost.

const KILLS = 6;
const ITERATIONS = 20;
const EVERY = 2;

const root = new URL('../../', import.meta.url).pathname;
const cli = join(root, 'bin/modulargan.mjs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The tiny generation project, smaller still (16 px, batch 2), with a checkpoint every other iteration. */
const project = (name: string) =>
  tinyProject((p) => {
    for (const n of (p.graph as { nodes: { kind: string; params: Record<string, unknown> }[] }).nodes) if (n.kind !== 'transformer') n.params.imageSize = 16;
    (p.datasets as Record<string, unknown>[])[0]!.imageSize = 16;
    Object.assign(p.training as object, { iterations: ITERATIONS, decayFrom: 8, batchSize: 2, nCritic: 1, dDepth: 2, checkpointEvery: EVERY, sampleEvery: 4, backend: 'cpu' });
  }, name);

const train = (file: string, extra: string[] = []) => spawn(process.execPath, [cli, 'train', file, '--resume', ...extra], { cwd: dirname(file), stdio: ['ignore', 'pipe', 'pipe'] });
const output = (child: ChildProcess) => {
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  return () => text;
};
const exited = (child: ChildProcess) => new Promise<number | null>((r) => (child.exitCode !== null || child.signalCode ? r(child.exitCode) : child.once('exit', r)));

/** A checkpoint folder is whole: manifest, every module's weights, both optimisers' state. */
async function isWhole(dir: string): Promise<boolean> {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { modules: Record<string, string>; optimizers: Record<string, string> };
    for (const f of Object.values(m.modules)) await readWeightsFile(join(dir, f));
    for (const o of Object.values(m.optimizers)) {
      const header = JSON.parse(readFileSync(join(dir, `${o}.json`), 'utf8')) as { tensors: { length: number }[] };
      if (statSync(join(dir, `${o}.bin`)).size !== 8 * header.tensors.reduce((a, t) => a + t.length, 0)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** Files under a folder with their sha256 (manifests without their creation time). */
function contents(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) visit(p);
      else {
        let bytes = readFileSync(p);
        if (e.name === 'manifest.json') bytes = Buffer.from(JSON.stringify({ ...JSON.parse(bytes.toString()), createdAt: null }));
        out.set(p.slice(dir.length), createHash('sha256').update(bytes).digest('hex'));
      }
    }
  };
  visit(dir);
  return out;
}

/** What `train --resume` says when it continues from iteration n. */
const resumedAt = (n: number) => (n ? new RegExp(`resumed from .*iter-0*${n} at iteration ${n}\\b`) : /starting from iteration 0/);

const made: string[] = [];
afterAll(() => made.forEach((f) => rmSync(dirname(f), { recursive: true, force: true })));

describe('checkpoints under SIGKILL', () => {
  it(`killed ${KILLS} times (mid-write, just after the rename, at random), --resume always continues from the last whole checkpoint and loses nothing`, async () => {
    const file = project('killed');
    const refFile = project('reference');
    made.push(file, refFile);
    // The uninterrupted run, alongside.
    const ref = train(refFile);
    const refDone = exited(ref);

    const runDir = file.replace(/\.mgproj\.json$/, '.train');
    const ckpts = join(runDir, 'checkpoints');
    // Made here so it can be watched from the first round (the trainer accepts an existing folder).
    mkdirSync(ckpts, { recursive: true });
    const modes = ['mid-write', 'after-rename', 'random'] as const;
    let expected = 0;
    let midWrite = 0;
    let unlisted = 0;
    for (let round = 0; round < KILLS; round++) {
      const mode = modes[round % modes.length]!;
      const child = train(file);
      const text = output(child);
      let watcher: FSWatcher | undefined;
      // In the checkpoint modes, one checkpoint completes first (index.json replaced), so every round moves on.
      let indexed = 0;
      const kill = () => child.kill('SIGKILL');
      if (mode === 'random') {
        // While starting or resuming, or 1 to 3 iterations into the round: never so late that the run could finish.
        const j = Math.floor(Math.random() * 4);
        const lines = () => (existsSync(join(runDir, 'log.jsonl')) ? readFileSync(join(runDir, 'log.jsonl'), 'utf8').split('\n').filter(Boolean).length : 0);
        if (j === 0) await sleep(Math.random() * 2000);
        else while (child.exitCode === null && !(/resumed from|starting from/.test(text()) && lines() >= expected + j)) await sleep(10);
        await sleep(Math.random() * 300);
        kill();
      } else {
        watcher = watch(ckpts, (_event, name) => {
          if (name === 'index.json') indexed++;
          else if (indexed > 0 && mode === 'mid-write' && name?.startsWith('.iter-')) setTimeout(kill, Math.random() * 10);
          else if (indexed > 0 && mode === 'after-rename' && name && /^iter-\d+$/.test(name) && existsSync(join(ckpts, name))) kill();
        });
      }
      await exited(child);
      watcher?.close();
      expect(child.signalCode, `round ${round} (${mode}) ended before it was killed:\n${text()}`).toBe('SIGKILL');
      // It resumed where the previous round's last whole checkpoint was (unless killed before it said).
      if (/resumed from|starting from/.test(text())) expect(text(), `round ${round}`).toMatch(resumedAt(expected));

      // Whatever the index lists is whole; the next run must resume from its newest entry.
      const names = readdirSync(ckpts);
      if (names.some((n) => n.startsWith('.iter-'))) midWrite++;
      const index = existsSync(join(ckpts, 'index.json')) ? (JSON.parse(readFileSync(join(ckpts, 'index.json'), 'utf8')) as { checkpoints: { iteration: number; path: string }[] }) : { checkpoints: [] };
      for (const c of index.checkpoints) expect(await isWhole(join(ckpts, c.path)), `round ${round}: ${c.path} is listed but torn`).toBe(true);
      const listed = index.checkpoints.map((c) => c.iteration);
      const newest = listed.length ? Math.max(...listed) : 0;
      if (names.some((n) => /^iter-\d+$/.test(n) && Number(n.slice(5)) > newest)) unlisted++;
      expected = newest;
      expect(expected % EVERY).toBe(0);
    }

    // The last run finishes undisturbed.
    const last = train(file);
    const text = output(last);
    expect(await exited(last), text()).toBe(0);
    expect(text()).toMatch(resumedAt(expected));
    expect(text()).toMatch(`finished at iteration ${ITERATIONS}`);
    expect(await refDone).toBe(0);

    // Nothing lost or doubled: the log, samples and final checkpoint are the uninterrupted run's, byte for byte.
    const refDir = refFile.replace(/\.mgproj\.json$/, '.train');
    const log = readLog(join(runDir, 'log.jsonl'));
    expect(log.map((l) => l.iteration)).toEqual(Array.from({ length: ITERATIONS }, (_, i) => i));
    expect(log).toEqual(readLog(join(refDir, 'log.jsonl')));
    const final = `checkpoints/iter-${String(ITERATIONS).padStart(6, '0')}`;
    const mine = contents(join(runDir, final));
    const theirs = contents(join(refDir, final));
    expect(mine.size).toBeGreaterThan(5);
    expect(mine).toEqual(theirs);
    expect(contents(join(runDir, 'samples'))).toEqual(contents(join(refDir, 'samples')));
    // No temporary left behind by the kills: the next run cleared them.
    for (const d of [runDir, ckpts, join(runDir, 'samples')]) expect(readdirSync(d).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    // The kills really landed inside checkpoint writes (a temporary folder was left) and between rename and index.
    expect(midWrite, 'kills that left a half-written checkpoint folder').toBeGreaterThan(0);
    expect(unlisted, 'kills between a checkpoint rename and its index entry').toBeGreaterThan(0);
    console.info(`checkpoint crash test: ${KILLS} kills survived (${midWrite} mid-write, ${unlisted} before the index), 0 bytes lost`);
  }, 300_000);
});

describe('Ctrl+C', () => {
  it('finishes the iteration in flight, writes a checkpoint there and exits 130; --resume continues from it', async () => {
    const file = project('interrupted');
    made.push(file);
    const first = train(file, ['--iterations', '400']);
    const text = output(first);
    // Interrupt once a few iterations are logged and before the run could end on its own.
    const logFile = join(dirname(file), 'interrupted.train', 'log.jsonl');
    const logged = () => {
      try {
        return readLog(logFile).length;
      } catch {
        return 0; // not there yet, or a line half written
      }
    };
    while (logged() < 3) await sleep(50);
    first.kill('SIGINT');
    expect(await exited(first), text()).toBe(130);
    const at = Number(/interrupted at iteration (\d+); --resume continues from .*iter-0*(\d+)/.exec(text())?.[1]);
    expect(at, text()).toBeGreaterThan(2);
    expect(at).toBeLessThan(400);
    expect(text()).toMatch(new RegExp(`iter-0*${at}\\b`));
    expect(readLog(logFile).map((l) => l.iteration)).toEqual(Array.from({ length: at }, (_, i) => i));
    const again = train(file, ['--iterations', '400', '--stop-after', String(at + 2)]);
    const more = output(again);
    expect(await exited(again), more()).toBe(0);
    expect(more()).toMatch(resumedAt(at));
  }, 120_000);
});
