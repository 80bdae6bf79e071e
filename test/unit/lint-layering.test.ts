import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The layering rule of ARCHITECTURE.md, checked on code that breaks it. Imports point at
// files that exist, so the rule resolves them exactly as it does in the real tree.
const root = new URL('../../', import.meta.url).pathname;
const eslint = new ESLint({ cwd: root });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  return r!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layering rule', () => {
  it('rejects a front end imported into core', async () => {
    expect(await problems('core/graph/x.ts', "import 'electron';\n")).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*core\/ knows no React, React Flow or Electron/),
    ]);
    expect(await problems('core/files/x.ts', "import { buildProgram } from '../../cli/main';\nexport const p = buildProgram;\n")).toEqual([
      expect.stringMatching(/^import-x\/no-restricted-paths: .*core\/ is pure TypeScript and knows no front end/),
    ]);
  });

  it('keeps core/graph free of the rest of core', async () => {
    expect(await problems('core/graph/x.ts', "import { writeFileAtomic } from '../files/atomic';\nexport const w = writeFileAtomic;\n")).toEqual([
      expect.stringMatching(/core\/graph imports nothing but itself/),
    ]);
    expect(await problems('core/graph/format/x.ts', "import { sym } from '../dims';\nexport const s = sym;\n")).toEqual([]);
  });

  it('lets the renderer import only core graph and api code, and never electron or node', async () => {
    expect(await problems('renderer/x.ts', "import { writeFileAtomic } from '../core/files/atomic';\nexport const w = writeFileAtomic;\n")).toEqual([
      expect.stringMatching(/the renderer talks to the engine only through core's graph and api/),
    ]);
    expect(await problems('renderer/x.ts', "import { validateGraph } from '../core/graph/validate';\nexport const v = validateGraph;\n")).toEqual([]);
    expect(await problems('renderer/x.ts', "import { readFile } from 'node:fs';\nexport const r = readFile;\n")).toHaveLength(1);
    expect(await problems('renderer/x.ts', "import 'electron';\n")).toHaveLength(1);
  });

  it('allows electron only in the Electron entry files', async () => {
    expect(await problems('electron/main.ts', "import { app } from 'electron';\nexport const a = app;\n")).toEqual([]);
    expect(await problems('electron/engine.ts', "import { app } from 'electron';\nexport const a = app;\n")).toEqual([
      expect.stringMatching(/only the Electron entry files import electron/),
    ]);
    expect(await problems('cli/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toHaveLength(1);
  });
});
