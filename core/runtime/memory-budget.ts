// What memory the active tfjs backend can have, for memory-estimate.ts's checks: the system's
// available memory for CPU backends, and on wasm also its 4 GB address space (its heap never
// shrinks, and cannot grow past that). GPU backends: WebGPU caps one buffer, which is known;
// how much GPU memory is free is not, so nothing more is checked there.

import { freemem } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { MemoryBudget } from './memory-estimate';
import { formatBytes } from './memory-estimate';

const WASM_MAX = 4 * 1024 ** 3;

/** The budget of backend `name` (a tfjs backend name); null where nothing can be known. */
export function memoryBudget(name: string = tf.getBackend(), free: number = freemem()): MemoryBudget | null {
  const system: MemoryBudget = { bytes: free, what: `this machine has ${formatBytes(free)} free` };
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
