// The pure checks behind issue 19's studio fixes: an image input with no path is invalid
// whether its path is '' or left out; a 'values' parameter knows the attribute groups it
// chooses among (a preset node's too) and which of its values went stale; a selection in
// pieces or with a gap is described before it becomes a preset.

import { describe, expect, it } from 'vitest';
import { CELEBA, makePreset, makePresetNode, selectionShape, selectionWarning, staleValues, validateGraph, valuesGroupsOf } from '../../../core/graph';
import { node, translationGraph } from '../../helpers/graphs';

describe('an image input with nothing to read', () => {
  it('is an error on its node, path left out or empty', () => {
    const g = translationGraph();
    for (const params of [{}, { path: '' }, { path: '  ' }]) {
      const a = validateGraph({ ...g, nodes: g.nodes.map((n) => (n.id === 'img' ? { ...n, params } : n)) });
      expect(a.ok).toBe(false);
      expect(a.diagnostics).toEqual([{ severity: 'error', code: 'bad-param', node: 'img', message: "Image input 'img': parameter 'File or folder' needs a file or folder" }]);
    }
    // Optional paths (weights, an output folder) may stay empty.
    expect(validateGraph(g).diagnostics).toEqual([]);
  });
});

describe('values parameters', () => {
  it("choose among the node's own attributes, or the inner node's for a preset node", () => {
    const c = node('c', 'condition-input', { attributes: [CELEBA.smiling], values: { smiling: '1' } });
    expect(valuesGroupsOf(c, 'values')).toEqual([CELEBA.smiling]);
    // Attributes left out are the kind's default (hair).
    expect(valuesGroupsOf(node('d', 'condition-input'), 'values')).toEqual([CELEBA.hair]);

    const preset = makePreset(translationGraph(), { name: 'p', nodes: ['c1', 'T1', 'c2', 'T2'], params: [{ node: 'c2', param: 'values', name: 'Smile' }, { node: 'c1', param: 'values' }, { node: 'c1', param: 'attributes' }] });
    const p = makePresetNode(preset, 'P1');
    expect(valuesGroupsOf(p, 'c2.values')).toEqual([CELEBA.smiling]);
    expect(valuesGroupsOf(p, 'c1.values')).toEqual([CELEBA.hair]);
    // Attributes exposed beside the values: the node's own value of them counts.
    const male = { ...p, params: { ...p.params, 'c1.attributes': [CELEBA.male] } };
    expect(valuesGroupsOf(male, 'c1.values')).toEqual([CELEBA.male]);
    expect(valuesGroupsOf(p, 'nope.values')).toEqual([]);
  });

  it('name the values that no longer fit the attributes, with what is left of them', () => {
    const switched = node('c', 'condition-input', { attributes: [CELEBA.smiling], values: { hair: 'blond' } });
    expect(staleValues(switched)).toEqual({ values: {} });
    const kept = node('c', 'condition-input', { attributes: [CELEBA.hair, CELEBA.smiling], values: { hair: 'blond', smiling: 'maybe', glasses: '1' } });
    expect(staleValues(kept)).toEqual({ values: { hair: 'blond' } });
    // Absent values are the default ({ hair: 'blond' }), stale once the attributes are others.
    expect(staleValues(node('c', 'condition-input', { attributes: [CELEBA.male] }))).toEqual({ values: {} });
    expect(staleValues(node('c', 'condition-input', { attributes: [CELEBA.hair], values: { hair: 'brown' } }))).toEqual({});
    const preset = makePreset(translationGraph(), { name: 'p', nodes: ['c1', 'T1'], params: [{ node: 'c1', param: 'values' }, { node: 'c1', param: 'attributes' }] });
    const p = makePresetNode(preset, 'P1');
    expect(staleValues({ ...p, params: { ...p.params, 'c1.attributes': [CELEBA.smiling] } })).toEqual({ 'c1.values': {} });
  });
});

describe('a selection to export as a preset', () => {
  const g = translationGraph();

  it('is fine as one chain', () => {
    expect(selectionShape(g, ['E', 'T1', 'c1', 'T2', 'c2', 'R'])).toEqual({ pieces: [['E', 'c1', 'T1', 'c2', 'T2', 'R']], between: [] });
    expect(selectionWarning(g, ['T1', 'c1'])).toBeNull();
  });

  it('is described when it is in pieces, naming what lies between them', () => {
    expect(selectionShape(g, ['E', 'R'])).toEqual({ pieces: [['E'], ['R']], between: ['T1', 'T2'] });
    expect(selectionWarning(g, ['E', 'R'])).toBe(
      "The selection is in 2 pieces not connected to each other (Encoder 'E' | Reconstructor 'R'). Transformer 'hair', Transformer 'smile' lie between selected nodes but are not selected: the preset's ports on either side must be wired back through a node outside it (a preset node cannot feed itself). Select them too to keep the chain whole.",
    );
    // Pieces with nothing between them: side by side.
    expect(selectionWarning(g, ['c1', 'c2'])).toBe("The selection is in 2 pieces not connected to each other (Condition 'c1' | Condition 'c2').");
  });
});
