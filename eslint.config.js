// Lint, and the layering rules that keep the arrows of docs/architecture.md pointing one way,
// written as allow-lists (as VS Code's layer rules are): each core layer may import only the
// layers below it and itself,
//   graph <- modules, data <- files <- runtime <- train <- eval <- engine,
// the contract (core/api: zod schemas, types derived from them, the generic client and
// dispatcher) imports only core/graph and zod; nothing in graph or the contract imports Node
// or TensorFlow.js (both load in the page); the command line, the web host and Electron are
// adapters that import only core/engine, the contract and core/graph's pure helpers (no
// command reads a project file or picks a backend itself); the renderer sees only graph and
// the contract; core knows no front end; only the Electron entry files import 'electron'.
// A wrong import fails `npm run lint` (test/unit/lint-layering.test.ts checks each rule).

import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

const FRONT_ENDS = ['./renderer', './electron', './cli', './web'];
const ELECTRON_ENTRIES = ['electron/main.ts', 'electron/preload.ts'];

/** Each core layer and the core folders it may import (itself included). */
const CORE_LAYERS = {
  graph: ['graph'],
  modules: ['graph', 'modules'],
  data: ['graph', 'data'],
  files: ['graph', 'modules', 'data', 'files'],
  runtime: ['graph', 'modules', 'data', 'files', 'runtime'],
  train: ['graph', 'modules', 'data', 'files', 'runtime', 'train'],
  eval: ['graph', 'modules', 'data', 'files', 'runtime', 'train', 'eval'],
  engine: ['graph', 'modules', 'data', 'files', 'runtime', 'train', 'eval', 'api', 'engine'],
  api: ['graph', 'api'],
};
const ORDER = 'graph <- modules, data <- files <- runtime <- train <- eval <- engine; the contract (api) sits on graph';

const zones = [
  ...FRONT_ENDS.map((from) => ({
    target: './core',
    from,
    message: 'Bad layering: core/ is pure TypeScript and knows no front end.',
  })),
  ...Object.entries(CORE_LAYERS).map(([layer, allowed]) => ({
    target: `./core/${layer}`,
    from: './core',
    except: allowed.map((l) => `./${l}`),
    message: `Bad layering: core/${layer} may import only core/{${allowed.join(', ')}} (${ORDER}).`,
  })),
  ...['./cli', './web', './electron'].map((target) => ({
    target,
    from: './core',
    except: ['./engine', './api', './graph'],
    message: 'Bad layering: a front end is an adapter over core/engine; it imports only core/engine, the contract (core/api) and core/graph.',
  })),
  {
    target: './renderer',
    from: './core',
    except: ['./graph', './api'],
    message: "Bad layering: the renderer talks to the engine only through core's graph and api code.",
  },
  ...['./electron', './cli', './web'].map((from) => ({
    target: './renderer',
    from,
    message: 'Bad layering: the renderer does not import other front ends.',
  })),
];

const UI_PACKAGES = ['react', 'react-dom', 'react-dom/*', 'react/*', '@xyflow/*', 'electron', 'electron/*'];
const NO_UI = { group: UI_PACKAGES, message: 'Bad layering: core/ knows no React, React Flow or Electron.' };
const NODE_MESSAGE = 'Bad layering: core/graph and the contract (core/api) load in the page: no Node modules, no TensorFlow.js.';
// Node's own modules by exact name ('fs', 'fs/promises'): as patterns they would also match a
// relative import of a file that happens to share a name ('../panels/Inspector').
const nodePaths = (message) => builtinModules.filter((m) => !m.startsWith('_')).map((name) => ({ name, message }));
const NO_NODE_OR_TFJS = { group: ['node:*', '@tensorflow/*'], message: NODE_MESSAGE };
/** Any package but zod (relative imports are the zones' business). */
const ONLY_ZOD = { regex: '^(?!zod$|\\.\\.?/)', message: 'Bad layering: the contract (core/api) imports only core/graph and zod.' };

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'coverage/**', 'release/**', 'test-results/**', 'python/.venv/**'] },
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'] })],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones }],
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'Bad layering: only the Electron entry files import electron.' }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
    },
  },
  {
    files: ['core/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [NO_UI] }] },
  },
  {
    files: ['core/graph/**'],
    rules: { 'no-restricted-imports': ['error', { paths: nodePaths(NODE_MESSAGE), patterns: [NO_UI, NO_NODE_OR_TFJS] }] },
  },
  {
    files: ['core/api/**'],
    rules: { 'no-restricted-imports': ['error', { paths: nodePaths(NODE_MESSAGE), patterns: [NO_UI, NO_NODE_OR_TFJS, ONLY_ZOD] }] },
  },
  {
    files: ['renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodePaths('The renderer runs in a sandboxed page: no Node modules.'),
          patterns: [
            { group: ['electron', 'electron/*'], message: 'Bad layering: the renderer reaches the engine through the api, never electron.' },
            { group: ['node:*', '@tensorflow/*'], message: 'The renderer runs in a sandboxed page: no Node modules, and no TensorFlow.js (the engine computes).' },
          ],
        },
      ],
    },
  },
  { files: ELECTRON_ENTRIES, rules: { 'no-restricted-imports': 'off' } },
  { files: ['eslint.config.js', 'vitest.config.ts', 'renderer/vite.config.ts'], rules: { 'no-restricted-syntax': 'off' } },
);
