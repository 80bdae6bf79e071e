// Time per kernel name while enabled: where an iteration spends its time, on the backend
// itself (tf.profile's kernel list on the cpu backend does not separate native from JS time).

export interface KernelTime {
  kernel: string;
  ms: number;
  calls: number;
  /** Whether a native implementation handled (some of) these calls. */
  native: boolean;
  /** Floating-point operations done (convolutions and matrix products; 2 per multiply-add). */
  flops?: number;
}

const times = new Map<string, KernelTime>();
let enabled = false;

export function setKernelProfiling(on: boolean): void {
  enabled = on;
  if (on) times.clear();
}

export function isKernelProfiling(): boolean {
  return enabled;
}

export function recordKernel(kernel: string, ms: number, native: boolean): void {
  const t = times.get(kernel) ?? { kernel, ms: 0, calls: 0, native: false };
  t.ms += ms;
  t.calls++;
  t.native ||= native;
  times.set(kernel, t);
}

/** Adds the FLOPs of one call; kernels that know their work call this while profiling. */
export function recordFlops(kernel: string, flops: number): void {
  if (!enabled) return;
  const t = times.get(kernel) ?? { kernel, ms: 0, calls: 0, native: true };
  t.flops = (t.flops ?? 0) + flops;
  times.set(kernel, t);
}

/** Kernels by total time, largest first. */
export function kernelProfile(): KernelTime[] {
  return [...times.values()].sort((a, b) => b.ms - a.ms);
}
