// Runs warn when trained modules are fed what they were not trained on: another image size
// (from the weights' record, or the size an older file's encoder was built for), or images
// unlike the training set (a digit given to a face encoder), told apart by their statistics.

import { describe, expect, it } from 'vitest';
import { distanceFrom, imageFeatures, imageStats } from '../../../core/data/image-stats';
import { openDataset } from '../../../core/data/open';
import type { DatasetRefInfo } from '../../../core/api/types';
import { executionPlan } from '../../../core/graph/plan';
import type { WeightsHeader } from '../../../core/modules/weights';
import { checkTrainingFit, trainedOn } from '../../../core/runtime/training-fit';
import { trainedOnSummary } from '../../../core/train/run';
import { translationGraph } from '../../helpers/graphs';

const header = (nodeKind: string, params: Record<string, unknown>, meta?: Record<string, unknown>) =>
  ({ format: 'modulargan-weights', version: 1, module: 'E', nodeKind, params, seed: 0, tensors: [], dataBytes: 0, sha256: '0'.repeat(64), ...(meta ? { meta } : {}) }) as WeightsHeader;

async function images(source: 'synthetic-faces' | 'colormnist', count: number) {
  const ds = await openDataset({ id: 'd', source, imageSize: 32, seed: 1 } as DatasetRefInfo, '.');
  const data = new Float32Array(count * 32 * 32 * 3);
  for (let i = 0; i < count; i++) data.set((await ds.load(ds.test[i]!)).image, i * 32 * 32 * 3);
  return { ds, tensor: { data, shape: [count, 32, 32, 3] as const } };
}

describe('training fit', () => {
  it('reads what a weights file was trained on, falling back to the size its module was built for', () => {
    expect(trainedOn(header('encoder', { imageSize: 32 }))).toEqual({ imageSize: 32 });
    expect(trainedOn(header('transformer', { baseChannels: 32 }))).toEqual({});
    expect(trainedOn(header('transformer', {}, { trainedOn: { imageSize: 64, dataset: 'faces', images: { count: 1, mean: [1], std: [1], limit: 2 } } }))).toEqual({ imageSize: 64, dataset: 'faces' });
  });

  it('warns when a module runs at another size than it was trained at', () => {
    const graph = translationGraph(64, 8);
    const plan = executionPlan(graph);
    if (!plan.ok) throw new Error('graph');
    const fit = checkTrainingFit(plan.steps, graph, new Map([
      ['E', header('encoder', { imageSize: 32 })],
      ['T1', header('transformer', {}, { trainedOn: { imageSize: 32 } })],
      ['T2', header('transformer', {}, { trainedOn: { imageSize: 64 } })],
    ]));
    expect(fit.sizeWarnings.map((w) => w.node)).toEqual(['E', 'T1']);
    expect(fit.sizeWarnings[0]!.message).toBe(
      "Encoder 'E' was trained on 32 px images but runs at 64 px here: expect noise, not a translation. Run it at 32 px (the image size of the encoder or reconstructor; inputs are resized).",
    );
  });

  it('tells faces from digits by their statistics, and warns only when many inputs are unlike', async () => {
    const faces = await images('synthetic-faces', 16);
    const digits = await images('colormnist', 16);
    const summary = await trainedOnSummary(faces.ds);
    const scores = (t: typeof faces.tensor) => Array.from({ length: 16 }, (_, i) => distanceFrom(summary.images, imageFeatures(t.data, 32, i * 32 * 32 * 3)));
    expect(Math.max(...scores(faces.tensor))).toBeLessThan(summary.images.limit);
    expect(scores(digits.tensor).filter((d) => d > summary.images.limit).length).toBeGreaterThanOrEqual(12);

    const graph = translationGraph(32, 8);
    const plan = executionPlan(graph);
    if (!plan.ok) throw new Error('graph');
    const fitOf = () => checkTrainingFit(plan.steps, graph, new Map([['E', header('encoder', { imageSize: 32 }, { trainedOn: summary })]]));
    const same = fitOf();
    same.observe(new Map([['img', faces.tensor]]));
    expect(same.domainWarnings()).toEqual([]);
    const other = fitOf();
    other.observe(new Map([['img', digits.tensor]]));
    const [w] = other.domainWarnings();
    expect(w!.node).toBe('E');
    expect(w!.message).toMatch(/^Encoder 'E': 1\d of 16 input image\(s\) look unlike synthetic faces \(32 px\), which it was trained on/);
  });

  it('gives an image like the set a distance near 1, and a limit of at least 2', () => {
    const flat = Array.from({ length: 8 }, (_, i) => imageFeatures(new Float32Array(4 * 4 * 3).fill(i / 8 - 0.5), 4));
    const s = imageStats(flat);
    expect(s.limit).toBeGreaterThanOrEqual(2);
    expect(distanceFrom(s, flat[3]!)).toBeLessThan(2);
  });
});
