import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// "No command reads a project file or picks a backend itself": the command line, the web host
// and Electron are adapters over core/engine. The lint rule (checked on wrong-way imports in
// lint-layering.test.ts) is run here over the real front ends, and their sources are searched
// for the ways around it: Node's file reading of documents, and backends started by hand.

const root = new URL('../../../', import.meta.url).pathname;
const FRONT_ENDS = ['cli', 'web', 'electron'];
const sources = FRONT_ENDS.flatMap((d) =>
  readdirSync(join(root, d), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(d, f)),
);

describe('the front ends are adapters over core/engine', () => {
  it('import nothing of core but the engine, the contract and core/graph', async () => {
    const results = await new ESLint({ cwd: root }).lintFiles(FRONT_ENDS);
    const layering = results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'import-x/no-restricted-paths').map((m) => `${r.filePath.slice(root.length)}:${m.line}: ${m.message}`));
    expect(layering).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(sources.length);
  }, 30_000);

  it('read no document and start no backend themselves', () => {
    const found: string[] = [];
    for (const file of sources) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const [what, pattern] of [
        ['a document read by hand', /readProjectFile|readPresetFile|readAnyDocument|loadDocument|loadProject\(|loadPreset\(|openPresetBundle|importPresetBundle/],
        ['a file read by hand', /\breadFile(Sync)?\(|createReadStream\(/],
        ['a backend started by hand', /initBackend|setBackend|@tensorflow\//],
      ] as const)
        if (pattern.test(text.replace(/^\s*(\/\/|\*).*$/gm, ''))) found.push(`${file}: ${what}`);
    }
    // The web host reads the built page's own files, and nothing else.
    expect(found).toEqual(['web/host.ts: a file read by hand']);
  });
});
