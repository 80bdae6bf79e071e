// `npm run bench`: prints one JSON object with every benchmark's numbers.
//   npm run bench                 everything
//   npm run bench -- graph        only some sections (graph, ceiling, kernels, inference, batch, queue, editor, training, torch)
//   npm run bench -- training --quick   the standard configuration only, fewer iterations
//   npm run bench -- peer         only the PyTorch 2.x peer beside the native trainer (also part of training)
//   npm run bench -- peer --configs=128 --no-inference   only the peer's training configurations naming "128"
//   npm run bench -- --backends=webgpu   time only these tfjs backends
import { availableParallelism, cpus } from 'node:os';
import { initBackend } from '../core/runtime/backends';
import { benchGraph } from './graph';
import { benchInference } from './inference';
import { benchBatch } from './batch';
import { benchCeiling } from './ceiling';
import { benchKernels } from './kernels';
import { benchTrainer } from './trainer';
import { benchTraining } from './training-section';
import { benchTorch } from './torch-section';
import { benchQueue } from './queue-section';
import { PEER_TRAINING, benchPeer } from './peer-section';

const args = process.argv.slice(2);
const wanted = new Set(args.filter((a) => !a.startsWith('--')));
const run = (name: string) => wanted.size === 0 || wanted.has(name);
/** --backends webgpu,wasm limits the tfjs backends timed (e.g. on a GPU machine). */
const only = args.find((a) => a.startsWith('--backends='))?.slice('--backends='.length).split(',');

/** --configs=128,32 keeps the peer's training configurations whose names contain one of these. */
const configs = args.find((a) => a.startsWith('--configs='))?.slice('--configs='.length).split(',');
const peerOptions = {
  quick: args.includes('--quick'),
  inference: !args.includes('--no-inference'),
  ...(configs ? { training: PEER_TRAINING.filter((c) => configs.some((k) => c.name.includes(k))) } : {}),
};

const results: Record<string, unknown> = {
  machine: { node: process.version, platform: `${process.platform}-${process.arch}`, cpu: cpus()[0]?.model, cores: availableParallelism() },
};
if (run('graph')) results.graph = benchGraph();
if (run('ceiling')) results.ceiling = await benchCeiling().catch((e: Error) => ({ error: e.message }));
if (run('kernels')) results.kernels = await benchKernels(only);
if (run('inference')) {
  // onnxruntime, then tfjs on every backend that loads here except the cpu one (tests only).
  const report = await initBackend('auto', { gradients: false });
  const rows: Record<string, unknown>[] = [];
  const tfjsBackends = report.candidates
    .filter((c) => (c.status === 'active' || c.status === 'available') && c.name !== 'cpu' && (!only || only.includes(c.name)))
    .map((c) => c.name);
  try {
    rows.push(...(await benchInference(['onnxruntime'])));
  } catch (e) {
    rows.push({ engine: 'onnxruntime', error: (e as Error).message });
  }
  for (const name of tfjsBackends) {
    await initBackend(name, { gradients: false, probeAll: false });
    rows.push(...(await benchInference(['tfjs'], { budgetMs: 2000 })));
  }
  results.inference = {
    note: 'E -> 3 T -> R; msPerImage is the median over runs after one warm-up; gflops counts convolutions only (2 FLOPs per multiply-add)',
    targets: { '64px batch 8': '< 15 ms/image', '128px batch 8': '< 300 ms/image' },
    rows,
  };
}
if (run('batch')) {
  // 1,000 images at 64 px; at 128 px (about 0.3 s an image here) 200 keep the run short.
  results.batch = {
    note: 'decode + E -> 3 T -> R + encode with provenance, through `modulargan batch`; generated 178x218 JPEGs',
    targets: { '64px base 32': '>= 40 images/s', '128px base 64': '>= 2.5 images/s' },
    rows: await benchBatch([
      { size: 64, base: 32, resBlocks: 3, images: 1000 },
      { size: 128, base: 64, resBlocks: 6, images: 200 },
    ]),
  };
}
if (run('queue')) {
  // The same folder through a real Redis with one, then two workers of one core each.
  results.queue = await benchQueue({ size: 64, base: 32, resBlocks: 3, images: 400, jobSize: 32 }).catch((e: Error) => ({ error: e.message }));
}
if (run('editor')) {
  // The editor bench drives a page, so it is type-checked with the renderer's DOM types
  // (renderer/tsconfig.json); loading it by a computed name keeps DOM types out of this program.
  const editorBench = './editor';
  const { benchEditor } = (await import(editorBench)) as { benchEditor: () => Promise<Record<string, unknown>> };
  results.editor = await benchEditor().catch((e: Error) => ({ error: e.message }));
}
if (run('training')) {
  results.training = await benchTraining({ quick: args.includes('--quick'), only });
  // The project's own trainer (core/train) on the standard configuration, on each CPU backend:
  // the harness above profiles kernels; this is what `modulargan train` runs.
  const trainer: Record<string, unknown>[] = [];
  for (const backend of ['native', 'wasm'] as const)
    if (!only || only.includes(backend)) trainer.push(await benchTrainer({ backend, iterations: backend === 'wasm' ? 1 : 3 }).catch((e: Error) => ({ backend, error: e.message })));
  (results.training as Record<string, unknown>).trainer = trainer;
  // PyTorch 2.x beside the trainer, each side in its own process (its peak memory its own).
  if (!only || only.includes('native')) (results.training as Record<string, unknown>).pytorchPeer = await benchPeer(peerOptions);
}
if (run('peer') && !run('training')) results.pytorchPeer = await benchPeer(peerOptions);
if (run('torch')) results.torch = await benchTorch({ quick: args.includes('--quick') });
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
