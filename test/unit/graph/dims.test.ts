import { describe, expect, it } from 'vitest';
import { Unifier, scaleDim, sym } from '../../../core/graph/dims';

describe('Unifier', () => {
  it('binds a symbol to a number and resolves scaled members of its class', () => {
    const u = new Unifier();
    expect(u.unify(sym('H'), 128).ok).toBe(true);
    expect(u.resolve(scaleDim(sym('H'), 1, 4))).toBe(32);
  });

  it('links symbols with ratios and binds the whole class at once', () => {
    const u = new Unifier();
    // a = b/4, b = c*2  => a = c/2
    expect(u.unify(sym('a'), sym('b', 1, 4)).ok).toBe(true);
    expect(u.unify(sym('b'), sym('c', 2)).ok).toBe(true);
    expect(u.unify(sym('c'), 64).ok).toBe(true);
    expect(u.resolve(sym('a'))).toBe(32);
    expect(u.resolve(sym('b'))).toBe(128);
  });

  it('refuses two different numbers and a symbol equal to a different multiple of itself', () => {
    const u = new Unifier();
    expect(u.unify(3, 4)).toEqual({ ok: false, left: 3, right: 4 });
    u.unify(sym('x'), sym('y', 1, 2));
    expect(u.unify(sym('x'), sym('y')).ok).toBe(false);
    u.unify(sym('y'), 10);
    expect(u.unify(sym('x'), 6).ok).toBe(false);
    expect(u.unify(sym('x'), 5).ok).toBe(true);
  });

  it('keeps unknown sizes symbolic, named by their class root', () => {
    const u = new Unifier();
    u.unify(sym('p'), sym('q', 1, 2));
    const r = u.resolve(sym('q'));
    expect(typeof r).toBe('object');
    // q = 2p whichever symbol is the root
    u.unify(sym('p'), 7);
    expect(u.resolve(sym('q'))).toBe(14);
  });

  it('stays consistent along long chains (path compression)', () => {
    const u = new Unifier();
    for (let i = 0; i < 2000; i++) u.unify(sym(`s${i + 1}`), sym(`s${i}`, 2));
    // s_i = 2^i s_0 ... too large; use ratio 1 for a long chain and check a few values
    const v = new Unifier();
    for (let i = 0; i < 5000; i++) v.unify(sym(`t${i}`), sym(`t${i + 1}`));
    v.unify(sym('t5000'), 9);
    expect(v.resolve(sym('t0'))).toBe(9);
    expect(v.resolve(sym('t2500'))).toBe(9);
  });

  it('yields fractional sizes when a binding does not divide evenly (the validator reports them)', () => {
    const u = new Unifier();
    u.unify(sym('H'), 130);
    expect(u.resolve(scaleDim(sym('H'), 1, 4))).toBe(32.5);
  });
});
