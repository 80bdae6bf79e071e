import { describe, expect, it } from 'vitest';
import { EMPTY_SERIES, appendLosses, measuredAxis, splitMeasured } from '../../../renderer/training/training-state';

describe('the training view: losses and measured values (training.monitor)', () => {
  it('plots eval_* apart from the losses, on the iterations that have them only', () => {
    let s = EMPTY_SERIES;
    s = appendLosses(s, 1, { d_adv: 1, g_total: 2 });
    s = appendLosses(s, 2, { d_adv: 0.5, eval_fid: 300, eval_acc_hair: 0.4 });
    s = appendLosses(s, 3, { d_adv: 0.2 });
    s = appendLosses(s, 4, { d_adv: 0.1, eval_fid: 250, eval_acc_hair: 0.7 });
    const { losses, measured } = splitMeasured(s);
    expect(Object.keys(losses.terms).sort()).toEqual(['d_adv', 'g_total']);
    expect(losses.x).toEqual([1, 2, 3, 4]);
    expect(measured.x).toEqual([2, 4]);
    expect(measured.terms).toEqual({ eval_fid: [300, 250], eval_acc_hair: [0.4, 0.7] });
  });

  it('draws FID against an axis of its own, the fractions and distances against the left one', () => {
    expect(measuredAxis('eval_fid')).toBe('FID');
    for (const k of ['eval_error', 'eval_acc_hair', 'eval_kept', 'eval_l1']) expect(measuredAxis(k), k).toBe('y');
  });

  it('has no measured chart without monitoring', () => {
    const { measured } = splitMeasured(appendLosses(EMPTY_SERIES, 1, { d_adv: 1 }));
    expect(measured.x).toEqual([]);
  });
});
