// Lint, and the layering rule that keeps the arrows of ARCHITECTURE.md pointing one way:
// core knows no front end; core/graph imports only itself (it loads in the renderer for
// instant connection checks); the renderer sees only core's graph and api; only the
// Electron entry files import 'electron'. A wrong import fails `npm run lint`.

import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

const FRONT_ENDS = ['./renderer', './electron', './cli', './web'];
const ELECTRON_ENTRIES = ['electron/main.ts', 'electron/preload.ts'];

const zones = [
  ...FRONT_ENDS.map((from) => ({
    target: './core',
    from,
    message: 'Bad layering: core/ is pure TypeScript and knows no front end.',
  })),
  {
    target: './core/graph',
    from: './core',
    except: ['./graph'],
    message: 'Bad layering: core/graph imports nothing but itself (it must load in the renderer).',
  },
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
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: UI_PACKAGES, message: 'Bad layering: core/ knows no React, React Flow or Electron.' }] },
      ],
    },
  },
  {
    files: ['renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['electron', 'electron/*'], message: 'Bad layering: the renderer reaches the engine through the api, never electron.' },
            { group: ['node:*', 'fs', 'path', 'child_process'], message: 'The renderer runs in a sandboxed page: no Node modules.' },
          ],
        },
      ],
    },
  },
  { files: ELECTRON_ENTRIES, rules: { 'no-restricted-imports': 'off' } },
  { files: ['eslint.config.js', 'vitest.config.ts', 'renderer/vite.config.ts'], rules: { 'no-restricted-syntax': 'off' } },
);
