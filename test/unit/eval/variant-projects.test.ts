import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BASELINE_TRANSFORMER_ID, writeVariantProject } from '../../../core/eval/runs';
import { readProjectFile } from '../../../core/files/documents';
import { tinyProject } from '../../helpers/projects';

// Evaluation's derived projects (the StarGAN-style baseline, the no-cycle variant) are made
// from the user's project as every reader reads it: checked, upgraded, a byte-order mark
// allowed. Parsing the file's JSON directly refused a project saved by a Windows editor (the
// mark) that every other command opens, and would have copied a damaged one unchecked.

const dir = mkdtempSync(join(tmpdir(), 'mg-variants-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = join(dir, 'windows.mgproj.json');
const project = { ...tinyProject('in'), author: 'kept as an unknown field', datasets: [{ id: 'faces', source: 'synthetic-faces', imageSize: 16 }], training: { mode: 'translation', dataset: 'faces', lambdaRoundTrip: 10 } };
writeFileSync(file, `\uFEFF${JSON.stringify(project, null, 2)}`);

describe("evaluation's variant projects", () => {
  it('of a project saved with a byte-order mark are made, read back, and keep unknown fields', async () => {
    for (const v of ['stargan', 'nocycle'] as const) {
      const written = await writeVariantProject(file, v);
      const back = await readProjectFile(written);
      if (!back.ok) throw new Error(`${v}: ${JSON.stringify(back.errors)}`);
      expect(back.value.migratedFrom, v).toBeUndefined();
      const p = back.value.value;
      expect(p.version).toBe(2);
      expect((p as Record<string, unknown>).author).toBe('kept as an unknown field');
      expect(p.checkpoints).toEqual([]);
      if (v === 'stargan') {
        expect(p.graph.nodes.map((n) => n.id)).toContain(BASELINE_TRANSFORMER_ID);
        expect(p.graph.nodes.map((n) => n.id)).not.toContain('T');
        expect(p.name).toBe('tiny (StarGAN-style baseline)');
      } else {
        expect(p.training?.lambdaCyc).toBe(0);
        expect(p.training?.lambdaRoundTrip).toBe(0);
        expect(p.graph.nodes.map((n) => n.id)).toContain('T');
      }
    }
  });

  it('are refused, naming the file and line, when the project is damaged', async () => {
    const bad = join(dir, 'bad.mgproj.json');
    writeFileSync(bad, '{\n  "format": "modulargan-project",\n  "version": 2,\n  "name": 3\n}\n');
    await expect(writeVariantProject(bad, 'nocycle')).rejects.toThrow(/bad\.mgproj\.json:4:\d+: /);
  });
});
