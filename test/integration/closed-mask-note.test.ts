// A transformer whose mask has closed everywhere is a silent no-op for the rest of a run, so
// training says so once, by name. The sample grid's mask means are checked against the mask
// columns of the PNG it writes; then one transformer's mean is forced below the threshold.
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../core/runtime/backends';
import { runTraining } from '../../core/train/run';
import type { SampleGrid } from '../../core/train/samples';
import { tinyProject } from '../helpers/training';

const state = vi.hoisted(() => ({ grids: [] as SampleGrid[], shut: new Set<string>() }));

vi.mock('../../core/train/samples', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../core/train/samples')>();
  return {
    ...real,
    sampleGrid: async (...args: Parameters<typeof real.sampleGrid>): Promise<SampleGrid> => {
      const g = await real.sampleGrid(...args);
      state.grids.push(g);
      return { ...g, maskMeans: g.maskMeans.map((m) => (state.shut.has(m.id) ? { ...m, mean: 0.001 } : m)) };
    },
  };
});

beforeAll(async () => {
  await initBackend('wasm', { probeAll: false });
}, 60_000);

/** Mean of one 32 px column of a sample grid PNG, in [0, 1]. */
async function columnMean(file: string, column: number): Promise<number> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  for (let y = 0; y < info.height; y++) for (let x = column * 32; x < column * 32 + 32; x++) sum += data[(y * info.width + x) * info.channels]!;
  return sum / (info.height * 32) / 255;
}

describe('closed transformer masks', () => {
  it('the grid reports each mask mean as drawn in its mask column', async () => {
    state.grids.length = 0;
    state.shut.clear();
    const notes: string[] = [];
    const r = await runTraining(tinyProject(), { iterations: 12, log: (m) => notes.push(m) });
    const grid = state.grids.at(-1)!;
    expect(grid.maskMeans.map((m) => m.id)).toEqual(['T_color', 'T_background']);
    for (const { id, mean } of grid.maskMeans) {
      expect(mean).toBeGreaterThan(0);
      expect(mean).toBeLessThan(1);
      // Masks are drawn as grey (2m − 1 in [−1, 1], 8-bit): the column's mean is m's.
      expect(await columnMean(join(r.runDir, 'samples', 'iter-000012.png'), grid.columns.indexOf(`mask ${id}`)), id).toBeCloseTo(mean, 2);
    }
    expect(notes.filter((n) => n.includes('mask'))).toEqual([]);
  });

  it('a closed mask is noted once, naming the transformer; open ones are not', async () => {
    state.shut = new Set(['T_background']);
    const notes: string[] = [];
    const r = await runTraining(tinyProject(), { log: (m) => notes.push(m) });
    expect(r.status).toBe('done');
    // Two sample grids (iterations 12 and 24), one note.
    const closed = notes.filter((n) => n.includes('mask'));
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatch(/^iteration 12: the mask of transformer 'T_background' is closed on every sample image \(mean 0\.0010\)/);
  });
});
