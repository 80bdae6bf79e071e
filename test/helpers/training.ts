// Tiny training projects for tests, written into a temporary folder.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TINY_PROJECT = join(import.meta.dirname, '..', 'fixtures', 'training', 'colormnist-tiny.mgproj.json');

type Json = Record<string, unknown>;

/** Copies the tiny ColorMNIST project into a fresh folder, after `edit` changes it. */
export function tinyProject(edit: (p: Json) => void = () => {}, name = 'tiny'): string {
  const dir = mkdtempSync(join(tmpdir(), 'mg-train-'));
  const p = JSON.parse(readFileSync(TINY_PROJECT, 'utf8')) as Json;
  edit(p);
  const file = join(dir, `${name}.mgproj.json`);
  writeFileSync(file, JSON.stringify(p, null, 2));
  return file;
}

/** Turns the tiny generation project into translation: E instead of G. */
export function asTranslation(p: Json): void {
  const graph = p.graph as { nodes: Json[]; edges: { from: { node: string } }[] };
  const g = graph.nodes.find((n) => n.id === 'G')!;
  g.id = 'E';
  g.kind = 'encoder';
  g.label = 'E';
  g.params = { imageSize: 32, baseChannels: 4 };
  for (const e of graph.edges) if (e.from.node === 'G') e.from.node = 'E';
  (p.training as Json).mode = 'translation';
}

export function readLog(file: string): Record<string, number>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, number>);
}
