import { describe, expect, it } from 'vitest';
import { canConnect } from '../../../core/graph/connect';
import { executionPlan } from '../../../core/graph/plan';
import { graph, node, translationGraph } from '../../helpers/graphs';

describe('canConnect', () => {
  const g = translationGraph(64, 32);

  it('accepts a fitting connection and says which edge it replaces on a single input', () => {
    expect(canConnect(g, { node: 'E', port: 'feature' }, { node: 'R', port: 'feature' })).toEqual({ ok: true, replaces: 'e6' });
    const open = { ...g, edges: g.edges.filter((e) => e.id !== 'e6') };
    expect(canConnect(open, { node: 'E', port: 'feature' }, { node: 'R', port: 'feature' })).toEqual({ ok: true });
  });

  it('refuses cycles, self-loops, wrong kinds, wrong shapes and unknown ports, with a reason', () => {
    expect(canConnect(g, { node: 'T2', port: 'feature' }, { node: 'T1', port: 'feature' })).toEqual({
      ok: false,
      reason: "That would make a cycle: Transformer 'smile' already depends on Transformer 'hair'",
    });
    expect(canConnect(g, { node: 'T1', port: 'feature' }, { node: 'T1', port: 'feature' })).toMatchObject({ ok: false, reason: "Transformer 'hair' cannot feed itself" });
    expect(canConnect(g, { node: 'img', port: 'image' }, { node: 'T1', port: 'feature' })).toMatchObject({
      ok: false,
      reason: "Transformer 'hair' input 'Feature' takes a feature map, but Image input 'img' output 'Image' gives an image",
    });
    expect(canConnect(g, { node: 'c1', port: 'condition' }, { node: 'T2', port: 'condition' })).toMatchObject({
      ok: false,
      reason: "Transformer 'smile' input 'Condition' expects a condition of length 1 (smiling (yes/no)), but Condition 'c1' gives length 3 (hair ∈ {black, blond, brown})",
    });
    expect(canConnect(g, { node: 'E', port: 'nope' }, { node: 'R', port: 'feature' })).toMatchObject({ ok: false, reason: "Encoder 'E' has no output 'nope'" });
    expect(canConnect(g, { node: 'E', port: 'feature' }, { node: 'T1', port: 'feature' })).toMatchObject({ ok: false, reason: expect.stringContaining('already connected') });
  });

  it('refuses a feature map of the wrong size', () => {
    const g2 = graph([...g.nodes, node('img2', 'image-input', { path: 'x' }), node('E2', 'encoder', { imageSize: 32, baseChannels: 32 }, 'small')], g.edges.map((e) => `${e.from.node}.${e.from.port} -> ${e.to.node}.${e.to.port}`).concat(['img2.image -> E2.image']));
    expect(canConnect(g2, { node: 'E2', port: 'feature' }, { node: 'T2', port: 'feature' })).toEqual({
      ok: false,
      reason: "Transformer 'smile' input 'Feature' expects a 128×16×16 feature map (its base channels are 32), but Encoder 'small' gives 128×8×8 (its base channels are 32, image size 32)",
    });
  });
});

describe('executionPlan', () => {
  it('runs a chain of transformers in the order it is wired, whatever the file order', () => {
    // Wired c -> a -> b, but listed a, b, c.
    const g = graph(
      [
        node('Ta', 'transformer', { baseChannels: 8 }),
        node('Tb', 'transformer', { baseChannels: 8 }),
        node('Tc', 'transformer', { baseChannels: 8 }),
        node('cond', 'condition-input'),
        node('img', 'image-input', { path: 'x' }),
        node('E', 'encoder', { imageSize: 32, baseChannels: 8 }),
        node('R', 'reconstructor', { imageSize: 32, baseChannels: 8 }),
        node('o', 'image-output'),
      ],
      ['img.image -> E.image', 'E.feature -> Tc.feature', 'Tc.feature -> Ta.feature', 'Ta.feature -> Tb.feature', 'Tb.feature -> R.feature', 'R.image -> o.image', 'cond.condition -> Ta.condition', 'cond.condition -> Tb.condition', 'cond.condition -> Tc.condition'],
    );
    const plan = executionPlan(g);
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    const order = plan.steps.map((s) => s.node);
    expect(order.filter((id) => id.startsWith('T'))).toEqual(['Tc', 'Ta', 'Tb']);
    expect(order.indexOf('E')).toBeLessThan(order.indexOf('Tc'));
    const ta = plan.steps.find((s) => s.node === 'Ta')!;
    expect(ta.module).toBe('T');
    expect(ta.inputs.feature).toEqual([{ node: 'Tc', port: 'feature' }]);
    expect(ta.shapes.outputs.feature).toMatchObject({ c: 32, h: 8, w: 8 });
  });

  it('gives the errors instead of a plan for an invalid graph', () => {
    const plan = executionPlan(graph([node('E', 'encoder')], []));
    expect(plan).toMatchObject({ ok: false, diagnostics: [expect.objectContaining({ code: 'missing-input' })] });
  });
});
