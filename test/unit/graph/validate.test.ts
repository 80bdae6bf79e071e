import { describe, expect, it } from 'vitest';
import { CELEBA } from '../../../core/graph/attributes';
import { validateGraph } from '../../../core/graph/validate';
import { graph, node, translationGraph } from '../../helpers/graphs';

const errors = (g: Parameters<typeof validateGraph>[0]) =>
  validateGraph(g).diagnostics.filter((d) => d.severity === 'error');

describe('validateGraph', () => {
  it('accepts a well-formed translation graph and binds the image size from the encoder', () => {
    const a = validateGraph(translationGraph(64, 32));
    expect(a.diagnostics).toEqual([]);
    expect(a.ok).toBe(true);
    expect(a.shapes.get('img')!.outputs.image).toMatchObject({ channels: 3, h: 64, w: 64 });
    expect(a.shapes.get('T2')!.outputs.mask).toMatchObject({ kind: 'mask', h: 16, w: 16 });
  });

  it('explains a shape conflict with the sizes and why, naming node and port', () => {
    const g = translationGraph(128, 64);
    const E = { ...g.nodes[1]!, label: 'enc', params: { imageSize: 64, baseChannels: 32 } };
    const bad = { ...g, nodes: g.nodes.map((n) => (n.id === 'E' ? E : n)) };
    const d = errors(bad);
    expect(d).toContainEqual(
      expect.objectContaining({
        code: 'shape-mismatch',
        node: 'T1',
        port: 'feature',
        edge: 'e2',
        message:
          "Transformer 'hair' input 'Feature' expects a 256×32×32 feature map (its base channels are 64), but Encoder 'enc' gives 128×16×16 (its base channels are 32, image size 64)",
      }),
    );
  });

  it('finds a cycle and names its nodes in order', () => {
    const g = graph(
      [
        node('c', 'condition-input', { attributes: [CELEBA.hair], values: { hair: 'black' } }),
        node('a', 'transformer', {}, 'a'),
        node('b', 'transformer', {}, 'b'),
        node('c2', 'condition-input', { attributes: [CELEBA.hair], values: { hair: 'black' } }),
      ],
      ['c.condition -> a.condition', 'c2.condition -> b.condition', 'a.feature -> b.feature', 'b.feature -> a.feature'],
    );
    const a = validateGraph(g);
    expect(a.order).toBeNull();
    expect(a.diagnostics.find((d) => d.code === 'cycle')?.message).toBe(
      "These nodes form a cycle: Transformer 'a' → Transformer 'b' → Transformer 'a'",
    );
  });

  it('reports missing required inputs and warns about dangling outputs', () => {
    const g = graph([node('E', 'encoder', { imageSize: 64 }, 'enc')], []);
    const d = validateGraph(g).diagnostics;
    expect(d).toContainEqual(expect.objectContaining({ severity: 'error', code: 'missing-input', node: 'E', port: 'image', message: "Encoder 'enc' needs its input 'Image' connected (an image)" }));
    expect(d).toContainEqual(expect.objectContaining({ severity: 'warning', code: 'dangling-output', node: 'E', port: 'feature' }));
    // A transformer's mask may stay unconnected without a warning.
    const t = validateGraph(translationGraph()).diagnostics;
    expect(t.filter((x) => x.port === 'mask')).toEqual([]);
  });

  it('checks condition length and the attribute set a transformer expects', () => {
    const g = translationGraph();
    const swap = (id: string, params: Record<string, unknown>) => ({ ...g, nodes: g.nodes.map((n) => (n.id === id ? { ...n, params } : n)) });
    // A smile condition (length 1) into the hair transformer (3 values).
    const wrongSet = swap('c1', { attributes: [CELEBA.smiling], values: { smiling: '1' } });
    expect(errors(wrongSet)).toContainEqual(
      expect.objectContaining({
        code: 'attribute-mismatch',
        node: 'T1',
        port: 'condition',
        message: "Transformer 'hair' input 'Condition' expects a condition of length 3 (hair ∈ {black, blond, brown}), but Condition 'c1' gives length 1 (smiling (yes/no))",
      }),
    );
    // Same length, different values.
    const colours = swap('c1', { attributes: [{ name: 'hair', kind: 'onehot', values: ['red', 'grey', 'white'] }], values: { hair: 'red' } });
    expect(errors(colours).map((x) => x.code)).toEqual(['attribute-mismatch']);
  });

  it('refuses a port of the wrong kind', () => {
    const g = graph(
      [node('img', 'image-input', { path: 'a.png' }), node('T', 'transformer', {}, 't'), node('c', 'condition-input')],
      ['img.image -> T.feature', 'c.condition -> T.condition'],
    );
    expect(errors(g)).toContainEqual(
      expect.objectContaining({ code: 'kind-mismatch', message: "Transformer 't' input 'Feature' takes a feature map, but Image input 'img' output 'Image' gives an image" }),
    );
  });

  it('reports bad parameters, unknown kinds, duplicate ids, bad edges and taken inputs', () => {
    const g = graph(
      [
        node('E', 'encoder', { imageSize: 63, baseChannels: 'wide' }),
        node('E', 'encoder'),
        node('x', 'warp-drive'),
        node('img', 'image-input', { path: 'a.png' }),
        node('img2', 'image-input', { path: 'b.png' }),
      ],
      ['img.image -> E.image', 'img2.image -> E.image', 'img.picture -> E.image', 'ghost.image -> E.image'],
    );
    const d = errors(g);
    const messages = d.map((x) => x.message);
    expect(messages).toContain("Encoder 'E': parameter 'Image size' must be a multiple of 4, got 63");
    expect(messages).toContain('Encoder \'E\': parameter \'Base channels\' must be a whole number, got "wide"');
    expect(messages).toContain("Two nodes share the id 'E'; the second is ignored");
    expect(messages).toContain("Node 'x' has an unknown kind 'warp-drive'");
    expect(messages).toContain("Encoder 'E' input 'Image' takes one connection and already has one from Image input 'img'");
    expect(messages).toContain("Edge 'e3': Image input 'img' has no output 'picture'");
    expect(messages).toContain("Edge 'e4' connects a node that does not exist ('ghost')");
  });

  it('reports sizes that do not divide evenly', () => {
    const g = graph(
      [node('img', 'image-input', { path: 'a', size: 130 }), node('E', 'encoder', { imageSize: 0 }, 'enc'), node('R', 'reconstructor', { imageSize: 0 })],
      ['img.image -> E.image', 'E.feature -> R.feature'],
    );
    expect(errors(g)).toContainEqual(
      expect.objectContaining({ code: 'bad-size', node: 'E', message: "Encoder 'enc' output 'Feature' would have a height of 32.5; the image size feeding it must divide evenly" }),
    );
  });

  it('keeps sizes symbolic until something binds them', () => {
    const g = graph(
      [node('img', 'image-input', { path: 'a' }), node('E', 'encoder', { imageSize: 0, baseChannels: 8 }), node('R', 'reconstructor', { imageSize: 0, baseChannels: 8 }), node('o', 'image-output')],
      ['img.image -> E.image', 'E.feature -> R.feature', 'R.image -> o.image'],
    );
    const a = validateGraph(g);
    expect(a.ok).toBe(true);
    const out = a.shapes.get('R')!.outputs.image!;
    expect(out.kind === 'image' && typeof out.h).toBe('object');
    // The output of R is the same unknown as the image input's height.
    const inp = a.shapes.get('img')!.outputs.image!;
    expect(out.kind === 'image' && inp.kind === 'image' && out.h).toEqual(inp.kind === 'image' && inp.h);
  });

  it('requires the masks summed to share one size', () => {
    const g = translationGraph(64, 32);
    const withSum = graph(
      [...g.nodes, node('s', 'mask-sum'), node('img2', 'image-input', { path: 'x' }), node('E2', 'encoder', { imageSize: 32, baseChannels: 32 }), node('c3', 'condition-input'), node('T3', 'transformer', { baseChannels: 32 }, 'small')],
      [],
    );
    const edges = [
      ...g.edges,
      { id: 'm1', from: { node: 'T1', port: 'mask' }, to: { node: 's', port: 'masks' } },
      { id: 'm2', from: { node: 'T2', port: 'mask' }, to: { node: 's', port: 'masks' } },
      { id: 'x1', from: { node: 'img2', port: 'image' }, to: { node: 'E2', port: 'image' } },
      { id: 'x2', from: { node: 'E2', port: 'feature' }, to: { node: 'T3', port: 'feature' } },
      { id: 'x3', from: { node: 'c3', port: 'condition' }, to: { node: 'T3', port: 'condition' } },
      { id: 'm3', from: { node: 'T3', port: 'mask' }, to: { node: 's', port: 'masks' } },
    ];
    const d = errors({ nodes: withSum.nodes, edges });
    expect(d.map((x) => [x.code, x.edge])).toEqual([['shape-mismatch', 'm3']]);
    expect(d[0]!.message).toBe("Mask sum 's' input 'Masks' expects a 16×16 mask, but Transformer 'small' gives 8×8");
  });
});
