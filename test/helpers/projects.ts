import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CELEBA } from '../../core/graph/attributes';
import { serializeDocument } from '../../core/graph/format/migrate';
import { type Project, projectSchema } from '../../core/graph/format/project';

/** A tiny translation project (16 px, base 4): image folder -> E -> T_hair -> R -> output. */
export function tinyProject(imageFolder: string): Project {
  return projectSchema.parse({
    format: 'modulargan-project',
    version: 2,
    name: 'tiny',
    graph: {
      nodes: [
        { id: 'img', kind: 'image-input', params: { path: imageFolder } },
        { id: 'E', kind: 'encoder', params: { imageSize: 16, baseChannels: 4 } },
        { id: 'c', kind: 'condition-input', params: { attributes: [CELEBA.hair], values: { hair: 'blond' } } },
        { id: 'T', kind: 'transformer', label: 'hair', params: { baseChannels: 4, resBlocks: 1, attributes: [CELEBA.hair] } },
        { id: 'R', kind: 'reconstructor', params: { imageSize: 16, baseChannels: 4 } },
        { id: 'out', kind: 'image-output', params: {} },
      ],
      edges: [
        { id: '1', from: { node: 'img', port: 'image' }, to: { node: 'E', port: 'image' } },
        { id: '2', from: { node: 'E', port: 'feature' }, to: { node: 'T', port: 'feature' } },
        { id: '3', from: { node: 'c', port: 'condition' }, to: { node: 'T', port: 'condition' } },
        { id: '4', from: { node: 'T', port: 'feature' }, to: { node: 'R', port: 'feature' } },
        { id: '5', from: { node: 'R', port: 'image' }, to: { node: 'out', port: 'image' } },
      ],
    },
  });
}

export function writeTinyProject(dir: string, imageFolder: string, name = 'tiny.mgproj.json'): string {
  const path = join(dir, name);
  writeFileSync(path, serializeDocument(tinyProject(imageFolder)));
  return path;
}
