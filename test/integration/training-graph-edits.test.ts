// Structural edits of the training graph, end to end: a transformer added and another removed
// in the graph are written into the project, whose file validates and trains, with
// `modulargan train`, exactly the modules and discriminators the graph shows. And the
// add-a-transformer flow keeps its frozen weights safe from the original run's pruning.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainCommand } from '../../cli/train';
import { createEngineService } from '../../core/engine/service';
import { readProjectFile, saveProjectFile } from '../../core/files/documents';
import { readWeightsFile } from '../../core/files/weights-file';
import { COLOR_MNIST, type Graph, type Project, analyze, analyzeTrainingGraph, applyTrainingGraph, buildTrainingGraph, transformerFor } from '../../core/graph';
import { initBackend } from '../../core/runtime/backends';
import { withNewTransformer } from '../../renderer/training/training-controller';
import { asRunnable, tinyProject } from '../helpers/training';

type Json = Record<string, unknown>;
const quick = (iterations: number) => (p: Json) => {
  asRunnable(p);
  Object.assign(p.training as Json, { backend: 'wasm', iterations, decayFrom: 1, checkpointEvery: iterations, sampleEvery: iterations });
};

async function open(file: string): Promise<Project> {
  const r = await readProjectFile(file);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.value.value;
}
const manifestModules = (file: string, ckpt: string) =>
  Object.keys((JSON.parse(readFileSync(join(file.replace(/\.mgproj\.json$/, '.train'), 'checkpoints', ckpt, 'manifest.json'), 'utf8')) as { modules: Json }).modules).sort();
const train = async (file: string) => {
  const lines: string[] = [];
  const code = await trainCommand(file, { quiet: true }, (l) => lines.push(l));
  expect(code, lines.join('\n')).toBe(0);
};

beforeAll(async () => {
  await initBackend('wasm', { probeAll: false });
}, 60_000);

describe('the training graph as the project trains it', () => {
  it('adds T_style and removes T_color; the saved project validates and trains those modules', async () => {
    const file = tinyProject(quick(2), 'edited');
    const project = await open(file);
    const g = buildTrainingGraph(project);
    const t = transformerFor(g, COLOR_MNIST.style);
    const edited: Graph = {
      nodes: [...g.nodes.filter((n) => n.id !== 'T_color'), { id: t.id, kind: 'transformer', label: t.label, params: t.params }],
      edges: g.edges.filter((e) => e.from.node !== 'T_color' && e.to.node !== 'T_color'),
    };
    await saveProjectFile(file, applyTrainingGraph(project, edited));

    const saved = await open(file);
    expect(analyze(saved.graph).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const shown = buildTrainingGraph(saved);
    expect(analyzeTrainingGraph(shown).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    await train(file);
    // What the graph shows: its modules and one D per judged module (D_x_real shares D_x's weights).
    const modules = shown.nodes.filter((n) => ['generator', 'transformer', 'reconstructor', 'discriminator'].includes(n.kind) && !n.id.endsWith('_real')).map((n) => n.id);
    expect(manifestModules(file, 'iter-000002')).toEqual(modules.sort());
    expect(modules).toEqual(['D_G', 'D_T_background', 'D_T_style', 'G', 'R', 'T_background', 'T_style']);
  });
});

describe('adding a transformer to a trained model', () => {
  it('copies the frozen weights beside the new project, so pruning the original run cannot break it', async () => {
    const file = tinyProject(quick(2), 'base');
    await train(file);
    const service = createEngineService({ stateDir: mkdtempSync(join(tmpdir(), 'mg-freeze-')), demoPath: join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'demo', 'demo.mgproj.json'), host: 'test' });
    const target = join(dirname(file), 'base-T_style.mgproj.json');
    const graph = await service.freezeCheckpoint(file, 'iter-000002', target);
    expect(graph.nodes.find((n) => n.id === 'T_color')!.params.weights).toBe('base-T_style.frozen/T_color.mgw');
    const next = withNewTransformer({ ...(await open(file)), graph: graph as Project['graph'] }, COLOR_MNIST.style);
    await saveProjectFile(target, next.project);
    const checkpoint = join(dirname(file), 'base.train', 'checkpoints', 'iter-000002');
    const sums = Object.fromEntries(await Promise.all(['G', 'T_color', 'D_T_color'].map(async (id) => [id, (await readWeightsFile(join(checkpoint, `${id}.mgw`))).header.sha256])));
    // What checkpoint pruning (or a restart of the original run) does to the files.
    rmSync(join(dirname(file), 'base.train'), { recursive: true });

    await train(target);
    const ours = join(dirname(file), 'base-T_style.train', 'checkpoints', 'iter-000002');
    for (const id of ['G', 'T_color', 'D_T_color']) expect((await readWeightsFile(join(ours, `${id}.mgw`))).header.sha256, id).toBe(sums[id]);
    await service.close();
  });
});
