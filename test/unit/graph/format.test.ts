import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lineColumn, parseJson } from '../../../core/graph/format/json';
import { serializeDocument } from '../../../core/graph/format/migrate';
import { PRESET_FORMAT, loadPreset } from '../../../core/graph/format/preset';
import { PROJECT_MIGRATIONS, emptyProject, loadProject } from '../../../core/graph/format/project';

const sample = readFileSync(new URL('../../../assets/samples/celeba-translation.mgproj.json', import.meta.url), 'utf8');
const v1 = readFileSync(new URL('../../fixtures/projects/v1-translation.mgproj.json', import.meta.url), 'utf8');

describe('JSON errors', () => {
  it('give line and column', () => {
    expect(parseJson('{\n  "a": 1,\n  "b": [1, 2,]\n}')).toEqual({
      ok: false,
      errors: [{ code: 'json', message: 'malformed JSON: expected a value', line: 3, column: 14 }],
    });
    expect(parseJson('{"a": 1} trailing')).toMatchObject({ ok: false, errors: [{ line: 1, column: 10 }] });
    expect(parseJson('   ')).toMatchObject({ ok: false, errors: [{ message: 'the file is empty' }] });
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });

  it('treat "__proto__" as an ordinary key', () => {
    const r = parseJson('{"__proto__": {"polluted": true}}');
    expect(r.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('project files', () => {
  it('load, keep unknown fields, and save back to the same text', () => {
    const withExtra = sample.replace('"version": 2,', '"version": 2,\n  "plugin": {"colour": "teal"},');
    const r = loadProject(withExtra);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect((r.value.value as Record<string, unknown>).plugin).toEqual({ colour: 'teal' });
    expect(loadProject(sample)).toMatchObject({ ok: true });
    const again = loadProject(sample);
    if (again.ok) expect(serializeDocument(again.value.value)).toBe(sample);
  });

  it('refuse a file from a newer version with a message, instead of truncating it', () => {
    const r = loadProject(sample.replace('"version": 2', '"version": 3'));
    expect(r).toEqual({
      ok: false,
      errors: [
        {
          code: 'version',
          path: 'version',
          line: 3,
          column: 14,
          message: 'this project was saved by a newer ModularGAN Studio (format version 3); this version reads up to 2. Update the studio to open it; nothing was changed.',
        },
      ],
    });
  });

  it('say what is wrong with a field, where', () => {
    const r = loadProject(sample.replace('"id": "E"', '"id": 42'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors[0]).toMatchObject({ code: 'schema', path: 'graph.nodes[1].id', line: 18, column: 15 });
    expect(r.errors[0]!.message).toMatch(/^graph\.nodes\[1\]\.id: /);
  });

  it('refuse files that are not projects', () => {
    expect(loadProject('[1,2]')).toMatchObject({ ok: false, errors: [{ code: 'format' }] });
    expect(loadProject('{"format": "comfyui-workflow", "version": 1}')).toMatchObject({
      ok: false,
      errors: [{ message: "not a ModularGAN project: its format is 'comfyui-workflow', expected 'modulargan-project'" }],
    });
    expect(loadProject('{"format": "modulargan-project", "version": 1.5}')).toMatchObject({ ok: false, errors: [{ code: 'version' }] });
  });

  it('check references between parts', () => {
    const r = loadProject(sample.replace('"dataset": "celeba"', '"dataset": "ffhq"'));
    expect(r).toMatchObject({ ok: false, errors: [{ code: 'reference', path: 'training.dataset', message: "training.dataset: names a dataset 'ffhq' that the project does not list" }] });
  });

  it('migrate version 1 to 2 with a pure function', () => {
    const doc = JSON.parse(v1);
    const frozen = JSON.stringify(doc);
    const up = PROJECT_MIGRATIONS[0]!.up(doc);
    expect(JSON.stringify(doc)).toBe(frozen); // input untouched
    expect((up.graph as { edges: unknown[] }).edges[0]).toMatchObject({ id: 'e1', from: { node: 'img', port: 'image' }, to: { node: 'enc.main', port: 'image' } });
    expect(up.layout).toMatchObject({ nodes: { hair: { x: 400, y: 0 } } });
    const r = loadProject(v1);
    expect(r).toMatchObject({ ok: true, value: { migratedFrom: 1, value: { version: 2, author: 'kept as an unknown field' } } });
    if (r.ok) expect((r.value.value.graph.nodes[3] as Record<string, unknown>).colour).toBe('#ffcc00');
  });

  it('report a migration that cannot run', () => {
    expect(loadProject('{"format": "modulargan-project", "version": 1, "nodes": 5}')).toMatchObject({
      ok: false,
      errors: [{ code: 'migration', message: 'could not upgrade this project from version 1: "nodes" is not a list' }],
    });
  });

  it('make an empty project that loads', () => {
    const text = serializeDocument(emptyProject('New'));
    expect(loadProject(text)).toMatchObject({ ok: true, value: { value: { name: 'New', datasets: [] } } });
  });
});

describe('preset files', () => {
  const preset = (extra: object) =>
    JSON.stringify({
      format: PRESET_FORMAT,
      version: 1,
      name: 'Blondify',
      graph: { nodes: [{ id: 'T', kind: 'transformer', params: {} }], edges: [] },
      exposed: { inputs: [{ node: 'T', port: 'feature' }], outputs: [{ node: 'T', port: 'feature' }], params: [{ node: 'T', param: 'resBlocks' }] },
      ...extra,
    });

  it('load with exposed ports and parameters', () => {
    expect(loadPreset(preset({}))).toMatchObject({ ok: true, value: { value: { presetVersion: '1.0.0', exposed: { params: [{ param: 'resBlocks' }] } } } });
  });

  it('refuse bundled files outside the preset and references to missing nodes', () => {
    const sha = 'a'.repeat(64);
    for (const file of ['../evil.bin', '/etc/passwd', 'C:/x.bin', 'weights/../../x']) {
      const r = loadPreset(preset({ weights: { modules: [{ node: 'T', file, sha256: sha }] } }));
      expect(r, file).toMatchObject({ ok: false, errors: [{ code: 'schema', path: 'weights.modules[0].file' }] });
    }
    expect(loadPreset(preset({ weights: { modules: [{ node: 'T', file: 'weights/T.mgw', sha256: sha }] } })).ok).toBe(true);
    expect(loadPreset(preset({ exposed: { outputs: [{ node: 'ghost', port: 'x' }] } }))).toMatchObject({
      ok: false,
      errors: [{ code: 'reference', message: "exposed.outputs[0].node: names a node 'ghost' that is not in the preset's graph" }],
    });
  });
});
