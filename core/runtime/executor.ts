// Runs a validated graph over its inputs, batch by batch: image files (or a folder), seeded
// noise, condition vectors in; images, masks and mask sums out. Loading the next batch
// overlaps with running the current one. Deterministic for a seed; cancellable between batches.

import * as tf from '@tensorflow/tfjs-core';
import { isAbsolute, relative, resolve } from 'node:path';
import { readImage, resolveImageSource } from '../data/images';
import { readWeightsFile } from '../files/weights-file';
import type { AttributeGroup } from '../graph/ports';
import { encodeCondition } from '../graph/conditions';
import type { Graph } from '../graph/graph';
import { nodeName } from '../graph/graph';
import { type PlanStep, executionPlan } from '../graph/plan';
import { type GanModule, createModule, moduleWeightCount } from '../modules/create';
import { hashSeed } from '../modules/random';
import { loadWeightsInto, weightsChecksum } from '../modules/weights';
import type { HostTensor, InferenceEngine, OutputRequest } from './engine-types';
import { createOnnxEngine } from './engines/onnx-engine';
import { createTfjsEngine } from './engines/tfjs-engine';
import { gaussian } from './noise';
import { memoryBudget } from './memory-budget';
import { type ModuleNodeKind, checkMemory, estimateInference } from './memory-estimate';
import { hasFusedInstanceNorm } from '../modules/fused-norm';
import type { WeightsHeader } from '../modules/weights';
import { type RunWarning, checkTrainingFit } from './training-fit';

export type EngineChoice = 'auto' | 'onnxruntime' | 'tfjs';

export interface RunOptions {
  /** Relative paths in the graph (image folders, weights) resolve against this folder. */
  readonly baseDir?: string;
  readonly engine?: EngineChoice;
  readonly batchSize?: number;
  /** Seeds noise and untrained weights; the same seed gives the same images. */
  readonly seed?: number;
  /** How many items to make when the graph has no image input (generation). */
  readonly count?: number;
  /** Replaces the path of image input nodes, by node id (the CLI's --input). */
  readonly images?: Readonly<Record<string, string>>;
  readonly recursive?: boolean;
  /** Keeps only the input files whose path relative to their folder passes (e.g. a glob). */
  readonly filter?: (relativePath: string) => boolean;
  /** Folders (real paths) never searched for inputs: an output folder inside an input folder. */
  readonly exclude?: readonly string[];
  /**
   * The input files of an image input (absolute paths inside its folder), by node id, taken as
   * they are instead of listing the folder: a queued batch job's share of a folder listed once
   * by whoever planned the batch. Filters do not apply to them.
   */
  readonly listed?: Readonly<Record<string, readonly string[]>>;
  /**
   * Sees every item before anything is loaded or built, with what each image input's listing
   * found, and says which items not to run: skipped with a reason (reported like unreadable
   * files), or dropped quietly (done already). Throws a RunError to refuse the whole run.
   */
  readonly screen?: (items: readonly RunItem[], listings: readonly InputListing[]) => Promise<Screened>;
  /** Images whose shorter side is below this fraction of the model size are refused (default 1/2). */
  readonly minScale?: number;
  /** Also return every transformer's mask and the sum of them all. */
  readonly masks?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: RunProgress) => void;
  /** Told of each input that is skipped, as it happens (e.g. to stop on the first error). */
  readonly onSkip?: (s: Skipped) => void;
  /** Told when what the run makes may mislead: a module trained at another size, or on other images. */
  readonly onWarning?: (w: RunWarning) => void;
}

export interface RunProgress {
  readonly done: number;
  readonly total: number;
  readonly imagesPerSecond: number;
  readonly etaSeconds: number;
}

/** One result the run produces per item: an image output, a mask preview, or a mask. */
export interface OutputInfo {
  readonly key: string;
  readonly kind: 'image' | 'mask';
  /** 'sink': an image output or mask preview of the graph; 'mask': a mask asked for with `masks`. */
  readonly group: 'sink' | 'mask';
  /** For file names and messages: the node's label or id ("translated", "hair", "sum"). */
  readonly label: string;
}

export interface RunItem {
  readonly index: number;
  /** The input file of each image input node, when there is one. */
  readonly files: Readonly<Record<string, string>>;
  /** The same files relative to their input folder ("sub/a.jpg"), for naming outputs. */
  readonly names: Readonly<Record<string, string>>;
}

export interface Batch {
  readonly items: readonly RunItem[];
  readonly values: ReadonlyMap<string, HostTensor>;
}

/** Which weights each module ran with, for provenance. */
export interface ModuleProvenance {
  readonly sha256: string;
  readonly source: 'file' | 'seeded';
  /** The weights file as the graph names it, when there is one. */
  readonly file?: string;
}

/** What every batch of one run shares. */
export interface RunContext {
  readonly engine: string;
  readonly outputs: readonly OutputInfo[];
  readonly modules: Readonly<Record<string, ModuleProvenance>>;
  readonly seed: number;
}

export interface Skipped {
  readonly file: string;
  readonly reason: string;
}

/** What one image input's path holds: every file found there, usable or not (for guards). */
export interface InputListing {
  readonly node: string;
  /** The folder given, or the folder of the file given. */
  readonly root: string;
  /** Whether the path given is a folder (else it is one file). */
  readonly folder: boolean;
  readonly found: readonly string[];
}

export interface Screened {
  readonly skip: readonly { readonly index: number; readonly reason: string }[];
  readonly drop: readonly number[];
}

export interface RunResult extends RunContext {
  readonly processed: number;
  readonly skipped: readonly Skipped[];
  readonly cancelled: boolean;
  readonly seconds: number;
  /** What the run told onWarning. */
  readonly warnings: readonly RunWarning[];
}

/** A run that cannot start, with a message that names the node at fault (and its id, when one is). */
export class RunError extends Error {
  constructor(
    message: string,
    readonly node?: string,
  ) {
    super(message);
  }
}

const here = (base: string, p: string) => (isAbsolute(p) ? p : resolve(base, p));

/** `headers`: gets the header of each weights file read, for what it says the module was trained on. */
async function buildModules(steps: readonly PlanStep[], graph: Graph, base: string, seed: number, headers?: Map<string, WeightsHeader>): Promise<Map<string, GanModule>> {
  const modules = new Map<string, GanModule>();
  try {
    for (const s of steps) {
      if (!s.module) continue;
      if (s.module === 'D') throw new RunError(`${nodeName(graph.nodes.find((n) => n.id === s.node)!)} is a discriminator, used only in training`, s.node);
      const m = createModule(s.kind, s.params, hashSeed(seed, s.node));
      modules.set(s.node, m);
      const file = s.params.weights as string;
      if (file) {
        try {
          const decoded = await readWeightsFile(here(base, file));
          loadWeightsInto(m, decoded);
          headers?.set(s.node, decoded.header);
        } catch (e) {
          throw new RunError(`${nodeName(graph.nodes.find((n) => n.id === s.node)!)}: ${(e as Error).message}`, s.node);
        }
      }
    }
    return modules;
  } catch (e) {
    for (const m of modules.values()) m.dispose();
    throw e;
  }
}

/**
 * Refuses a run the backend cannot hold before any of it runs — before any module is built
 * or weights file read, so the weights count too — naming what to change; the estimate is
 * core/runtime/memory-estimate.ts's, from the nodes' parameters. Modules whose input size is
 * not known, or whose parameters are refused (buildModules says why), are left out.
 */
function checkRunMemory(steps: readonly PlanStep[], batchSize: number): void {
  const specs = steps.flatMap((s) => {
    if (!s.module || s.module === 'D') return [];
    const input = Object.values(s.shapes.inputs)[0];
    const side = s.kind === 'generator' ? (s.params.imageSize as number) / 4 : input && 'h' in input && typeof input.h === 'number' ? input.h : 0;
    let weights: number;
    try {
      weights = moduleWeightCount(s.kind, s.params);
    } catch {
      return [];
    }
    return side ? [{ id: s.node, kind: s.kind as ModuleNodeKind, params: s.params, side, weights }] : [];
  });
  if (!specs.length) return;
  const estimate = estimateInference(specs, batchSize, { fusedNorm: hasFusedInstanceNorm() });
  const px = Math.max(...specs.map((s) => (s.kind === 'encoder' ? s.side : 4 * s.side)));
  const verdict = checkMemory(
    estimate,
    memoryBudget(),
    `Running ${batchSize} image(s) at a time at ${px} px`,
    `use smaller images (the image size of '${estimate.largest}') or a smaller batch (--batch on the command line)`,
  );
  if (!verdict.ok) throw new RunError(verdict.message, estimate.heaviest && estimate.weightBytes > estimate.activationBytes ? estimate.heaviest.id : estimate.largest);
}

/** The outputs a run of this graph will produce, before running it (e.g. to skip done items). */
export function plannedOutputs(graph: Graph, masks = false): OutputInfo[] {
  const plan = executionPlan(graph);
  if (!plan.ok) return [];
  const { infos } = outputRequests(plan.steps, graph, masks);
  if (infos.filter((o) => o.group === 'mask').length > 1) infos.push(MASK_SUM);
  return infos;
}

const MASK_SUM: OutputInfo = { key: 'mask:sum', kind: 'mask', group: 'mask', label: 'sum' };

function outputRequests(steps: readonly PlanStep[], graph: Graph, masks: boolean): { requests: OutputRequest[]; infos: OutputInfo[] } {
  const label = (id: string) => {
    const n = graph.nodes.find((x) => x.id === id)!;
    return n.label || n.id;
  };
  const requests: OutputRequest[] = [];
  const infos: OutputInfo[] = [];
  for (const s of steps) {
    if (s.kind !== 'image-output' && s.kind !== 'mask-preview') continue;
    const ref = s.inputs[s.kind === 'image-output' ? 'image' : 'mask']![0]!;
    requests.push({ key: s.node, ...ref });
    infos.push({ key: s.node, kind: s.kind === 'image-output' ? 'image' : 'mask', group: 'sink', label: label(s.node) });
  }
  if (masks)
    for (const s of steps)
      if (s.kind === 'transformer') {
        requests.push({ key: `mask:${s.node}`, node: s.node, port: 'mask' });
        infos.push({ key: `mask:${s.node}`, kind: 'mask', group: 'mask', label: label(s.node) });
      }
  return { requests, infos };
}

/** The sum of every transformer's mask, as in the paper's Figure 6 (masks of one size only). */
function addMaskSum(values: Map<string, HostTensor>, keys: readonly string[]): void {
  const masks = keys.map((k) => values.get(k)!).filter(Boolean);
  if (masks.length < 2 || masks.some((m) => m.data.length !== masks[0]!.data.length)) return;
  const sum = new Float32Array(masks[0]!.data.length);
  for (const m of masks) for (let i = 0; i < sum.length; i++) sum[i]! += m.data[i]!;
  values.set('mask:sum', { data: sum, shape: masks[0]!.shape });
}

/**
 * The engine 'auto' runs a plan on: tfjs on a GPU backend and on the native CPU backend (oneDNN
 * with the fused kernels: E -> 3 T -> R at 128 px, batch 8, 272 ms an image against
 * onnxruntime's 296 and PyTorch 2.13's 302, 2 threads), onnxruntime on tfjs's other CPU
 * backends (wasm, cpu), where it is several times faster.
 */
export function autoInferenceEngine(): 'onnxruntime' | 'tfjs' {
  return ['webgpu', 'tensorflow', 'webgl', 'native'].includes(tf.getBackend()) ? 'tfjs' : 'onnxruntime';
}

/** Which engine runs the plan: the one asked for, or autoInferenceEngine's; onnxruntime falls back to tfjs. */
async function makeEngine(choice: EngineChoice, steps: readonly PlanStep[], modules: Map<string, GanModule>, requests: OutputRequest[]): Promise<InferenceEngine> {
  if (choice === 'tfjs' || (choice === 'auto' && autoInferenceEngine() === 'tfjs')) return createTfjsEngine(steps, modules, requests);
  try {
    return await createOnnxEngine(steps, modules, requests);
  } catch (e) {
    if (choice === 'onnxruntime') throw new RunError(`onnxruntime cannot run this graph: ${(e as Error).message}`);
    return createTfjsEngine(steps, modules, requests);
  }
}

function withImages(graph: Graph, images: RunOptions['images']): Graph {
  if (!images || !Object.keys(images).length) return graph;
  return { ...graph, nodes: graph.nodes.map((n) => (n.kind === 'image-input' && images[n.id] !== undefined ? { ...n, params: { ...n.params, path: images[n.id] } } : n)) };
}

export async function runGraph(graph: Graph, opts: RunOptions, onBatch: (b: Batch, ctx: RunContext) => Promise<void> | void): Promise<RunResult> {
  const t0 = performance.now();
  // Images given for an input (--input) stand in for its path before validation, so an
  // input left empty on purpose (a training project's, a preset's) validates with them.
  const plan = executionPlan(withImages(graph, opts.images));
  if (!plan.ok) throw new RunError(`the graph is not valid:\n${plan.diagnostics.map((d) => `  ${d.message}`).join('\n')}`, plan.diagnostics[0]?.node);
  const steps = plan.steps;
  const base = opts.baseDir ?? process.cwd();
  const seed = opts.seed ?? 0;
  const batchSize = Math.max(1, opts.batchSize ?? 8);
  checkRunMemory(steps, batchSize);

  // Sources: image files per image input (paired by index), and how many items to make.
  const imageNodes = steps.filter((s) => s.kind === 'image-input');
  const files = new Map<string, string[]>();
  const roots = new Map<string, string>();
  const sizes = new Map<string, number>();
  const skipped: Skipped[] = [];
  const report = (x: Skipped) => {
    skipped.push(x);
    opts.onSkip?.(x);
  };
  const listings: InputListing[] = [];
  for (const s of imageNodes) {
    const t = s.shapes.outputs.image!;
    const node = graph.nodes.find((n) => n.id === s.node)!;
    if (t.kind !== 'image' || typeof t.h !== 'number' || t.h !== t.w)
      throw new RunError(`${nodeName(node)}: its image size is not fixed; set its Size, or the image size of the module it feeds`, s.node);
    sizes.set(s.node, t.h);
    const path = opts.images?.[s.node] ?? (s.params.path as string);
    let src: Awaited<ReturnType<typeof resolveImageSource>>;
    try {
      const given = opts.listed?.[s.node];
      src = given ? { root: here(base, path), folder: true, files: [...given], others: [], unusable: [] } : await resolveImageSource(here(base, path), opts.recursive, opts.exclude);
    } catch (e) {
      throw new RunError(`${nodeName(node)}: ${(e as Error).message}`, s.node);
    }
    const keep = (f: string) => !opts.filter || !!opts.listed?.[s.node] || opts.filter(relative(src.root, f));
    files.set(s.node, src.files.filter(keep));
    roots.set(s.node, src.root);
    listings.push({ node: s.node, root: src.root, folder: src.folder, found: [...src.files, ...src.others, ...src.unusable.map((u) => u.file)] });
    const unused = [...src.others.filter(keep).map((f) => ({ file: f, reason: 'not an image file' })), ...src.unusable.filter((u) => keep(u.file))];
    unused.sort((a, b) => (a.file < b.file ? -1 : 1)).forEach((x) => report(x));
  }
  const counts = [...files.values()].map((f) => f.length);
  if (new Set(counts).size > 1) throw new RunError(`the image inputs hold different numbers of images (${counts.join(', ')}); they are paired by name order`);
  const itemAt = (i: number): RunItem => ({
    index: i,
    files: Object.fromEntries(imageNodes.map((s) => [s.node, files.get(s.node)![i]!])),
    names: Object.fromEntries(imageNodes.map((s) => [s.node, relative(roots.get(s.node)!, files.get(s.node)![i]!)])),
  });
  // Which items run, by index: all of them unless the screen says otherwise.
  let order = Array.from({ length: counts[0] ?? opts.count ?? batchSize }, (_, i) => i);
  if (opts.screen) {
    const verdict = await opts.screen(order.map(itemAt), listings);
    const out = new Set([...verdict.drop, ...verdict.skip.map((x) => x.index)]);
    for (const x of verdict.skip) report({ file: Object.values(itemAt(x.index).files)[0] ?? `item ${x.index}`, reason: x.reason });
    order = order.filter((i) => !out.has(i));
  }
  const total = order.length;

  const headers = new Map<string, WeightsHeader>();
  const modules = await buildModules(steps, graph, base, seed, headers);
  const fit = checkTrainingFit(steps, graph, headers);
  const warnings: RunWarning[] = [];
  const warn = (w: RunWarning) => {
    warnings.push(w);
    opts.onWarning?.(w);
  };
  fit.sizeWarnings.forEach(warn);
  const { requests, infos } = outputRequests(steps, graph, opts.masks ?? false);
  const maskKeys = infos.filter((o) => o.key.startsWith('mask:')).map((o) => o.key);
  if (maskKeys.length > 1) infos.push(MASK_SUM);
  const provenance: Record<string, ModuleProvenance> = {};
  for (const [node, m] of modules) {
    const file = steps.find((s) => s.node === node)!.params.weights as string;
    provenance[node] = { sha256: weightsChecksum(m), source: file ? 'file' : 'seeded', ...(file ? { file } : {}) };
  }
  let engine: InferenceEngine | undefined;
  let ctx: RunContext = { engine: '', outputs: infos, modules: provenance, seed };
  let processed = 0;
  let cancelled = false;
  try {
    engine = await makeEngine(opts.engine ?? 'auto', steps, modules, requests);
    ctx = { ...ctx, engine: engine.name };

    const load = async (start: number) => {
      const idx = order.slice(start, start + batchSize);
      // Promise.all keeps index order; an item whose image cannot be read is skipped whole.
      const loaded = await Promise.all(
        idx.map(async (i) => {
          const images = new Map<string, Float32Array>();
          for (const s of imageNodes) {
            const file = files.get(s.node)![i]!;
            try {
              images.set(s.node, (await readImage(file, sizes.get(s.node)!, Math.ceil(sizes.get(s.node)! * (opts.minScale ?? 0.5)))).data);
            } catch (e) {
              report({ file, reason: (e as Error).message.replace(`${file}: `, '') });
              return null;
            }
          }
          return { item: itemAt(i), images };
        }),
      );
      const ok = loaded.filter((x) => x !== null);
      const sorted = ok.map((x) => x.item);
      const sources = new Map<string, HostTensor>();
      const n = sorted.length;
      for (const s of steps) {
        if (s.kind === 'image-input') {
          const size = sizes.get(s.node)!;
          const data = new Float32Array(n * size * size * 3);
          ok.forEach((x, j) => data.set(x.images.get(s.node)!, j * size * size * 3));
          sources.set(s.node, { data, shape: [n, size, size, 3] });
        } else if (s.kind === 'noise-input') {
          const len = s.params.length as number;
          const data = new Float32Array(n * len);
          sorted.forEach((it, j) => data.set(gaussian(`${seed}:${s.params.seed as number}:${it.index}`, len), j * len));
          sources.set(s.node, { data, shape: [n, len] });
        } else if (s.kind === 'condition-input') {
          const v = encodeCondition(s.params.attributes as AttributeGroup[], s.params.values as Record<string, string>);
          const data = new Float32Array(n * v.length);
          for (let j = 0; j < n; j++) data.set(v, j * v.length);
          sources.set(s.node, { data, shape: [n, v.length] });
        }
      }
      return { items: sorted, sources };
    };

    // A batch loaded ahead may fail while the one before it is still running (or after a run
    // that stopped with an error): marked handled now, so it is never an unhandled rejection
    // that ends the engine; awaiting it below still throws.
    const ahead = (start: number) => {
      const p = load(start);
      p.catch(() => undefined);
      return p;
    };
    let next = total > 0 ? ahead(0) : undefined;
    for (let start = 0; start < total; start += batchSize) {
      if (opts.signal?.aborted) {
        cancelled = true;
        break;
      }
      const batch = await next!;
      // Decode the next batch while this one runs.
      next = start + batchSize < total ? ahead(start + batchSize) : undefined;
      if (!batch.items.length) continue;
      const values = await engine.run(batch.sources);
      addMaskSum(values, maskKeys);
      fit.observe(batch.sources);
      await onBatch({ items: batch.items, values }, ctx);
      processed += batch.items.length;
      const seconds = (performance.now() - t0) / 1000;
      const rate = processed / seconds;
      opts.onProgress?.({ done: Math.min(total, start + batchSize), total, imagesPerSecond: rate, etaSeconds: (total - start - batchSize) / Math.max(rate, 1e-9) });
    }
    await next?.catch(() => undefined);
    fit.domainWarnings().forEach(warn);
  } finally {
    await engine?.dispose();
    for (const m of modules.values()) m.dispose();
  }
  return { ...ctx, processed, skipped, cancelled, warnings, seconds: (performance.now() - t0) / 1000 };
}
