import { describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/runtime/backends';
import { type ConvCase, microbench, microbenchAll } from '../../../core/runtime/microbench';
import { backendsCommand } from '../../../cli/backends';

const tiny: ConvCase[] = [{ batch: 2, size: 8, inC: 8, outC: 8, kernel: 4, stride: 2 }];

describe('microbench', () => {
  it('measures every op on wasm, both backprop-input paths included, as plain JSON', async () => {
    await initBackend('wasm', { gradients: false });
    const b = await microbench('wasm', { quick: true, cases: tiny, matMulSize: 64 });
    expect(JSON.parse(JSON.stringify(b))).toEqual(b);
    expect(b.results.map((r) => `${r.op}${r.variant ? `/${r.variant}` : ''}`)).toEqual([
      'conv2d',
      'backpropInput/stock',
      'backpropInput/subpixel',
      'backpropInput/auto',
      'backpropFilter/conv',
      'matMul',
    ]);
    for (const r of b.results) {
      expect(r.error, r.op).toBeUndefined();
      expect(r.gflops, r.op).toBeGreaterThan(0);
    }
  });

  it('covers each backend that loads and restores the active one', async () => {
    const report = await initBackend('auto', { gradients: false });
    const all = await microbenchAll(report, { quick: true, cases: tiny, matMulSize: 32 });
    expect(Object.keys(all)).toEqual(report.candidates.filter((c) => c.status === 'active' || c.status === 'available').map((c) => c.name));
    expect(all.cpu!.results.every((r) => r.error === undefined)).toBe(true);
  });
});

describe('modulargan backends', () => {
  it('prints the report as JSON without a benchmark', async () => {
    const lines: string[] = [];
    expect(await backendsCommand({ json: true, bench: false }, (l) => lines.push(l))).toBe(0);
    const out = JSON.parse(lines.join('\n')) as { active: string; candidates: { name: string }[]; microbench?: unknown };
    expect(out.candidates.map((c) => c.name)).toEqual(['tfjs-node-gpu', 'native', 'webgpu', 'wasm', 'cpu']);
    expect(out.microbench).toBeUndefined();
  });

  it('prints one line per candidate in text mode, and refuses an unknown backend', async () => {
    const lines: string[] = [];
    expect(await backendsCommand({ bench: false, backend: 'cpu' }, (l) => lines.push(l))).toBe(0);
    expect(lines[0]).toBe('Backends (active: cpu):');
    expect(lines.filter((l) => /^ {2}\S/.test(l))).toHaveLength(5);
    const bad: string[] = [];
    expect(await backendsCommand({ backend: 'webgl' }, (l) => bad.push(l))).toBe(1);
    expect(bad[0]).toMatch(/unknown backend 'webgl'/);
  });
});
