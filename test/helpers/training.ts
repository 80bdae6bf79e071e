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

/**
 * Makes the tiny project's graph valid and runnable in the editor too: noise and a base
 * condition for G, a target condition per transformer, an image output after R.
 */
export function asRunnable(p: Json): void {
  const g = p.graph as { nodes: Json[]; edges: Json[] };
  const cond = (id: string, name: string, values: string[], value: string) => ({ id, kind: 'condition-input', params: { attributes: [{ name, kind: 'onehot', values }], values: { [name]: value } } });
  g.nodes.push(
    { id: 'z', kind: 'noise-input', params: { length: 16, seed: 1 } },
    cond('a0', 'digit', ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], '3'),
    cond('c_color', 'color', ['red', 'blue', 'green', 'purple', 'brown'], 'red'),
    cond('c_bg', 'background', ['cyan', 'yellow', 'white', 'silver', 'salmon'], 'yellow'),
    { id: 'out', kind: 'image-output', params: {} },
  );
  const edge = (id: string, from: string, fp: string, to: string, tp: string) => ({ id, from: { node: from, port: fp }, to: { node: to, port: tp } });
  g.edges.push(
    edge('z', 'z', 'noise', 'G', 'noise'),
    edge('a0', 'a0', 'condition', 'G', 'condition'),
    edge('cc', 'c_color', 'condition', 'T_color', 'condition'),
    edge('cb', 'c_bg', 'condition', 'T_background', 'condition'),
    edge('o', 'R', 'image', 'out', 'image'),
  );
}

export function readLog(file: string): Record<string, number>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, number>);
}
