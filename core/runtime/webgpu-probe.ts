// WebGPU in plain Node comes from Dawn through the `webgpu` package. tfjs-backend-webgpu
// registers itself only if navigator.gpu exists when it is first imported, so the adapter
// must be found and navigator.gpu installed before that import.

import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of Dawn's adapter we read; the full WebGPU types are not in our lib. */
interface AdapterLike {
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
}
interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<AdapterLike | null>;
}

export type WebgpuProbe =
  | { ok: false; reason: string; details: Record<string, unknown> }
  | { ok: true; cpuEmulated: boolean; details: Record<string, unknown> };

let gpu: GpuLike | undefined;

// Software rasterisers that expose a Vulkan device but run on the CPU.
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|softpipe/i;

/**
 * Whether the Vulkan loader is installed (Linux). Without it Dawn can only fail, after
 * printing a warning of its own; asking first keeps every command's output clean.
 */
function vulkanLoaderPresent(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib64', '/lib', '/usr/local/lib'];
  return dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')));
}

export async function probeWebgpuAdapter(): Promise<WebgpuProbe> {
  if (!vulkanLoaderPresent())
    return { ok: false, reason: 'no Vulkan loader: install libvulkan1 and a GPU driver (or Mesa 25 lavapipe) to use WebGPU', details: {} };
  let dawn: { create(opts: string[]): unknown; globals: object };
  try {
    dawn = (await import('webgpu')) as unknown as typeof dawn;
  } catch (e) {
    return { ok: false, reason: `the webgpu package (Dawn) did not load: ${String(e)}`, details: {} };
  }
  gpu ??= dawn.create([]) as GpuLike;
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    return {
      ok: false,
      reason: 'no GPU adapter: Dawn found no Vulkan device (needs libvulkan1 and a GPU driver, or Mesa 25 lavapipe)',
      details: {},
    };
  }
  const info = adapter.info ?? {};
  const text = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
  const cpuEmulated = adapter.isFallbackAdapter === true || SOFTWARE_ADAPTER.test(text);
  // The backend reads GPUBufferUsage and friends as globals.
  Object.assign(globalThis, dawn.globals);
  installNavigatorGpu(gpu);
  return { ok: true, cpuEmulated, details: { adapter: text || 'unnamed', fallbackAdapter: adapter.isFallbackAdapter ?? false } };
}

function installNavigatorGpu(g: GpuLike): void {
  const nav = (globalThis as { navigator?: object }).navigator;
  // Node 20 has no navigator; Node 21+ has one without gpu.
  if (nav) Object.defineProperty(nav, 'gpu', { value: g, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu: g }, configurable: true, writable: true });
}
