import { describe, expect, it } from 'vitest';
import { GROUP_WINDOW_MS, createHistory, record, redo, seal, undo } from '../../../renderer/state/history';

describe('undo history', () => {
  it('undoes and redoes at least 100 steps', () => {
    let h = createHistory(0);
    for (let i = 1; i <= 150; i++) h = record(h, i, null, i);
    for (let i = 0; i < 150; i++) h = undo(h);
    expect(h.present).toBe(0);
    for (let i = 0; i < 150; i++) h = redo(h);
    expect(h.present).toBe(150);
  });

  it('forgets the oldest steps beyond its limit', () => {
    let h = createHistory(0);
    for (let i = 1; i <= 10; i++) h = record(h, i, null, i, 4);
    expect(h.past).toEqual([6, 7, 8, 9]);
  });

  it('merges edits of one group made in quick succession into one step', () => {
    let h = createHistory('a');
    h = record(h, 'ab', 'typing', 1000);
    h = record(h, 'abc', 'typing', 1100);
    h = record(h, 'abcd', 'typing', 1200);
    expect(undo(h).present).toBe('a');
    // After a pause, or once sealed, the same group starts a new step.
    expect(undo(record(h, 'abcde', 'typing', 1200 + GROUP_WINDOW_MS + 1)).present).toBe('abcd');
    expect(undo(record(seal(h), 'abcde', 'typing', 1300)).present).toBe('abcd');
  });

  it('drops the redo branch on a new edit and ignores no-op edits', () => {
    let h = record(record(createHistory(0), 1), 2);
    h = record(undo(h), 5);
    expect(h.future).toEqual([]);
    expect(record(h, h.present)).toBe(h);
    expect(redo(h)).toBe(h);
    expect(undo(createHistory(0)).present).toBe(0);
  });
});
