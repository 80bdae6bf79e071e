// Training a project whose module points at the wrong weights file: the refusal names both the
// node (which module it was for) and the file (which one to fix).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLOR_MNIST } from '../../../core/graph/attributes';
import type { Graph } from '../../../core/graph/graph';
import { writeWeightsFile } from '../../../core/files/weights-file';
import { createModule } from '../../../core/modules/create';
import { buildTrainModel } from '../../../core/train/model';
import { useCpuBackend } from '../../helpers/tf';

let dir: string;
beforeAll(async () => {
  await useCpuBackend();
  dir = await mkdtemp(join(tmpdir(), 'mg-model-weights-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('training model weights', () => {
  it('names the node and the file when a module is given weights of another kind', async () => {
    const file = join(dir, 'encoder.mgw');
    await writeWeightsFile(file, createModule('encoder', { imageSize: 16, baseChannels: 4 }, 1));
    const graph: Graph = {
      nodes: [
        { id: 'E', kind: 'encoder', params: { imageSize: 16, baseChannels: 4 } },
        { id: 'T_bg', label: 'Background', kind: 'transformer', params: { baseChannels: 4, resBlocks: 0, attributes: [COLOR_MNIST.background], weights: 'encoder.mgw' } },
        { id: 'R', kind: 'reconstructor', params: { imageSize: 16, baseChannels: 4 } },
      ],
      edges: [],
    };
    const build = buildTrainModel(graph, { mode: 'translation', imageSize: 16, datasetGroups: [COLOR_MNIST.background], seed: 0, baseDir: dir });
    await expect(build).rejects.toThrow(/Background \(node 'T_bg'\)/);
    await expect(buildTrainModel(graph, { mode: 'translation', imageSize: 16, datasetGroups: [COLOR_MNIST.background], seed: 0, baseDir: dir })).rejects.toThrow(/encoder\.mgw/);
  });
});
