// The engine's dataset calls for the training view: a CelebA folder's columns and the groups
// suggested from them (hair colours as one group; CelebA's loader reads the suggestion), and a
// preview of items with their labels.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngineService } from '../../../core/engine/service';
import type { DatasetRefInfo } from '../../../core/api/types';

/** Suggested groups (read-only arrays) as a dataset entry's attributes. */
const asAttributes = (groups: readonly unknown[]) => groups as NonNullable<DatasetRefInfo['attributes']>;

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
const service = createEngineService({
  stateDir: mkdtempSync(join(tmpdir(), 'mg-train-calls-')),
  demoPath: join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'demo', 'demo.mgproj.json'),
  host: 'test',
});

describe('dataset calls', () => {
  it("reads a CelebA folder's columns and suggests groups its loader accepts", async () => {
    const ref = { id: 'faces', source: 'celeba' as const, path: 'celeba', imageSize: 16 };
    const columns = await service.datasetColumns(ref, FIXTURES);
    expect(columns).toHaveLength(40);
    expect(columns).toContain('Black_Hair');
    const groups = await service.suggestMapping(columns);
    const hair = groups.find((g) => g.name === 'hair')!;
    expect(hair.columns).toEqual({ black: 'Black_Hair', blond: 'Blond_Hair', brown: 'Brown_Hair', gray: 'Gray_Hair' });
    const chosen = ['male', 'smiling', 'eyeglasses'].map((n) => groups.find((g) => g.name === n)!.attributes);
    const preview = await service.datasetPreview({ ...ref, attributes: asAttributes(chosen) }, FIXTURES, 3);
    expect(preview.samples).toHaveLength(3);
    expect(Object.keys(preview.samples[0]!.labels)).toEqual(['male', 'smiling', 'Eyeglasses']);
    expect(preview.samples[0]!.png).toMatch(/^data:image\/png;base64,/);
    // Four hair colours are not the paper's three: the group names the columns, and loads.
    const hairPreview = await service.datasetPreview({ ...ref, attributes: asAttributes([hair.attributes]) }, FIXTURES, 2);
    expect(hair.attributes).toEqual({ name: 'hair', kind: 'onehot', values: ['Black_Hair', 'Blond_Hair', 'Brown_Hair', 'Gray_Hair'] });
    for (const s of hairPreview.samples) expect(['Black_Hair', 'Blond_Hair', 'Brown_Hair', 'Gray_Hair']).toContain(s.labels.hair);
  });

  it('previews built-in ColorMNIST with each group decoded', async () => {
    const p = await service.datasetPreview({ id: 'c', source: 'colormnist', imageSize: 16, seed: 1 }, '/', 4);
    expect(p.groups.map((g) => g.name)).toEqual(['digit', 'color', 'style', 'background']);
    expect(p.samples).toHaveLength(4);
    for (const s of p.samples) expect(s.labels.digit).toMatch(/^\d$/);
    expect(await service.datasetColumns({ id: 'c', source: 'synthetic-faces', imageSize: 16 }, '/')).toEqual(['hair', 'smiling', 'glasses']);
  });

  it('names a missing CelebA attribute list', async () => {
    await expect(service.datasetColumns({ id: 'x', source: 'celeba', path: 'nowhere', imageSize: 16 }, FIXTURES)).rejects.toThrow(/list_attr_celeba\.txt.*not found/);
  });
});
