// The training-time graph: built from a project, valid like any graph, and its loss-weight,
// D and dataset edits carried back into the project.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Project, analyze, applyTrainingGraph, buildTrainingGraph, loadProject, suggestMapping } from '../../../core/graph';
import { TINY_PROJECT, asTranslation } from '../../helpers/training';

const tiny = (edit: (p: Record<string, unknown>) => void = () => {}): Project => {
  const raw = JSON.parse(readFileSync(TINY_PROJECT, 'utf8')) as Record<string, unknown>;
  edit(raw);
  const r = loadProject(JSON.stringify(raw));
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.value.value;
};
const errors = (p: Project) => analyze(buildTrainingGraph(p)).diagnostics.filter((d) => d.severity === 'error');
const setParam = (g: ReturnType<typeof buildTrainingGraph>, id: string, k: string, v: unknown) => ({
  ...g,
  nodes: g.nodes.map((n) => (n.id === id ? { ...n, params: { ...n.params, [k]: v } } : n)),
});

describe('buildTrainingGraph', () => {
  it('wires G, the transformers, R, one D per judged module and the losses (generation)', () => {
    const g = buildTrainingGraph(tiny());
    const ids = g.nodes.map((n) => n.id);
    expect(ids).toEqual(expect.arrayContaining(['data', 'z', 'a0', 'G', 'T_color', 'T_background', 'R', 'D_G', 'D_T_color', 'D_T_background', 'adv_T_color', 'cls_T_color']));
    expect(ids).not.toContain('rec');
    expect(g.edges.some((e) => e.from.node === 'R' && e.to.node === 'D_T_color')).toBe(true);
    expect(g.nodes.find((n) => n.id === 'D_T_color')!.params).toMatchObject({ imageSize: 32, baseChannels: 4, depth: 3 });
    expect(errors(tiny())).toEqual([]);
  });

  it('adds the reconstruction and cycle terms in translation mode, and is valid', () => {
    const p = tiny(asTranslation);
    const g = buildTrainingGraph(p);
    expect(g.nodes.find((n) => n.id === 'rec')!.params.weight).toBe(10);
    expect(g.nodes.filter((n) => n.kind === 'cycle-loss')).toHaveLength(2);
    expect(g.edges.some((e) => e.from.node === 'data' && e.to.node === 'E')).toBe(true);
    expect(errors(p)).toEqual([]);
  });

  it('refuses a project without training', () => {
    expect(() => buildTrainingGraph({ ...tiny(), training: undefined })).toThrow(/no "training" section/);
  });
});

describe('applyTrainingGraph', () => {
  it('unchanged graph, unchanged training', () => {
    const p = tiny(asTranslation);
    expect(applyTrainingGraph(p, buildTrainingGraph(p)).training).toEqual(p.training);
  });

  it('carries loss weights, D settings, dataset and module params back', () => {
    const p = tiny(asTranslation);
    let g = buildTrainingGraph(p);
    g = setParam(g, 'cyc_T_color', 'weight', 3);
    g = setParam(g, 'cls_T_background', 'weight', 0.5);
    g = setParam(g, 'adv_T_color', 'gradientPenalty', 5);
    g = setParam(g, 'rec', 'weight', 7);
    g = setParam(g, 'D_T_color', 'depth', 2);
    g = setParam(g, 'data', 'imageSize', 16);
    g = setParam(g, 'T_color', 'resBlocks', 1);
    const q = applyTrainingGraph(p, g);
    expect(q.training).toMatchObject({ lambdaCyc: 3, lambdaCls: 0.5, lambdaGp: 5, lambdaRec: 7, dDepth: 2 });
    expect(q.datasets[0]!.imageSize).toBe(16);
    expect(q.graph.nodes.find((n) => n.id === 'T_color')!.params.resBlocks).toBe(1);
    // The edited project builds the edited graph.
    expect(buildTrainingGraph(q).nodes.find((n) => n.id === 'cyc_T_background')!.params.weight).toBe(3);
  });

  it('carries the adversarial weight back only when it was edited', () => {
    const p = tiny(asTranslation);
    expect(applyTrainingGraph(p, buildTrainingGraph(p)).training).not.toHaveProperty('lambdaAdv');
    const q = applyTrainingGraph(p, setParam(buildTrainingGraph(p), 'adv_T_color', 'weight', 0.5));
    expect(q.training!.lambdaAdv).toBe(0.5);
    expect(buildTrainingGraph(q).nodes.find((n) => n.id === 'adv_T_background')!.params.weight).toBe(0.5);
  });
});

describe('suggestMapping', () => {
  it('groups hair colours into one transformer, the rest yes/no', () => {
    const s = suggestMapping(['5_o_Clock_Shadow', 'Black_Hair', 'Blond_Hair', 'Brown_Hair', 'Male', 'Smiling', 'Wavy_Hair']);
    expect(s.map((g) => g.attributes)).toEqual([
      { name: '5_o_Clock_Shadow', kind: 'binary' },
      { name: 'hair', kind: 'onehot', values: ['black', 'blond', 'brown'] },
      { name: 'male', kind: 'binary' },
      { name: 'smiling', kind: 'binary' },
      { name: 'Wavy_Hair', kind: 'binary' },
    ]);
    expect(s.map(({ attributes: _, ...g }) => g)).toEqual([
      { name: '5_o_clock_shadow', kind: 'binary', columns: { '5_o_clock_shadow': '5_o_Clock_Shadow' } },
      { name: 'hair', kind: 'onehot', columns: { black: 'Black_Hair', blond: 'Blond_Hair', brown: 'Brown_Hair' } },
      { name: 'male', kind: 'binary', columns: { male: 'Male' } },
      { name: 'smiling', kind: 'binary', columns: { smiling: 'Smiling' } },
      { name: 'wavy_hair', kind: 'binary', columns: { wavy_hair: 'Wavy_Hair' } },
    ]);
  });
  it('a single colour column stays yes/no; value-first and noun-first names both group', () => {
    expect(suggestMapping(['Gray_Hair']).map((g) => g.kind)).toEqual(['binary']);
    expect(suggestMapping(['eyes_blue', 'eyes_green'])).toEqual([
      { name: 'eyes', kind: 'onehot', columns: { blue: 'eyes_blue', green: 'eyes_green' }, attributes: { name: 'eyes', kind: 'onehot', values: ['eyes_blue', 'eyes_green'] } },
    ]);
  });
});
