// The machine's matrix-product ceiling, to read the other numbers against: a 2048² float32
// matrix product through onnxruntime's MLAS GEMM on all cores (numpy's sgemm gets ~300
// GFLOP/s on the 2-core CI machine).

import { performance } from 'node:perf_hooks';
import { OnnxGraph } from '../core/runtime/onnx/builder';

export async function benchCeiling(n = 2048): Promise<Record<string, unknown>> {
  const ort = await import('onnxruntime-node');
  const g = new OnnxGraph();
  g.op('MatMul', [g.input('a', [n, n]), g.input('b', [n, n])], {}, 'c');
  g.output('c', [n, n]);
  const session = await ort.InferenceSession.create(g.encode('sgemm'), { intraOpNumThreads: 0 });
  try {
    const a = new ort.Tensor('float32', new Float32Array(n * n).fill(0.5), [n, n]);
    const b = new ort.Tensor('float32', new Float32Array(n * n).fill(0.25), [n, n]);
    await session.run({ a, b });
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      await session.run({ a, b });
      times.push(performance.now() - t0);
    }
    const best = Math.min(...times);
    return { op: `sgemm ${n}x${n}x${n} (onnxruntime MLAS)`, gflops: Math.round((2 * n ** 3) / (best * 1e6)) };
  } finally {
    await session.release();
  }
}
