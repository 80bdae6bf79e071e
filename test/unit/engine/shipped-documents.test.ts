// Every project and preset the studio ships opens and validates as it is: a newcomer who opens
// one from assets/ meets no red node (the faces training projects' image input points at the
// demo's held-out faces, so they run as shipped too).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateDocument } from '../../../core/engine/validate';
import { REPO_ROOT } from '../../../web/renderer-build';

const shipped = (dir: string): string[] =>
  readdirSync(join(REPO_ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(mgproj|mgpreset)\.json$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));

describe('shipped documents', () => {
  const files = shipped('assets');
  it('are there', () => expect(files.length).toBeGreaterThanOrEqual(10));
  it.each(files.map((f) => [f.slice(REPO_ROOT.length + 1), f]))('%s opens and validates', async (_, file) => {
    const v = await validateDocument(file);
    expect(v.opened && v.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(v.valid).toBe(true);
  });
});
