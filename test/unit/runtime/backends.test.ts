// Backend selection on a GPU-less machine: every candidate is reported with a reason, 'auto'
// lands on wasm, and an override gets exactly its backend or a clear error.

import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BACKEND_ORDER, isBackendPreference } from '../../../core/runtime/backend-report';
import { BackendUnavailableError, initBackend, tfjsNameOf } from '../../../core/runtime/backends';

function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

const nodeGpuInstalled = installed('@tensorflow/tfjs-node-gpu');

describe('initBackend', () => {
  it("'auto' reports every candidate in order, with one active and a reason for each", async () => {
    const report = await initBackend('auto', { gradients: false });
    expect(report.candidates.map((c) => c.name)).toEqual([...BACKEND_ORDER]);
    expect(report.candidates.filter((c) => c.status === 'active').map((c) => c.name)).toEqual([report.active]);
    for (const c of report.candidates) expect(c.reason.length, c.name).toBeGreaterThan(0);
    expect(tf.getBackend()).toBe(report.tfjsName);
    // cpu always loads, wasm does wherever WebAssembly does.
    const byName = Object.fromEntries(report.candidates.map((c) => [c.name, c]));
    expect(['active', 'available']).toContain(byName.wasm!.status);
    expect(byName.cpu!.status).toBe('available');
    expect(byName.wasm!.details).toMatchObject({ simd: true, customKernels: ['Conv2DBackpropInput', 'Conv2DBackpropFilter'] });
    expect(byName.wasm!.details.threads).toBeGreaterThanOrEqual(1);
    if (!nodeGpuInstalled) expect(byName['tfjs-node-gpu']).toMatchObject({ status: 'failed', reason: expect.stringMatching(/not installed/) });
    // A CPU-emulated WebGPU adapter must never be chosen by 'auto'.
    if (byName.webgpu!.details.cpuEmulated) expect(byName.webgpu!.status).toBe('skipped');
    if (byName.webgpu!.status === 'failed') expect(report.active).not.toBe('webgpu');
  });

  it('an override picks exactly that backend and marks the others not tried', async () => {
    const report = await initBackend('cpu', { gradients: false });
    expect(report.active).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(report.candidates.filter((c) => c.name !== 'cpu').every((c) => c.status === 'skipped')).toBe(true);
    expect(tfjsNameOf('cpu')).toBe('cpu');
  });

  it.runIf(!nodeGpuInstalled)('an override that cannot load fails with a clear message', async () => {
    const attempt = initBackend('tfjs-node-gpu', { gradients: false });
    await expect(attempt).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(attempt).rejects.toThrow(/backend 'tfjs-node-gpu' was requested but could not be used: .*not installed/);
  });

  it('registers the tfjs-core gradients that training needs', async () => {
    await initBackend('wasm');
    expect(tf.getGradient('Conv2D')).toBeDefined();
    expect(tf.getGradient('Conv2DBackpropInput')).toBeDefined();
  });

  it('knows its preference names', () => {
    expect(['auto', 'wasm', 'webgpu', 'cpu', 'tfjs-node-gpu'].every(isBackendPreference)).toBe(true);
    expect(isBackendPreference('webgl')).toBe(false);
  });
});
