// The engine keeps working without the addon: 'native' is reported failed with the reason and
// 'auto' lands on the next backend.

import { describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/runtime/backends';
import { loadAddon } from '../../../core/runtime/native/addon';

describe('without the native addon', () => {
  it("reports 'native' failed with the reason and runs on wasm", async () => {
    const report = await initBackend('auto', { gradients: false, probeAll: false, nativeAddonPath: '/nonexistent/modulargan_native.node' });
    const native = report.candidates.find((c) => c.name === 'native')!;
    expect(native.status).toBe('failed');
    expect(native.reason).toMatch(/not built .*missing/);
    expect(['wasm', 'webgpu', 'tfjs-node-gpu']).toContain(report.active);
  });

  it('says why a file that is not an addon does not load', () => {
    expect(() => loadAddon(new URL(import.meta.url).pathname)).toThrow(/native addon did not load/);
  });
});
