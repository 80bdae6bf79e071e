// Exact resume on the cpu backend too (the integration test covers wasm).
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTraining } from '../../../core/train/run';
import { asTranslation, readLog, tinyProject } from '../../helpers/training';
import { useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

describe('resume on the cpu backend', () => {
  it.each([
    ['a D per transformer', {}],
    ['a shared D', { sharedDiscriminator: true }],
  ])('a run stopped at iteration 3 and resumed logs what an uninterrupted run logs (%s)', async (_, more) => {
    const file = tinyProject((p) => {
      asTranslation(p);
      for (const n of (p.graph as { nodes: { kind: string; params: Record<string, unknown> }[] }).nodes)
        if (n.kind !== 'transformer') n.params.imageSize = 16;
      (p.datasets as Record<string, unknown>[])[0]!.imageSize = 16;
      Object.assign(p.training as object, { batchSize: 2, nCritic: 1, checkpointEvery: 100, sampleEvery: 100, dDepth: 2, ...more });
    });
    const dir = dirname(file);
    await runTraining(file, { runDir: join(dir, 'a'), iterations: 6 });
    await runTraining(file, { runDir: join(dir, 'b'), iterations: 6, stopAfter: 3 });
    await runTraining(file, { runDir: join(dir, 'b'), iterations: 6, resume: true });
    const a = readLog(join(dir, 'a', 'log.jsonl'));
    const b = readLog(join(dir, 'b', 'log.jsonl'));
    expect(b).toHaveLength(6);
    expect(b).toEqual(a);
  }, 60_000);
});
