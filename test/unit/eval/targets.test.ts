// Targets of the evaluation: the paper's column order, target values that always differ from
// the item's own, label vectors rewritten only where asked, items spread over the split.
import { describe, expect, it } from 'vitest';
import { spreadItems } from '../../../core/eval/protocol';
import { allTargets, groupSlots, targetLabels, targetValue } from '../../../core/eval/translate';
import { SYNTHETIC_FACES } from '../../../core/graph/attributes';

describe('evaluation targets', () => {
  it('lists every non-empty set of groups in the paper order', () => {
    expect(allTargets(['hair', 'glasses', 'smiling']).map((t) => t.code)).toEqual(['H', 'G', 'S', 'HG', 'HS', 'GS', 'HGS']);
    // Clashing initials fall back to names.
    expect(allTargets(['smiling', 'style']).map((t) => t.code)).toEqual(['smiling', 'style', 'smiling+style']);
  });

  it('asks for a value other than the item\'s own, the same for every call', () => {
    for (let item = 0; item < 50; item++)
      for (let src = 0; src < 3; src++) {
        const v = targetValue(SYNTHETIC_FACES.hair, src, item, 0);
        expect(v).not.toBe(src);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThan(3);
        expect(targetValue(SYNTHETIC_FACES.hair, src, item, 0)).toBe(v);
      }
    expect(targetValue(SYNTHETIC_FACES.smiling, 0, 3, 0)).toBe(1);
    expect(targetValue(SYNTHETIC_FACES.smiling, 1, 3, 0)).toBe(0);
  });

  it('rewrites only the target groups of a label vector', () => {
    const groups = [SYNTHETIC_FACES.hair, SYNTHETIC_FACES.smiling, SYNTHETIC_FACES.glasses];
    const slots = groupSlots(groups);
    const labels = Float32Array.from([1, 0, 0, 0, 1]);
    const out = targetLabels(labels, slots, { code: 'HS', groups: ['hair', 'smiling'] }, new Map([['hair', 2], ['smiling', 1], ['glasses', 0]]));
    expect([...out]).toEqual([0, 0, 1, 1, 1]);
    expect([...labels]).toEqual([1, 0, 0, 0, 1]);
  });

  it('spreads test items over the whole split', () => {
    expect(spreadItems([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 5)).toEqual([0, 2, 4, 6, 8]);
    expect(spreadItems([3, 4], 5)).toEqual([3, 4]);
  });
});
