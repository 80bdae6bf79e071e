import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The layering rules of docs/architecture.md, checked on code that breaks each of them.
// Imports point at files that exist, so the rules resolve them exactly as in the real tree.
const root = new URL('../../', import.meta.url).pathname;
const eslint = new ESLint({ cwd: root });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  return r!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}
/** A file at `from` that imports a name from `target` (a path from the repository root, or a package). */
function importing(from: string, target: string): Promise<string[]> {
  const depth = from.split('/').length - 1;
  const spec = target.includes('/') && /^(core|cli|web|electron|renderer)\//.test(target) ? `${'../'.repeat(depth)}${target}` : target;
  return problems(from, `import * as m from '${spec}';\nexport const x = m;\n`);
}

/** One existing file of each core layer. */
const IN = {
  graph: 'core/graph/validate',
  modules: 'core/modules/create',
  data: 'core/data/open',
  files: 'core/files/atomic',
  runtime: 'core/runtime/executor',
  train: 'core/train/run',
  eval: 'core/eval/evaluate',
  engine: 'core/engine/batch',
  api: 'core/api/schemas',
} as const;
type Layer = keyof typeof IN;

describe('layering rule', () => {
  it('rejects a front end imported into core', async () => {
    expect(await problems('core/graph/x.ts', "import 'electron';\n")).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*core\/ knows no React, React Flow or Electron/),
    ]);
    expect(await problems('core/files/x.ts', "import { buildProgram } from '../../cli/main';\nexport const p = buildProgram;\n")).toEqual([
      expect.stringMatching(/^import-x\/no-restricted-paths: .*core\/ is pure TypeScript and knows no front end/),
    ]);
  });

  // graph <- modules, data <- files <- runtime <- train <- eval <- engine; the contract on graph.
  const wrongWay: [Layer, Layer][] = [
    ['graph', 'files'],
    ['graph', 'api'],
    ['modules', 'data'],
    ['data', 'modules'],
    ['data', 'files'],
    ['files', 'runtime'],
    ['runtime', 'train'],
    ['train', 'eval'],
    ['eval', 'engine'],
    ['eval', 'api'],
    ['runtime', 'api'],
    ['api', 'files'],
    ['api', 'engine'],
  ];
  it.each(wrongWay)('rejects core/%s importing core/%s', async (layer, target) => {
    expect(await importing(`core/${layer}/x.ts`, IN[target])).toEqual([expect.stringMatching(new RegExp(`^import-x/no-restricted-paths: .*Bad layering: core/${layer} may import only`))]);
  });

  const rightWay: [Layer, Layer][] = [
    ['graph', 'graph'],
    ['modules', 'graph'],
    ['data', 'graph'],
    ['files', 'data'],
    ['files', 'modules'],
    ['runtime', 'files'],
    ['train', 'runtime'],
    ['eval', 'train'],
    ['engine', 'eval'],
    ['engine', 'api'],
    ['api', 'graph'],
  ];
  it.each(rightWay)('lets core/%s import core/%s', async (layer, target) => {
    expect(await importing(`core/${layer}/x.ts`, IN[target])).toEqual([]);
  });

  it('keeps Node and TensorFlow.js out of core/graph and the contract, and any package but zod out of the contract', async () => {
    for (const layer of ['graph', 'api'])
      for (const pkg of ['node:fs', 'fs', 'fs/promises', 'path', '@tensorflow/tfjs-core'])
        expect(await importing(`core/${layer}/x.ts`, pkg), `${layer} importing ${pkg}`).toEqual(expect.arrayContaining([expect.stringMatching(/no Node modules, no TensorFlow\.js/)]));
    expect(await importing('core/api/x.ts', 'fflate')).toEqual([expect.stringMatching(/the contract \(core\/api\) imports only core\/graph and zod/)]);
    expect(await importing('core/api/x.ts', 'zod')).toEqual([]);
    // A file that shares a name with a Node module is not one.
    expect(await problems('core/graph/x.ts', "import { sym } from './events';\nexport const s = sym;\n")).toEqual([]);
    expect(await importing('core/runtime/x.ts', 'node:fs')).toEqual([]);
  });

  it('lets the command line, the web host and Electron import only core/engine, the contract and core/graph', async () => {
    for (const front of ['cli', 'web', 'electron']) {
      for (const below of ['core/runtime/executor', 'core/files/documents', 'core/train/run', 'core/eval/runs', 'core/data/open', 'core/modules/create'])
        expect(await importing(`${front}/x.ts`, below), `${front} importing ${below}`).toEqual([expect.stringMatching(/a front end is an adapter over core\/engine/)]);
      for (const ok of ['core/engine/documents', 'core/api/schemas', 'core/graph/validate']) expect(await importing(`${front}/x.ts`, ok), `${front} importing ${ok}`).toEqual([]);
    }
  });

  it('lets the renderer import only core graph and api code, and never electron or node', async () => {
    expect(await problems('renderer/x.ts', "import { writeFileAtomic } from '../core/files/atomic';\nexport const w = writeFileAtomic;\n")).toEqual([
      expect.stringMatching(/the renderer talks to the engine only through core's graph and api/),
    ]);
    expect(await importing('renderer/x.ts', 'core/engine/batch')).toEqual([expect.stringMatching(/the renderer talks to the engine only through core's graph and api/)]);
    expect(await problems('renderer/x.ts', "import { validateGraph } from '../core/graph/validate';\nexport const v = validateGraph;\n")).toEqual([]);
    expect(await problems('renderer/x.ts', "import { readFile } from 'node:fs';\nexport const r = readFile;\n")).toHaveLength(1);
    expect(await importing('renderer/x.ts', 'path')).toHaveLength(1);
    expect(await problems('renderer/x.ts', "import 'electron';\n")).toHaveLength(1);
    // A file that shares a name with a Node module is not one.
    expect(await problems('renderer/app/x.ts', "import { Inspector } from '../panels/Inspector';\nexport const i = Inspector;\n")).toEqual([]);
  });

  it('allows electron only in the Electron entry files', async () => {
    expect(await problems('electron/main.ts', "import { app } from 'electron';\nexport const a = app;\n")).toEqual([]);
    expect(await problems('electron/engine.ts', "import { app } from 'electron';\nexport const a = app;\n")).toEqual([
      expect.stringMatching(/only the Electron entry files import electron/),
    ]);
    expect(await problems('cli/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toHaveLength(1);
  });
});
