// The networks a training run updates, built from the project's graph: the encoder (or
// generator), every transformer, the reconstructor, plus one discriminator per transformer
// (and one for the generator's base condition), which the trainer adds itself: D_i exists
// only for training, so the graph does not have to draw it.

import * as tf from '@tensorflow/tfjs-core';
import { SHARED_D, defaultDiscriminatorDepth } from '../graph/training-graph';
import { access } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Graph, GraphNode } from '../graph/graph';
import { type AttributeGroup, describeGroups, groupLength, sameGroups } from '../graph/ports';
import { type GanModule, type ModuleNodeKind, createModule } from '../modules/create';
import { resolveModuleParams } from '../modules/module';
import type { Discriminator } from '../modules/discriminator';
import type { Encoder } from '../modules/encoder';
import type { Generator } from '../modules/generator';
import { hashSeed } from '../modules/random';
import type { Reconstructor } from '../modules/reconstructor';
import type { Transformer } from '../modules/transformer';
import { loadWeightsInto } from '../modules/weights';
import { readWeightsFile } from '../files/weights-file';

export interface Part<M extends GanModule | Judge> {
  /** Node id in the graph; for a discriminator "D_<id of what it judges>". */
  readonly id: string;
  readonly module: M;
  /** Positions in the dataset's label vector of this part's condition, in its group order. */
  readonly labelIndex: readonly number[];
}

/** What the trainer asks of the D judging one module: a Discriminator, or a view of the shared one. */
export interface Judge {
  readonly params: Readonly<Record<string, unknown>>;
  readonly conditionLength: number;
  apply(inputs: { image: tf.Tensor4D }): { patch: tf.Tensor4D; logits: tf.Tensor2D };
}

/**
 * The shared discriminator (training.sharedDiscriminator) as one judged module's D sees it: the
 * same critic, and the slots of the head that hold that module's attributes.
 */
export class SharedJudge implements Judge {
  readonly params: Readonly<Record<string, unknown>>;
  /** `slots` as runs of neighbours, [first, count]: what `slice` cuts out. */
  private readonly runs: [number, number][] = [];
  constructor(
    readonly shared: Discriminator,
    readonly slots: readonly number[],
    attributes: readonly AttributeGroup[],
  ) {
    this.params = { ...shared.params, attributes };
    for (const s of slots) {
      const last = this.runs.at(-1);
      if (last && last[0] + last[1] === s) last[1]++;
      else this.runs.push([s, 1]);
    }
  }
  get conditionLength(): number {
    return this.slots.length;
  }
  apply(inputs: { image: tf.Tensor4D }): { patch: tf.Tensor4D; logits: tf.Tensor2D } {
    return tf.tidy(() => {
      const { patch, logits } = this.shared.apply(inputs);
      return { patch, logits: this.slice(logits) };
    });
  }
  /**
   * This module's slots of the shared head's logits. Sliced run by run rather than gathered:
   * gather's gradient needs a kernel (UnsortedSegmentSum) the wasm backend lacks.
   */
  slice(logits: tf.Tensor2D): tf.Tensor2D {
    const parts = this.runs.map(([at, size]) => tf.slice(logits, [0, at], [-1, size]));
    return (parts.length === 1 ? parts[0]! : tf.concat(parts, 1)) as tf.Tensor2D;
  }
}

export interface TrainModel {
  readonly mode: 'translation' | 'generation';
  readonly base: Part<Encoder> | Part<Generator>;
  readonly transformers: readonly Part<Transformer>[];
  readonly reconstructor: Part<Reconstructor>;
  /**
   * The D judging each transformer, in the same order; then, in generation mode, G's condition's.
   * Ids are D_<id of the judged node>; with a shared D they are views of it (no weights of their own).
   */
  readonly discriminators: readonly Part<Judge>[];
  /** The one D behind every view in `discriminators` (training.sharedDiscriminator). */
  readonly sharedD?: Part<Discriminator>;
  readonly all: readonly Part<GanModule>[];
}

export interface ModelOptions {
  mode: 'translation' | 'generation';
  imageSize: number;
  /** The dataset's attribute groups, in label order. */
  datasetGroups: readonly AttributeGroup[];
  seed: number;
  /** Discriminator base channels; default the modules' base channels. */
  dBaseChannels?: number;
  /** Discriminator stride-2 layers; default log2(size) − 1, at most 6 (5 at 64 px, 6 at 128). */
  dDepth?: number;
  /** Folder that relative weights paths in node parameters are relative to. */
  baseDir: string;
  /** One D for every judged module, its head over all their attributes (training.sharedDiscriminator). */
  sharedDiscriminator?: boolean;
  /** Weights files for discriminators, by the id of the node each judges. */
  discriminatorWeights?: Readonly<Record<string, string>>;
}

/** Where each group of `groups` sits in the dataset's label vector; errors name the node. */
export function labelIndex(who: string, groups: readonly AttributeGroup[], datasetGroups: readonly AttributeGroup[]): number[] {
  const out: number[] = [];
  for (const g of groups) {
    let at = 0;
    const found = datasetGroups.find((d) => {
      if (d.name === g.name) return true;
      at += groupLength(d);
      return false;
    });
    if (!found) throw new Error(`${who}: the dataset has no attribute '${g.name}' (it has ${describeGroups(datasetGroups)})`);
    if (!sameGroups([found], [g]))
      throw new Error(`${who}: attribute '${g.name}' is ${describeGroups([g])} here but ${describeGroups([found])} in the dataset`);
    for (let j = 0; j < groupLength(g); j++) out.push(at + j);
  }
  return out;
}

// One place for D's default depth: the training graph shows the same D the trainer builds.
export { SHARED_D, defaultDiscriminatorDepth } from '../graph/training-graph';

const label = (n: GraphNode) => `${n.label ?? n.id} (node '${n.id}')`;

/** One module of a training model before it is built: its node, kind and parameters. */
export interface PartPlan {
  readonly node: GraphNode;
  readonly kind: ModuleNodeKind;
  /** The node's parameters with what training sets (image size, D's settings, weights paths). */
  readonly params: Readonly<Record<string, unknown>>;
  /** The same with the catalogue's defaults filled in and checked. */
  readonly resolved: Readonly<Record<string, unknown>>;
  readonly labelIndex: readonly number[];
}

/** What buildTrainModel will build, found from the graph alone: nothing is allocated yet. */
export interface TrainModelPlan {
  readonly mode: 'translation' | 'generation';
  readonly base: PartPlan;
  readonly transformers: readonly PartPlan[];
  readonly reconstructor: PartPlan;
  /** The discriminators to build: one per judged module, or the shared one. */
  readonly discriminators: readonly PartPlan[];
  /** With a shared D: each judged module's attributes and their slots in its head. */
  readonly judged?: readonly { readonly id: string; readonly groups: readonly AttributeGroup[]; readonly slots: readonly number[]; readonly labelIndex: readonly number[] }[];
}

/**
 * The modules a training run of `graph` needs and their parameters, checked against the
 * catalogue and the dataset, without building any: so the memory they will take can be
 * estimated (and refused) before their weights exist.
 */
export async function planTrainModel(graph: Graph, opts: ModelOptions): Promise<TrainModelPlan> {
  const of = (kind: string) => graph.nodes.filter((n) => n.kind === kind);
  const baseKind = opts.mode === 'translation' ? 'encoder' : 'generator';
  const bases = of(baseKind);
  if (bases.length !== 1)
    throw new Error(`${opts.mode} training needs exactly one ${baseKind} node in the graph, found ${bases.length}`);
  const recs = of('reconstructor');
  if (recs.length !== 1) throw new Error(`training needs exactly one reconstructor node in the graph, found ${recs.length}`);
  const ts = of('transformer');
  if (ts.length === 0) throw new Error('training needs at least one transformer node in the graph');

  const plan = (node: GraphNode, kind: PartPlan['kind'], params: Record<string, unknown>, index: readonly number[]): PartPlan => {
    try {
      return { node, kind, params, resolved: resolveModuleParams(kind, params).params, labelIndex: index };
    } catch (e) {
      throw new Error(`${label(node)}: ${(e as Error).message}`, { cause: e });
    }
  };
  const groupsOf = (n: GraphNode) => (n.params.attributes as AttributeGroup[] | undefined) ?? [];
  const baseNode = bases[0]!;
  const base = plan(
    baseNode,
    baseKind,
    baseKind === 'encoder' ? { ...baseNode.params, imageSize: opts.imageSize } : baseNode.params,
    baseKind === 'generator' ? labelIndex(label(baseNode), groupsOf(baseNode), opts.datasetGroups) : [],
  );
  if (baseKind === 'generator' && (base.resolved.imageSize as number) !== opts.imageSize)
    throw new Error(`${label(baseNode)}: makes ${String(base.resolved.imageSize)} px images but the dataset has ${opts.imageSize} px`);
  const transformers = ts.map((n) => plan(n, 'transformer', n.params, labelIndex(label(n), groupsOf(n), opts.datasetGroups)));
  const recNode = recs[0]!;
  const reconstructor = plan(recNode, 'reconstructor', { ...recNode.params, imageSize: opts.imageSize }, []);

  const dParams = (groups: readonly AttributeGroup[]) => ({
    imageSize: opts.imageSize,
    baseChannels: opts.dBaseChannels ?? (base.resolved.baseChannels as number),
    depth: opts.dDepth ?? defaultDiscriminatorDepth(opts.imageSize),
    attributes: groups,
  });
  const judged: GraphNode[] = [...ts, ...(baseKind === 'generator' && groupsOf(baseNode).length ? [baseNode] : [])];
  const discriminators: PartPlan[] = [];
  if (opts.sharedDiscriminator) {
    if (graph.nodes.some((n) => n.id === SHARED_D)) throw new Error(`training.sharedDiscriminator: the graph has a node '${SHARED_D}', the id the shared discriminator takes`);
    // The head holds each attribute once, in the order the judged modules first name it.
    const groups: AttributeGroup[] = [];
    const slotsOf = (g: AttributeGroup): number[] => {
      let at = 0;
      for (const h of groups) {
        if (h.name === g.name) return Array.from({ length: groupLength(g) }, (_, j) => at + j);
        at += groupLength(h);
      }
      groups.push(g);
      return Array.from({ length: groupLength(g) }, (_, j) => at + j);
    };
    const views = judged.map((n) => ({ id: `D_${n.id}`, groups: groupsOf(n), slots: groupsOf(n).flatMap(slotsOf), labelIndex: labelIndex(label(n), groupsOf(n), opts.datasetGroups) }));
    const dNode: GraphNode = { id: SHARED_D, kind: 'discriminator', label: 'D shared by every transformer', params: { ...dParams(groups), weights: await sharedWeights(judged, opts) } };
    discriminators.push(plan(dNode, 'discriminator', dNode.params, labelIndex('the shared discriminator', groups, opts.datasetGroups)));
    return { mode: opts.mode, base, transformers, reconstructor, discriminators, judged: views };
  }
  for (const n of judged) {
    const dNode: GraphNode = {
      id: `D_${n.id}`,
      kind: 'discriminator',
      label: `D for ${n.label ?? n.id}`,
      params: { ...dParams(groupsOf(n)), weights: await discriminatorWeights(n, opts) },
    };
    discriminators.push(plan(dNode, 'discriminator', dNode.params, labelIndex(label(n), groupsOf(n), opts.datasetGroups)));
  }
  return { mode: opts.mode, base, transformers, reconstructor, discriminators };
}

/** Builds the modules of a plan and loads their weights files; `baseDir` resolves relative paths. */
export async function buildPlannedModel(plan: TrainModelPlan, opts: Pick<ModelOptions, 'seed' | 'baseDir'>): Promise<TrainModel> {
  const built: Part<GanModule>[] = [];
  try {
    const make = async <M extends GanModule>(p: PartPlan): Promise<Part<M>> => {
      let m: GanModule;
      try {
        m = createModule(p.kind, p.params, hashSeed(opts.seed, p.node.id));
      } catch (e) {
        throw new Error(`${label(p.node)}: ${(e as Error).message}`, { cause: e });
      }
      const part: Part<M> = { id: p.node.id, module: m as M, labelIndex: p.labelIndex };
      built.push(part);
      const file = typeof p.params.weights === 'string' ? p.params.weights.trim() : '';
      if (file) {
        try {
          loadWeightsInto(m, await readWeightsFile(resolve(opts.baseDir, file)));
        } catch (e) {
          // The file's own message names the file; the node tells which module it was meant for.
          throw new Error(`${label(p.node)}: ${(e as Error).message}`, { cause: e });
        }
      }
      return part;
    };
    const base = (await make<Encoder | Generator>(plan.base)) as Part<Encoder> | Part<Generator>;
    const transformers: Part<Transformer>[] = [];
    for (const t of plan.transformers) transformers.push(await make<Transformer>(t));
    const reconstructor = await make<Reconstructor>(plan.reconstructor);
    const ds: Part<Discriminator>[] = [];
    for (const d of plan.discriminators) ds.push(await make<Discriminator>(d));
    if (!plan.judged) return { mode: plan.mode, base, transformers, reconstructor, discriminators: ds, all: built };
    const sharedD = ds[0]!;
    const views = plan.judged.map((v) => ({ id: v.id, module: new SharedJudge(sharedD.module, v.slots, v.groups), labelIndex: v.labelIndex }));
    return { mode: plan.mode, base, transformers, reconstructor, discriminators: views, sharedD, all: built };
  } catch (e) {
    for (const p of built) p.module.dispose();
    throw e;
  }
}

export async function buildTrainModel(graph: Graph, opts: ModelOptions): Promise<TrainModel> {
  return buildPlannedModel(await planTrainModel(graph, opts), opts);
}

/**
 * Where D_<id> starts from: the training config's discriminatorWeights entry, else
 * D_<id>.mgw beside the judged module's own weights file (a checkpoint folder keeps them
 * together, so a trained module brings its critic along), else seeded random weights.
 */
async function discriminatorWeights(judged: GraphNode, opts: ModelOptions): Promise<string> {
  return opts.discriminatorWeights?.[judged.id] || (await besideWeights(judged, `D_${judged.id}.mgw`, opts));
}

/** `file` in the folder of `judged`'s own weights file, if both exist; else ''. */
async function besideWeights(judged: GraphNode, file: string, opts: ModelOptions): Promise<string> {
  const own = typeof judged.params.weights === 'string' ? judged.params.weights.trim() : '';
  if (!own) return '';
  const beside = join(dirname(resolve(opts.baseDir, own)), file);
  return (await access(beside).then(() => true, () => false)) ? beside : '';
}

/** Where the shared D starts from: discriminatorWeights.D, else D.mgw beside a judged module's weights file. */
async function sharedWeights(judged: readonly GraphNode[], opts: ModelOptions): Promise<string> {
  const explicit = opts.discriminatorWeights?.[SHARED_D];
  if (explicit) return explicit;
  for (const n of judged) {
    const beside = await besideWeights(n, `${SHARED_D}.mgw`, opts);
    if (beside) return beside;
  }
  return '';
}

export function disposeModel(m: TrainModel): void {
  for (const p of m.all) p.module.dispose();
}
