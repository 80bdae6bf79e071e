import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../../core/graph/catalogue';
import { nodeReference } from '../../../core/graph/docs';

describe('node reference', () => {
  it('is generated from the catalogue and committed up to date (run `npm run docs`)', () => {
    expect(readFileSync(new URL('../../../docs/nodes.md', import.meta.url), 'utf8')).toBe(nodeReference());
  });

  it('documents every kind, port and parameter', () => {
    const text = nodeReference();
    for (const def of CATALOGUE) {
      expect(text).toContain(`(\`${def.kind}\`)`);
      for (const p of [...def.inputs, ...def.outputs]) expect(text).toContain(`(\`${p.name}\`)`);
      for (const k of Object.keys(def.params)) expect(text).toContain(`(\`${k}\`)`);
    }
  });
});
