import { describe, expect, it } from 'vitest';
import { CATALOGUE, defaultParams, nodeKind } from '../../../core/graph/catalogue';
import { inferShapes } from '../../../core/graph/infer';
import { paramProblem } from '../../../core/graph/params';
import { CELEBA, COLOR_MNIST } from '../../../core/graph/attributes';

describe('node catalogue', () => {
  it('has every kind the product needs, once', () => {
    const kinds = CATALOGUE.map((d) => d.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    for (const k of [
      'encoder', 'generator', 'transformer', 'reconstructor', 'discriminator',
      'image-input', 'noise-input', 'condition-input', 'image-output', 'mask-preview', 'mask-sum',
      'dataset', 'adversarial-loss', 'classification-loss', 'reconstruction-loss', 'cycle-loss',
    ])
      expect(kinds).toContain(k);
  });

  it.each(CATALOGUE.map((d) => [d.kind, d] as const))('%s: defaults are valid and ports match the signature', (_k, def) => {
    const p = defaultParams(def);
    for (const [k, spec] of Object.entries(def.params)) {
      // A required path starts empty on purpose: a fresh node asks the user for a file.
      if (spec.type === 'path' && spec.required) expect(paramProblem(spec, p[k])).toMatch(/needs a/);
      else expect(paramProblem(spec, p[k]), `${def.kind}.${k}`).toBeNull();
      expect(spec.title.length).toBeGreaterThan(0);
      expect(spec.help.length).toBeGreaterThan(0);
    }
    expect(def.check?.(p) ?? []).toEqual([]);
    const sig = def.signature(p);
    expect(Object.keys(sig.inputs).sort()).toEqual(def.inputs.map((x) => x.name).sort());
    expect(Object.keys(sig.outputs).sort()).toEqual(def.outputs.map((x) => x.name).sort());
    for (const port of [...def.inputs, ...def.outputs]) {
      const t = sig.inputs[port.name] ?? sig.outputs[port.name];
      expect(t?.kind, `${def.kind}.${port.name}`).toBe(port.kind);
    }
    expect(def.help.length).toBeGreaterThan(20);
  });

  it('infers the paper reference shapes at 128 px', () => {
    const E = nodeKind('encoder')!;
    const r = inferShapes(E, { imageSize: 128, baseChannels: 64 }, { image: { kind: 'image', channels: 3, h: 128, w: 128 } });
    expect(r).toMatchObject({ ok: true, outputs: { feature: { kind: 'feature', c: 256, h: 32, w: 32 } } });

    const D = nodeKind('discriminator')!;
    const d = inferShapes(D, { imageSize: 128, depth: 6, attributes: [CELEBA.hair] }, { image: { kind: 'image', channels: 3, h: 128, w: 128 } });
    expect(d).toMatchObject({ ok: true, outputs: { patch: { c: 1, h: 2, w: 2 }, logits: { length: 3 } } });

    const G = nodeKind('generator')!;
    const g = inferShapes(G, { imageSize: 64, baseChannels: 32, noiseLength: 64, attributes: [COLOR_MNIST.digit] }, {
      noise: { kind: 'noise', length: 64 },
      condition: { kind: 'condition', length: 10 },
    });
    expect(g).toMatchObject({ ok: true, outputs: { feature: { c: 128, h: 16, w: 16 } } });
  });

  it('passes feature sizes through a transformer and gives a mask of the same size', () => {
    const T = nodeKind('transformer')!;
    const r = inferShapes(T, { baseChannels: 32, attributes: [CELEBA.smiling] }, {
      feature: { kind: 'feature', c: 128, h: 9, w: 7 },
      condition: { kind: 'condition', length: 1 },
    });
    expect(r).toMatchObject({ ok: true, outputs: { feature: { c: 128, h: 9, w: 7 }, mask: { kind: 'mask', h: 9, w: 7 } } });
  });

  it('takes the image size from the input when set to 0', () => {
    const E = nodeKind('encoder')!;
    const r = inferShapes(E, { imageSize: 0, baseChannels: 16 }, { image: { kind: 'image', channels: 3, h: 96, w: 64 } });
    expect(r).toMatchObject({ ok: true, outputs: { feature: { c: 64, h: 24, w: 16 } } });
  });

  it('reports wrong inputs and bad parameters in words', () => {
    const T = nodeKind('transformer')!;
    const bad = inferShapes(T, { baseChannels: 64 }, {
      feature: { kind: 'feature', c: 128, h: 16, w: 16 },
      condition: { kind: 'condition', length: 3 },
    });
    expect(bad).toEqual({ ok: false, errors: ["input 'Feature' expects a 256×H×W feature map, got a 128×16×16 feature map"] });
    const D = nodeKind('discriminator')!;
    expect(inferShapes(D, { imageSize: 96, depth: 6 }, { image: { kind: 'image', channels: 3, h: 96, w: 96 } })).toEqual({
      ok: false,
      errors: ['image size 96 cannot be halved 6 times; use a depth of at most 5'],
    });
    expect(inferShapes(T, { resBlocks: 99 }, {})).toMatchObject({ ok: false, errors: ["parameter 'Residual blocks' must be from 0 to 32, got 99"] });
  });
});
