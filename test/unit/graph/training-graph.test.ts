// The training-time graph: built from a project, valid like any graph, and its loss-weight,
// D and dataset edits carried back into the project; structural edits (a transformer added,
// removed, mapped to another attribute) too, and edits the project cannot hold refused.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type AttributeGroup,
  COLOR_MNIST,
  type Graph,
  type Project,
  TrainingGraphRefusal,
  analyze,
  analyzeTrainingGraph,
  applyTrainingGraph,
  buildTrainingGraph,
  freeGroups,
  loadProject,
  suggestMapping,
  transformerFor,
} from '../../../core/graph';
import { TINY_PROJECT, asRunnable, asTranslation } from '../../helpers/training';

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

  it('draws a shared discriminator as the one D each judged module reads through its slots', () => {
    const p = tiny((raw) => Object.assign(raw.training as object, { sharedDiscriminator: true }));
    const g = buildTrainingGraph(p);
    expect(g.nodes.find((n) => n.id === 'D_T_color')!.label).toBe("shared D (colour's slots)");
    expect(g.nodes.find((n) => n.id === 'D_G_real')!.label).toBe("shared D (G's slots) on real images (same weights)");
    expect(buildTrainingGraph(tiny()).nodes.find((n) => n.id === 'D_T_color')!.label).toBe('D_T_color');
    expect(errors(p)).toEqual([]);
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

  it('shows the keep term (generation, lambdaKeep) as a loss of its own and carries its weight back apart from λ_cls', () => {
    expect(buildTrainingGraph(tiny()).nodes.map((n) => n.id)).not.toContain('keep_G');
    const p = tiny((raw) => Object.assign(raw.training as object, { lambdaKeep: 2 }));
    const g = buildTrainingGraph(p);
    expect(g.nodes.find((n) => n.id === 'keep_G')).toMatchObject({ kind: 'classification-loss', params: { weight: 2 } });
    expect(g.edges.some((e) => e.from.node === 'D_G' && e.to.node === 'keep_G' && e.to.port === 'logits')).toBe(true);
    expect(errors(p)).toEqual([]);
    expect(applyTrainingGraph(p, g).training).toEqual(p.training);
    const q = applyTrainingGraph(p, setParam(setParam(g, 'keep_G', 'weight', 5), 'cls_T_color', 'weight', 0.5));
    expect(q.training).toMatchObject({ lambdaKeep: 5, lambdaCls: 0.5 });
  });

  it('shows the keep term in translation mode (every other D on each T\'s image) and carries its weight back', () => {
    const p = tiny((raw) => {
      asTranslation(raw);
      Object.assign(raw.training as object, { lambdaKeep: 2 });
    });
    const g = buildTrainingGraph(p);
    const keep = g.nodes.filter((n) => n.id.startsWith('keep_'));
    expect(keep).toEqual([expect.objectContaining({ id: 'keep_T_color', kind: 'classification-loss', params: { weight: 2 } })]);
    expect(g.edges.some((e) => e.from.node === 'D_T_color' && e.to.node === 'keep_T_color' && e.to.port === 'logits')).toBe(true);
    expect(errors(p)).toEqual([]);
    expect(applyTrainingGraph(p, g).training).toEqual(p.training);
    expect(applyTrainingGraph(p, setParam(g, 'keep_T_color', 'weight', 0.5)).training!.lambdaKeep).toBe(0.5);
    expect(buildTrainingGraph(tiny(asTranslation)).nodes.some((n) => n.id.startsWith('keep_'))).toBe(false);
  });

  it('shows the whole-chain term (lambdaChain) as a loss of its own and carries its weight back apart from λ_cls', () => {
    expect(buildTrainingGraph(tiny()).nodes.some((n) => n.id.startsWith('chain_'))).toBe(false);
    const p = tiny((raw) => Object.assign(raw.training as object, { lambdaChain: 2 }));
    const g = buildTrainingGraph(p);
    const node = g.nodes.find((n) => n.id.startsWith('chain_'))!;
    expect(node).toMatchObject({ kind: 'classification-loss', params: { weight: 2 } });
    expect(g.edges.some((e) => e.from.node.startsWith('D_T_') && e.to.node === node.id && e.to.port === 'logits')).toBe(true);
    expect(errors(p)).toEqual([]);
    expect(applyTrainingGraph(p, g).training).toEqual(p.training);
    const q = applyTrainingGraph(p, setParam(setParam(g, node.id, 'weight', 3), 'cls_T_color', 'weight', 0.5));
    expect(q.training).toMatchObject({ lambdaChain: 3, lambdaCls: 0.5 });
  });
});

const runnable = (edit: (p: Record<string, unknown>) => void = () => {}) =>
  tiny((p) => {
    asRunnable(p);
    edit(p);
  });
/** A transformer added as the palette adds it: unwired, with the parameters transformerFor gives. */
const withT = (g: Graph, group: AttributeGroup, edges: Graph['edges'] = []): Graph => {
  const t = transformerFor(g, group);
  return { nodes: [...g.nodes, { id: t.id, kind: 'transformer', label: t.label, params: t.params }], edges: [...g.edges, ...edges] };
};
const without = (g: Graph, ...ids: string[]): Graph => ({
  nodes: g.nodes.filter((n) => !ids.includes(n.id)),
  edges: g.edges.filter((e) => !ids.includes(e.from.node) && !ids.includes(e.to.node)),
});
const feedOf = (p: Project, id: string, port = 'feature') => p.graph.edges.find((e) => e.to.node === id && e.to.port === port)?.from.node;
const refusal = (f: () => unknown): TrainingGraphRefusal => {
  try {
    f();
  } catch (e) {
    if (e instanceof TrainingGraphRefusal) return e;
    throw e;
  }
  throw new Error('not refused');
};

describe('structural edits of the training graph', () => {
  it('a transformer added from the palette goes before R with a condition of its own; D and losses follow', () => {
    const p = runnable();
    const g = buildTrainingGraph(p);
    expect(freeGroups(g).map((x) => x.name)).toEqual(['style']);
    const q = applyTrainingGraph(p, withT(g, COLOR_MNIST.style));
    expect(feedOf(q, 'R')).toBe('T_style');
    expect(feedOf(q, 'T_style')).toBe('T_background');
    expect(q.graph.nodes.find((n) => n.id === 'T_style')!.params).toMatchObject({ baseChannels: 4, resBlocks: 0, attributes: [COLOR_MNIST.style] });
    const cond = q.graph.nodes.find((n) => n.id === feedOf(q, 'T_style', 'condition'))!;
    expect(cond.params).toEqual({ attributes: [COLOR_MNIST.style], values: { style: 'flat' } });
    // The saved project's graph is valid, and its training graph has the new D and loss terms.
    expect(analyze(q.graph).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const h = buildTrainingGraph(q);
    expect(h.nodes.map((n) => n.id)).toEqual(expect.arrayContaining(['D_T_style', 'D_T_style_real', 'adv_T_style', 'cls_T_style', 'target_T_style']));
    expect(analyzeTrainingGraph(h).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(freeGroups(h)).toEqual([]);
  });

  it('a transformer wired from G goes right after G', () => {
    const p = runnable();
    const g = buildTrainingGraph(p);
    const q = applyTrainingGraph(p, withT(g, COLOR_MNIST.style, [{ id: 'e1', from: { node: 'G', port: 'feature' }, to: { node: 'T_style', port: 'feature' } }]));
    expect(feedOf(q, 'T_style')).toBe('G');
    expect(feedOf(q, 'T_color')).toBe('T_style');
    expect(feedOf(q, 'R')).toBe('T_background');
    expect(analyze(q.graph).ok).toBe(true);
  });

  it('a removed transformer takes its D, loss terms and condition with it; the chain closes', () => {
    const p = runnable((raw) => ((raw.training as Record<string, unknown>).frozen = ['T_color', 'G']));
    const q = applyTrainingGraph(p, without(buildTrainingGraph(p), 'T_color'));
    expect(q.graph.nodes.map((n) => n.id)).not.toContain('T_color');
    expect(q.graph.nodes.map((n) => n.id)).not.toContain('c_color');
    expect(feedOf(q, 'T_background')).toBe('G');
    expect(q.training!.frozen).toEqual(['G']);
    expect(analyze(q.graph).ok).toBe(true);
    expect(buildTrainingGraph(q).nodes.filter((n) => n.id.includes('T_color'))).toEqual([]);
  });

  it('a fake-image mode named for an attribute no module has any more goes with it (faces)', () => {
    const raw = JSON.parse(readFileSync('assets/projects/faces-32.mgproj.json', 'utf8')) as Record<string, unknown>;
    (raw.training as Record<string, unknown>).clsFakeBinary = { smiling: 'neither', glasses: 'absent' };
    const r = loadProject(JSON.stringify(raw));
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
    const p = r.value.value;
    expect(applyTrainingGraph(p, buildTrainingGraph(p)).training!.clsFakeBinary).toEqual({ smiling: 'neither', glasses: 'absent' });
    expect(applyTrainingGraph(p, without(buildTrainingGraph(p), 'T_glasses')).training!.clsFakeBinary).toEqual({ smiling: 'neither' });
    const oneMode = { ...p, training: { ...p.training!, clsFakeBinary: 'skip' as const } };
    expect(applyTrainingGraph(oneMode, without(buildTrainingGraph(oneMode), 'T_glasses')).training!.clsFakeBinary).toBe('skip');
  });

  it('mapping a transformer to another attribute regenerates its target, D and condition', () => {
    const p = runnable();
    const q = applyTrainingGraph(p, setParam(buildTrainingGraph(p), 'T_background', 'attributes', [COLOR_MNIST.style]));
    expect(q.graph.nodes.find((n) => n.id === 'c_bg')!.params).toEqual({ attributes: [COLOR_MNIST.style], values: { style: 'flat' } });
    const h = buildTrainingGraph(q);
    expect(h.nodes.find((n) => n.id === 'D_T_background')!.params.attributes).toEqual([COLOR_MNIST.style]);
    expect(analyze(q.graph).ok).toBe(true);
    expect(analyzeTrainingGraph(h).ok).toBe(true);
  });

  it('a target value edited in the graph becomes the value of the project condition', () => {
    const p = runnable();
    const q = applyTrainingGraph(p, setParam(buildTrainingGraph(p), 'target_T_color', 'values', { color: 'green' }));
    expect(q.graph.nodes.find((n) => n.id === 'c_color')!.params.values).toEqual({ color: 'green' });
  });

  it('an attribute the dataset lacks shows on the transformer, as the validator shows problems', () => {
    const g = setParam(buildTrainingGraph(tiny()), 'T_color', 'attributes', [{ name: 'hair', kind: 'binary' }]);
    const d = analyzeTrainingGraph(g).diagnostics.filter((x) => x.severity === 'error');
    expect(d).toContainEqual(expect.objectContaining({ node: 'T_color', message: expect.stringMatching(/Transformer 'colour': the dataset has no attribute 'hair'/) }));
  });

  it('warns when two modules are trained for the same attribute', () => {
    const g = setParam(buildTrainingGraph(tiny()), 'T_background', 'attributes', [COLOR_MNIST.color]);
    const d = analyzeTrainingGraph(g).diagnostics.filter((x) => x.severity === 'warning' && x.node === 'T_background');
    expect(d).toEqual([expect.objectContaining({ severity: 'warning', node: 'T_background', message: expect.stringMatching(/changes 'color', as Transformer 'colour' does/) })]);
  });

  it('refuses, naming the node, what the project cannot hold', () => {
    const p = runnable();
    const g = buildTrainingGraph(p);
    let r = refusal(() => applyTrainingGraph(p, without(g, 'D_T_color')));
    expect(r.node).toBe('D_T_color');
    expect(r.message).toMatch(/Discriminator 'D_T_color' cannot be removed: the trainer makes it for Transformer 'colour'/);
    r = refusal(() => applyTrainingGraph(p, { ...g, nodes: [...g.nodes, { id: 'cycle-loss1', kind: 'cycle-loss', params: { weight: 1 } }] }));
    expect(r.message).toMatch(/Feature cycle loss 'cycle-loss1' cannot be added: only transformers/);
    r = refusal(() => applyTrainingGraph(p, setParam(g, 'D_T_color', 'attributes', [COLOR_MNIST.style])));
    expect(r.message).toMatch(/Discriminator 'D_T_color' cannot take this 'Attributes'/);
    r = refusal(() => applyTrainingGraph(p, without(g, 'G')));
    expect(r.message).toMatch(/Generator 'G' cannot be removed: training needs/);
    const rewired = { ...g, edges: g.edges.map((e) => (e.to.node === 'cls_T_color' && e.to.port === 'target' ? { ...e, from: { node: 'target_T_background', port: 'condition' } } : e)) };
    r = refusal(() => applyTrainingGraph(p, rewired));
    expect(r.node).toBe('cls_T_color');
    expect(r.message).toMatch(/The edge from .* cannot be added: the trainer wires its losses/);
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
