import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BACKEND_NAMES, INFERENCE_BACKENDS, TRAINING_BACKENDS, chooseInferenceEngine, parseTrainingBackend } from '../../../core/engine/backends';
import { TRAINING_ENGINES } from '../../../core/engine/train';
import { CATALOGUE, GRAPH_MODULE_KINDS, MODULES, MODULE_NODE_KIND, TRAINING_NODE_KINDS } from '../../../core/graph/catalogue';
import { MODULE_KINDS } from '../../../core/graph/training-graph';
import { MODULE_NODE_KINDS, isModuleNodeKind } from '../../../core/modules/create';
import { BACKEND_ORDER } from '../../../core/runtime/backend-report';

// One list each: backend names, module kinds and node kinds are declared once and every
// other list, help text and refusal is made from them. (The command line's train refusal
// once left out 'native', typed out by hand.)

const root = new URL('../../../', import.meta.url).pathname;
const cli = (...args: string[]) =>
  promisify(execFile)(process.execPath, [join(root, 'bin/modulargan.mjs'), ...args], { cwd: root }).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
/** Every name of the list appears in the text, in the list's order. */
const inOrder = (text: string, names: readonly string[]) => expect(text.replace(/\s+/g, ' ')).toContain(`${names.slice(0, -1).join(', ')} or ${names.at(-1)}`);

describe('backend names', () => {
  it('come from the runtime list, and the engine refuses any other naming all of them', async () => {
    expect(BACKEND_NAMES).toBe(BACKEND_ORDER);
    expect(TRAINING_BACKENDS).toEqual(['auto', ...BACKEND_ORDER]);
    expect(INFERENCE_BACKENDS).toEqual(['auto', 'onnxruntime', ...BACKEND_ORDER]);
    expect(() => parseTrainingBackend('quantum')).toThrow(`unknown backend 'quantum': --backend must be ${TRAINING_BACKENDS.slice(0, -1).join(', ')} or cpu`);
    expect(() => parseTrainingBackend('quantum', 'training.backend in p.mgproj.json')).toThrow(/training\.backend in p\.mgproj\.json must be auto, tfjs-node-gpu, native,/);
    await expect(chooseInferenceEngine('webgl')).rejects.toThrow(`--backend must be ${INFERENCE_BACKENDS.slice(0, -1).join(', ')} or cpu`);
  });

  it("are what every command's help offers and its refusal names, native included", async () => {
    const [run, batch, train, evalHelp, backends] = await Promise.all(['run', 'batch', 'train', 'eval', 'backends'].map((c) => cli(c, '--help')));
    inOrder(run!.out, INFERENCE_BACKENDS);
    inOrder(batch!.out, INFERENCE_BACKENDS);
    inOrder(train!.out, TRAINING_BACKENDS);
    inOrder(train!.out, TRAINING_ENGINES);
    inOrder(evalHelp!.out, TRAINING_BACKENDS);
    inOrder(backends!.out, BACKEND_NAMES);
    const refused = await cli('train', 'nothing.mgproj.json', '--backend', 'quantum');
    expect(refused.code).toBe(1);
    inOrder(refused.out, TRAINING_BACKENDS);
  }, 60_000);
});

describe('module and node kinds', () => {
  it('are read off the catalogue', () => {
    const modules = CATALOGUE.filter((d) => d.module);
    expect(modules.map((d) => d.module).sort()).toEqual([...MODULES].sort());
    expect(MODULE_NODE_KIND).toEqual({ E: 'encoder', G: 'generator', T: 'transformer', R: 'reconstructor', D: 'discriminator' });
    expect(MODULE_NODE_KINDS).toBe(MODULE_NODE_KIND);
    for (const k of Object.values(MODULE_NODE_KIND)) expect(isModuleNodeKind(k)).toBe(true);
    expect([...GRAPH_MODULE_KINDS].sort()).toEqual(['encoder', 'generator', 'reconstructor', 'transformer']);
    expect(MODULE_KINDS).toBe(GRAPH_MODULE_KINDS);
    expect([...TRAINING_NODE_KINDS].sort()).toEqual(['adversarial-loss', 'classification-loss', 'cycle-loss', 'dataset', 'discriminator', 'reconstruction-loss']);
  });
});
