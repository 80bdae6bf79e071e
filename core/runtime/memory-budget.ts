// What memory the active tfjs backend can have, for memory-estimate.ts's checks: the system's
// available memory for CPU backends, and on wasm also its 4 GB address space (its heap never
// shrinks, and cannot grow past that). GPU backends: WebGPU caps one buffer, which is known;
// how much GPU memory is free is not, so nothing more is checked there.

import { freemem } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { MemoryBudget } from './memory-estimate';
import { formatBytes } from './memory-estimate';

const WASM_MAX = 4 * 1024 ** 3;

/**
 * What this process can still take: the machine's free memory, or less under a memory limit
 * (a container's cgroup), where the machine's free memory overstates it.
 */
export function systemBudget(free: number = freemem(), limited: number | null = process.availableMemory?.() ?? null): MemoryBudget {
  if (limited !== null && limited > 0 && limited < free) {
    const limit = process.constrainedMemory?.() ?? 0;
    return { bytes: limited, what: `this process may take ${formatBytes(limited)} more${limit > 0 ? ` (its memory limit is ${formatBytes(limit)})` : ''}` };
  }
  return { bytes: free, what: `this machine has ${formatBytes(free)} free` };
}

/** The budget of backend `name` (a tfjs backend name); null where nothing can be known. `free` fixes the machine's free memory (tests). */
export function memoryBudget(name: string = tf.getBackend(), free?: number): MemoryBudget | null {
  const system = free === undefined ? systemBudget() : systemBudget(free, null);
  free = system.bytes;
  switch (name) {
    case 'wasm':
      return free < WASM_MAX ? system : { bytes: WASM_MAX, what: `the wasm backend can address at most ${formatBytes(WASM_MAX)}` };
    case 'webgpu': {
      const limits = (tf.findBackend('webgpu') as unknown as { device?: { limits?: { maxStorageBufferBindingSize?: number } } } | null)?.device?.limits;
      const max = limits?.maxStorageBufferBindingSize;
      return typeof max === 'number' ? { bytes: Infinity, what: 'the GPU', maxBufferBytes: max } : null;
    }
    case 'tensorflow':
    case 'webgl':
      return null; // GPU memory: not known from here
    default:
      return system; // cpu, our native backend, onnxruntime on the CPU
  }
}
