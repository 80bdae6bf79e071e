// `npm run bench`: prints one JSON object with every benchmark's numbers.
//   npm run bench                 everything
//   npm run bench -- graph        only some sections (graph, kernels, inference)
import { availableParallelism, cpus } from 'node:os';
import { initBackend } from '../core/runtime/backends';
import { benchGraph } from './graph';
import { benchInference } from './inference';
import { benchKernels } from './kernels';

const wanted = new Set(process.argv.slice(2));
const run = (name: string) => wanted.size === 0 || wanted.has(name);

const results: Record<string, unknown> = {
  machine: { node: process.version, platform: `${process.platform}-${process.arch}`, cpu: cpus()[0]?.model, cores: availableParallelism() },
};
if (run('graph')) results.graph = benchGraph();
if (run('kernels')) {
  const kernels = await benchKernels();
  results.kernels = kernels;
}
if (run('inference')) {
  // onnxruntime, then tfjs on every backend that loads here except the cpu one (tests only).
  const report = await initBackend('auto', { gradients: false });
  const rows = [];
  const tfjsBackends = report.candidates.filter((c) => (c.status === 'active' || c.status === 'available') && c.name !== 'cpu').map((c) => c.name);
  rows.push(...(await benchInference(['onnxruntime'])));
  for (const name of tfjsBackends) {
    await initBackend(name, { gradients: false, probeAll: false });
    rows.push(...(await benchInference(['tfjs'], { budgetMs: 2000 })));
  }
  results.inference = {
    note: 'E -> 3 T -> R; msPerImage is the median over runs after one warm-up; gflops counts convolutions only (2 FLOPs per multiply-add)',
    targets: { '64px batch 8': '< 15 ms/image', '128px batch 8': '< 400 ms/image' },
    rows,
  };
}
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
