// Measures the memory of one training step, for core/runtime/memory-estimate.ts: peak tensor
// bytes (tf.profile), process RSS and the wasm heap, beside the estimate. Not a test: it runs
// real training steps (the standard iteration takes ~25 s on native, ~50 s on wasm, 2 cores).
//   npx tsx scripts/measure-train-memory.ts BACKEND SIZE BASE RESBLOCKS TRANSFORMERS BATCH
//   npx tsx scripts/measure-train-memory.ts wasm 64 32 3 3 16
import * as tf from '@tensorflow/tfjs-core';
import { CELEBA } from '../core/graph/attributes';
import type { Graph } from '../core/graph/graph';
import { initBackend } from '../core/runtime/backends';
import { estimateTraining } from '../core/runtime/memory-estimate';
import { hasFusedInstanceNorm } from '../core/modules/fused-norm';
import { trainingModules } from '../core/train/memory';
import { buildTrainModel, disposeModel } from '../core/train/model';
import { Trainer } from '../core/train/trainer';

const [backend, size, b, rb, nT, batch] = [process.argv[2]!, ...process.argv.slice(3).map(Number)] as [string, number, number, number, number, number];
await initBackend(backend as 'native', { probeAll: false });
const gs = [CELEBA.hair, CELEBA.male, CELEBA.smiling];
const graph = {
  nodes: [
    { id: 'E', kind: 'encoder', params: { imageSize: 0, baseChannels: b, resBlocks: 0 } },
    ...gs.slice(0, nT).map((g, i) => ({ id: `T${i}`, kind: 'transformer', params: { baseChannels: b, resBlocks: rb, attributes: [g] } })),
    { id: 'R', kind: 'reconstructor', params: { imageSize: 0, baseChannels: b } },
  ],
  edges: [],
} as Graph;
const model = await buildTrainModel(graph, { mode: 'translation', imageSize: size, datasetGroups: gs, seed: 0, baseDir: '.' });
const trainer = new Trainer(model, { iterations: 10, batchSize: batch, learningRate: 1e-4, beta1: 0.5, beta2: 0.999, nCritic: 1, lambdaGp: 10, lambdaCls: 1, lambdaRec: 10, lambdaCyc: 10, seed: 0, frozen: [] });
const images = new Float32Array(batch * size * size * 3).map((_, i) => Math.sin(i));
const labels = new Float32Array(batch * 5);
let rssPeak = 0;
const timer = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
const rss0 = process.memoryUsage().rss;
const wasmHeap = () => ((tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.byteLength ?? 0);
const t0 = Date.now();
trainer.step(0, { index: 0, size: batch, images, labels });
const held = tf.memory().numBytes;
const prof = await tf.profile(() => void trainer.step(1, { index: 1, size: batch, images, labels }));
// RSS sampling cannot run during a synchronous step: sample right after too.
rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
clearInterval(timer);
const est = estimateTraining(trainingModules(model, size), batch, { fusedNorm: hasFusedInstanceNorm() });
console.log(JSON.stringify({ backend: tf.getBackend(), fused: hasFusedInstanceNorm(), size, b, rb, nT, batch, tensorPeakGB: (held + prof.peakBytes) / 1e9, estGB: est.bytes / 1e9, ratio: (held + prof.peakBytes) / est.bytes, rss0GB: rss0 / 1e9, rssAfterGB: rssPeak / 1e9, wasmHeapGB: wasmHeap() / 1e9, seconds: (Date.now() - t0) / 1000 }));
trainer.dispose();
disposeModel(model);
