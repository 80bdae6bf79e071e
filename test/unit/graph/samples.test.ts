import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { serializeDocument } from '../../../core/graph/format/migrate';
import { loadProject } from '../../../core/graph/format/project';
import { validateGraph } from '../../../core/graph/validate';

// Every sample and fixture project is loaded, migrated, validated and saved; the saved text
// is compared with a snapshot, so any change to the format shows up in review.
const dirs = [new URL('../../../assets/samples/', import.meta.url), new URL('../../fixtures/projects/', import.meta.url)];
const files = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.mgproj.json')).map((f) => new URL(f, d)));

describe('sample projects', () => {
  it('include the two paper set-ups', () => {
    const names = files.map((f) => f.pathname.split('/').pop());
    expect(names).toEqual(expect.arrayContaining(['colormnist-generation.mgproj.json', 'celeba-translation.mgproj.json']));
  });

  it.each(files.map((f) => [f.pathname.split('/').pop()!, f] as const))('%s loads, validates and saves as its snapshot', async (name, url) => {
    const r = loadProject(readFileSync(url, 'utf8'));
    expect(r.ok, JSON.stringify(!r.ok && r.errors)).toBe(true);
    if (!r.ok) return;
    const a = validateGraph(r.value.value.graph);
    expect(a.diagnostics).toEqual([]);
    const saved = serializeDocument(r.value.value);
    await expect(saved).toMatchFileSnapshot(`../../snapshots/${name}`);
    // Saving is idempotent: the saved text loads to the same document.
    const again = loadProject(saved);
    expect(again.ok && serializeDocument(again.value.value)).toBe(saved);
  });

  it('encode the paper chains in order', () => {
    const gen = loadProject(readFileSync(new URL('colormnist-generation.mgproj.json', dirs[0]), 'utf8'));
    const tr = loadProject(readFileSync(new URL('celeba-translation.mgproj.json', dirs[0]), 'utf8'));
    const chain = (r: typeof gen) => {
      if (!r.ok) return [];
      const a = validateGraph(r.value.value.graph);
      return (a.order ?? []).filter((id) => ['E', 'G', 'R'].includes(id) || id.startsWith('T_'));
    };
    expect(chain(gen)).toEqual(['G', 'T_color', 'T_style', 'T_background', 'R']);
    expect(chain(tr)).toEqual(['E', 'T_hair', 'T_gender', 'T_smile', 'R']);
  });
});
