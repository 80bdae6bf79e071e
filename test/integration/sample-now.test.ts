// Images in the first minute: a fresh run writes a sample grid at iteration 0 (before any
// step) and makes one on request between iterations; with no training in memory, a grid of
// the run's latest checkpoint (or of the untrained model) is made from the project alone,
// the same grid the trainer makes. Checkpoint weights record what they were trained on.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readWeightsFile } from '../../core/files/weights-file';
import { initBackend } from '../../core/runtime/backends';
import { type SampleNow, runTraining } from '../../core/train/run';
import { sampleLatest } from '../../core/train/sample-now';
import { tinyProject } from '../helpers/training';

beforeAll(async () => {
  await initBackend('wasm', { probeAll: false });
}, 60_000);

const settings = (p: Record<string, unknown>) => Object.assign(p.training as Record<string, unknown>, { iterations: 6, sampleEvery: 100, checkpointEvery: 3 });

describe('samples in the first minute', () => {
  it('a fresh run writes a grid at iteration 0, and one on request of the state it is in', async () => {
    const file = tinyProject(settings);
    const untrained = await sampleLatest(file);
    expect(untrained).toMatchObject({ iteration: 0, checkpoint: null });

    const seen: number[] = [];
    let sample: SampleNow | null = null;
    const asked: Promise<{ png: Uint8Array; iteration: number }>[] = [];
    const r = await runTraining(file, {
      onSample: (_png, iteration) => seen.push(iteration),
      onSampler: (s) => (sample = s),
      onProgress: (p) => {
        if (p.done === 2) asked.push(sample!());
      },
    });
    expect(r.status).toBe('done');
    expect(sample).toBeNull(); // gone with the model
    const onRequest = await asked[0]!;
    expect(onRequest.iteration).toBe(2);
    expect(seen).toEqual([0, 2, 6]);
    const dir = join(r.runDir, 'samples');
    expect(readdirSync(dir).sort()).toEqual(['iter-000000.png', 'iter-000002.png', 'iter-000006.png']);
    // Made from the project alone, the untrained grid is the one the run made before its first step.
    expect(Buffer.from(untrained.png).equals(readFileSync(join(dir, 'iter-000000.png')))).toBe(true);
    expect(Buffer.from(onRequest.png).equals(readFileSync(join(dir, 'iter-000002.png')))).toBe(true);

    // After the run: the latest checkpoint's grid, the same as the run's last.
    const latest = await sampleLatest(file);
    expect(latest.iteration).toBe(6);
    expect(latest.checkpoint).toMatch(/iter-000006$/);
    expect(Buffer.from(latest.png).equals(readFileSync(join(dir, 'iter-000006.png')))).toBe(true);

    // Its weights say what they were trained on, for runs to check against.
    const w = await readWeightsFile(join(latest.checkpoint!, 'T_color.mgw'));
    expect(w.header.meta).toMatchObject({ iteration: 6, node: 'T_color', trainedOn: { dataset: expect.stringMatching(/ColorMNIST/), imageSize: 32, images: { count: 64 } } });
  }, 120_000);

  it('a resumed run does not write a grid for the iteration it resumes at', async () => {
    const file = tinyProject(settings);
    const first = await runTraining(file, { stopAfter: 3 });
    expect(first.lastCheckpoint).toMatch(/iter-000003$/);
    const seen: number[] = [];
    await runTraining(file, { resume: true, onSample: (_png, i) => seen.push(i) });
    expect(seen).toEqual([6]);
  }, 120_000);
});
