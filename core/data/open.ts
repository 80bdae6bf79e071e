// From a project's dataset reference to a Dataset. Relative paths are relative to the
// project file's folder.

import { resolve } from 'node:path';
import type { z } from 'zod';
import type { datasetRefSchema } from '../graph/format/schemas';
import type { AttributeGroup } from '../graph/ports';
import { openCeleba } from './celeba';
import { colorMnist } from './colormnist';
import type { Dataset } from './dataset';
import { openImageFolder } from './image-folder';
import { syntheticFaces } from './synthetic-faces';

export type DatasetRef = z.infer<typeof datasetRefSchema>;

export async function openDataset(ref: DatasetRef, baseDir: string): Promise<Dataset> {
  const groups = ref.attributes?.length ? (ref.attributes as AttributeGroup[]) : undefined;
  const need = (what: string, v: string | undefined) => {
    if (!v?.trim()) throw new Error(`dataset '${ref.id}': a ${ref.source} dataset needs '${what}'`);
    return resolve(baseDir, v);
  };
  switch (ref.source) {
    case 'colormnist':
      return colorMnist({ imageSize: ref.imageSize, seed: ref.seed ?? 0, ...(groups ? { groups } : {}) });
    case 'synthetic-faces':
      return syntheticFaces({ imageSize: ref.imageSize, seed: ref.seed ?? 0, ...(groups ? { groups } : {}) });
    case 'celeba':
      return openCeleba({ root: need('path', ref.path), imageSize: ref.imageSize, ...(groups ? { groups } : {}) });
    case 'image-folder':
      return openImageFolder({
        root: need('path', ref.path),
        csv: need('csv', ref.csv ?? (ref.path ? `${ref.path}/attributes.csv` : undefined)),
        imageSize: ref.imageSize,
        groups: groups ?? [],
      });
  }
}
