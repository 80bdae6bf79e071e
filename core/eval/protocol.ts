// The evaluation protocol over the test split. For each test item and each target (every
// non-empty set of the transformers' attribute groups), each method translates the item,
// the classifier reads the result, and we count:
//   error     the translation misses at least one of the target's attributes (the classifier's
//             value for a changed group is not the asked-for one): the paper's Table 2 number;
//   kept      the fraction of attributes that should not change and did not: the other groups
//             (translation), or the digit G was asked for (generation: nothing else is fixed);
//             in generation also per value of G's condition (each digit) through the whole chain;
// plus, on synthetic faces, L1/PSNR/SSIM against the exactly rendered counterfactual; in
// translation, the same scores against the input when the pipeline is asked to change nothing
// (identity); and per method the Fréchet distance of the classifier's features of real test
// images and of all its translations. Ablations: every order of the full chain, the chain
// without masks.

import type { Dataset } from '../data/dataset';
import { seededPermutation } from '../data/loader';
import type { AttributeGroup } from '../graph/ports';
import type { TrainModel } from '../train/model';
import type { AttributeClassifier } from './classifier';
import { labelGroups, predictGroups } from './classifier';
import { classify, loadItems } from './classifier-train';
import { featureFrechet } from './frechet';
import { l1Distance, psnr, ssim } from './image-metrics';
import { type Target, allTargets, groupSlots, targetLabels, targetValue, translate } from './translate';

export interface MethodSpec {
  readonly name: string;
  readonly model: TrainModel;
  /** Whether its single transformer takes the whole label vector (the StarGAN-style baseline). */
  readonly single: boolean;
  readonly useMask?: boolean;
  /** Whether FID and counterfactual metrics are computed for it. */
  readonly full: boolean;
}

export interface PixelScores {
  l1: number;
  psnr: number;
  ssim: number;
}

export interface MethodResult {
  readonly name: string;
  readonly error: Record<string, number>;
  readonly kept: Record<string, number>;
  /** With every transformer asked for a change: the fraction of items where each asked-for attribute is read as asked. */
  readonly attributes: Record<string, number>;
  /** Generation, whole chain: per value of G's condition (e.g. digit '3'), the fraction of items read as that value. */
  readonly keptByValue?: Record<string, number>;
  /** Each group changed alone (its transformer alone), per value asked for: the fraction of items not read as that value. */
  readonly errorByAsked: Record<string, number>;
  readonly counterfactual?: Record<string, PixelScores>;
  /**
   * Synthetic faces, each group changed alone, per change asked for ('hair: blond → brown'): L1
   * to the exact answer. Where a transformer's pixels go wrong, which the target's mean over
   * every change hides (one hard pair among six moves a hair column little).
   */
  readonly counterfactualByChange?: Record<string, number>;
  /**
   * Translation: the output against the input when nothing is asked to change. 'none' is R(E(x))
   * with no transformer; a target's code, its transformers asked for the input's own values.
   */
  readonly identity?: Record<string, PixelScores>;
  readonly fid?: number;
  /** The same distance for each target's translations alone: where a chain of modules loses realism. */
  readonly fidByTarget?: Record<string, number>;
}

export interface OrderResult {
  readonly order: string;
  readonly error: number;
  readonly kept?: number;
  readonly counterfactual?: PixelScores;
}

/** A few translations kept for the report's pictures. */
export interface Pictures {
  readonly inputs: Float32Array;
  readonly n: number;
  /** By method name, then target code: n images. */
  readonly outputs: Map<string, Map<string, Float32Array>>;
  /** Modular chain's mask sums by target code: n × side × side. */
  readonly masks: Map<string, Float32Array>;
  maskSide: number;
}

export interface ProtocolResult {
  readonly targets: readonly Target[];
  readonly items: number;
  readonly methods: readonly MethodResult[];
  readonly orders: readonly OrderResult[];
  readonly pictures: Pictures;
  /** Column names of `keptByValue` (generation), in the condition's order. */
  readonly valueColumns: readonly string[];
  /** Column names of `errorByAsked` ('smiling = 0', 'hair = blond'), in the changeable groups' order. */
  readonly askedColumns: readonly string[];
  /** Column names of `counterfactualByChange` ('hair: blond → brown'), in the changeable groups' order. */
  readonly changeColumns: readonly string[];
}

type Faces = Dataset & { counterfactual(i: number, a: Record<string, unknown>): Promise<Float32Array> };
const hasCounterfactuals = (d: Dataset): d is Faces => typeof (d as Partial<Faces>).counterfactual === 'function';

/** Test items spread over the whole split (ColorMNIST's is ordered by digit). */
export function spreadItems(test: readonly number[], max: number): number[] {
  if (test.length <= max) return [...test];
  return Array.from({ length: max }, (_, j) => test[Math.floor((j * test.length) / max)]!);
}

function permutations(xs: readonly number[]): number[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

class Tally {
  private sums = new Map<string, number[]>();
  add(key: string, ...vs: number[]): void {
    const s = this.sums.get(key) ?? vs.map(() => 0).concat(0);
    vs.forEach((v, i) => (s[i]! += v));
    s[vs.length]!++;
    this.sums.set(key, s);
  }
  has(key: string): boolean {
    return this.sums.has(key);
  }
  mean(key: string, i = 0): number {
    const s = this.sums.get(key);
    if (!s) return 0;
    return s[i]! / s[s.length - 1]!;
  }
  /** Sum of component i divided by the sum of component j (kept attributes / attributes); undefined when nothing was counted. */
  ratio(key: string, i: number, j: number): number | undefined {
    const s = this.sums.get(key);
    return s && s[j]! > 0 ? s[i]! / s[j]! : undefined;
  }
}

/** Test images translated and classified together unless told otherwise. */
export const PROTOCOL_CHUNK = 25;

export interface ProtocolOptions {
  readonly maxImages: number;
  readonly seed: number;
  readonly pictures?: number;
  readonly chunk?: number;
  /**
   * Module orders and the identity passes (default on). Off for the measurement during
   * training: it needs only what every target's translations give.
   */
  readonly ablations?: boolean;
  /** The pixel scores against the exact counterfactual, where the dataset renders one (default: as `ablations`). */
  readonly counterfactuals?: boolean;
  readonly log?: (line: string) => void;
}

export async function runProtocol(dataset: Dataset, classifier: AttributeClassifier, modular: TrainModel, others: readonly MethodSpec[], opts: ProtocolOptions): Promise<ProtocolResult> {
  const size = dataset.imageSize;
  const per = size * size * 3;
  const tGroups: AttributeGroup[][] = modular.transformers.map((t) => (t.module.params.attributes as AttributeGroup[]) ?? []);
  const changeable = tGroups.flat().map((g) => g.name);
  const targets = allTargets(changeable);
  const slots = groupSlots(dataset.groups);
  const groupIndex = new Map(dataset.groups.map((g, i) => [g.name, i]));
  const baseGroups = modular.base.module.kind === 'G' ? ((modular.base.module.params.attributes as AttributeGroup[]) ?? []).map((g) => g.name) : [];
  // Per-value columns: the value's name, or 'group value' when G reads several groups.
  const baseSlots = baseGroups.map((g) => ({ name: g, index: groupIndex.get(g)!, group: slots.get(g)!.group }));
  const label = (group: AttributeGroup, v: number) => (group.kind === 'onehot' ? group.values[v]! : String(v));
  const valueName = (b: (typeof baseSlots)[number], v: number) => (baseSlots.length > 1 ? `${b.name} ${label(b.group, v)}` : label(b.group, v));
  // Each changeable group alone, per value asked for: a transformer may add an attribute and fail
  // to remove it (or the reverse), which one error rate over both directions hides.
  const askedName = (g: string, v: number) => `${g} = ${label(slots.get(g)!.group, v)}`;
  const changeName = (g: string, from: number, to: number) => `${g}: ${label(slots.get(g)!.group, from)} → ${label(slots.get(g)!.group, to)}`;
  const valueCount = (g: AttributeGroup) => (g.kind === 'onehot' ? g.values.length : 2);
  const valueColumns = baseSlots.flatMap((b) => Array.from({ length: valueCount(b.group) }, (_, v) => valueName(b, v)));
  const askedColumns = changeable.flatMap((g) => Array.from({ length: valueCount(slots.get(g)!.group) }, (_, v) => askedName(g, v)));
  const changeColumns = changeable.flatMap((g) => {
    const n = valueCount(slots.get(g)!.group);
    return Array.from({ length: n * n }, (_, k) => [Math.floor(k / n), k % n] as const).filter(([a, b]) => a !== b).map(([a, b]) => changeName(g, a, b));
  });
  const preservedOf = (t: Target) =>
    modular.mode === 'generation' ? baseGroups : dataset.groups.map((g) => g.name).filter((g) => !t.groups.includes(g));
  const chainFor = (t: Target) => tGroups.map((gs, j) => (gs.some((g) => t.groups.includes(g.name)) ? j : -1)).filter((j) => j >= 0);
  const methods: MethodSpec[] = [{ name: 'ModularGAN', model: modular, single: false, full: true }, ...others];
  const ablations = opts.ablations ?? true;
  const faces = (opts.counterfactuals ?? ablations) && hasCounterfactuals(dataset) && modular.mode === 'translation' ? dataset : undefined;
  // Any dataset with an encoder: how much of a face survives E, R and the transformers when no
  // change is asked. It bounds the counterfactual scores and, unlike them, needs no exact answer.
  const identity = ablations && modular.mode === 'translation';
  // No transformer, each one alone, and the whole chain. The baseline's one transformer reads
  // every group, so its keys other than 'none' share one pass.
  const identityTargets = identity ? [{ code: 'none', chain: [] as number[] }, ...targets.filter((t) => t.groups.length === 1 || t === targets.at(-1)).map((t) => ({ code: t.code, chain: chainFor(t) }))] : [];
  const allChain = modular.transformers.map((_, j) => j);
  const orders = ablations && modular.transformers.length >= 2 && modular.transformers.length <= 4 ? permutations(allChain) : [];
  const orderName = (o: number[]) => o.map((j) => tGroups[j]!.map((g) => g.name).join('+')).join(' → ');

  // Shuffled (deterministically) so the first chunk, which gives the pictures, mixes digits and faces.
  const spread = spreadItems(dataset.test, opts.maxImages);
  const items = seededPermutation(spread.length, `${opts.seed}:eval-items`).map((i) => spread[i]!);
  const nPics = Math.min(opts.pictures ?? 6, items.length);
  const pictures: Pictures = { inputs: new Float32Array(nPics * per), n: nPics, outputs: new Map(), masks: new Map(), maskSide: 0 };
  const tally = new Tally();
  const features = new Map<string, Float32Array[]>();
  const realFeatures: Float32Array[] = [];
  const chunk = opts.chunk ?? PROTOCOL_CHUNK;

  for (let start = 0; start < items.length; start += chunk) {
    const ids = items.slice(start, start + chunk);
    const batch = await loadItems(dataset, ids);
    const n = batch.n;
    const len = batch.labels.length / n;
    const own = labelGroups(dataset.groups, batch.labels, n);
    const real = await classify(classifier, batch.images, n);
    realFeatures.push(...real.features);
    if (start === 0) pictures.inputs.set(batch.images.subarray(0, nPics * per));
    // The target value of every changeable group, per item: the same for every method and target.
    const wanted = ids.map((item, i) => new Map(changeable.map((g) => [g, targetValue(slots.get(g)!.group, own[i]![groupIndex.get(g)!]!, item, opts.seed)])));
    const full = targets.at(-1)!;
    const evaluate = async (key: string, t: Target, method: MethodSpec, chain: readonly number[], withPixels: boolean) => {
      const targetsArr = new Float32Array(n * len);
      for (let i = 0; i < n; i++) targetsArr.set(targetLabels(batch.labels.subarray(i * len, (i + 1) * len), slots, t, wanted[i]!), i * len);
      const out = await translate(method.model, size, { images: batch.images, labels: batch.labels, targets: targetsArr, items: ids, n }, {
        chain: method.single ? [0] : chain,
        seed: opts.seed,
        ...(method.useMask === false ? { useMask: false } : {}),
      });
      const cls = await classify(classifier, out.images, n);
      const pred = predictGroups(dataset.groups, cls.logits, n);
      const keep = preservedOf(t);
      for (let i = 0; i < n; i++) {
        const miss = t.groups.some((g) => pred[i]![groupIndex.get(g)!] !== wanted[i]!.get(g));
        const keptCount = keep.filter((g) => pred[i]![groupIndex.get(g)!] === own[i]![groupIndex.get(g)!]).length;
        let pix: number[] = [];
        if (faces && withPixels) {
          const attrs: Record<string, unknown> = {};
          for (const g of t.groups) {
            const { group } = slots.get(g)!;
            const v = wanted[i]!.get(g)!;
            attrs[g] = group.kind === 'onehot' ? group.values[v] : v === 1;
          }
          const truth = await faces.counterfactual(ids[i]!, attrs);
          const img = out.images.subarray(i * per, (i + 1) * per);
          pix = [l1Distance(img, truth), psnr(img, truth), ssim(img, truth, size)];
        }
        tally.add(key, miss ? 1 : 0, keptCount, keep.length, ...pix);
        if (t.groups.length === 1 && key === `${method.name}|${t.code}`) {
          const g = t.groups[0]!;
          tally.add(`${method.name}|asked|${askedName(g, wanted[i]!.get(g)!)}`, miss ? 1 : 0);
          if (pix.length) tally.add(`${method.name}|change|${changeName(g, own[i]![groupIndex.get(g)!]!, wanted[i]!.get(g)!)}`, pix[0]!);
        }
        if (t === full) tally.add(`${key}|attributes`, ...t.groups.map((g) => (pred[i]![groupIndex.get(g)!] === wanted[i]!.get(g) ? 1 : 0)));
        if (t === full) for (const b of baseSlots) tally.add(`${key}|value|${valueName(b, own[i]![b.index]!)}`, pred[i]![b.index] === own[i]![b.index] ? 1 : 0);
      }
      return { out, cls };
    };
    for (const m of methods) {
      for (const t of targets) {
        const { out, cls } = await evaluate(`${m.name}|${t.code}`, t, m, chainFor(t), m.full);
        if (m.full) {
          features.set(m.name, [...(features.get(m.name) ?? []), ...cls.features]);
          features.set(`${m.name}|${t.code}`, [...(features.get(`${m.name}|${t.code}`) ?? []), ...cls.features]);
        }
        if (start === 0) {
          const byT = pictures.outputs.get(m.name) ?? new Map<string, Float32Array>();
          byT.set(t.code, out.images.slice(0, nPics * per));
          pictures.outputs.set(m.name, byT);
          if (m.name === 'ModularGAN') {
            pictures.maskSide = out.maskSide;
            pictures.masks.set(t.code, out.maskSum.slice(0, nPics * out.maskSide * out.maskSide));
          }
        }
      }
    }
    for (const o of orders) await evaluate(`order|${orderName(o)}`, full, methods[0]!, o, true);
    for (const m of methods.filter((x) => x.full)) {
      const done = new Map<string, number[][]>();
      for (const t of identityTargets) {
        const chain = m.single && t.chain.length ? [0] : t.chain;
        let pix = done.get(chain.join());
        if (!pix) {
          const out = await translate(m.model, size, { images: batch.images, labels: batch.labels, targets: batch.labels, items: ids, n }, { chain, seed: opts.seed });
          pix = Array.from({ length: n }, (_, i) => {
            const img = out.images.subarray(i * per, (i + 1) * per);
            const x = batch.images.subarray(i * per, (i + 1) * per);
            return [l1Distance(img, x), psnr(img, x), ssim(img, x, size)];
          });
          done.set(chain.join(), pix);
        }
        for (const p of pix) tally.add(`${m.name}|identity|${t.code}`, ...p);
      }
    }
    opts.log?.(`evaluated ${Math.min(start + chunk, items.length)}/${items.length} test items`);
  }

  const scores = (key: string): PixelScores => ({ l1: tally.mean(key, 3), psnr: tally.mean(key, 4), ssim: tally.mean(key, 5) });
  const identityScores = (key: string): PixelScores => ({ l1: tally.mean(key, 0), psnr: tally.mean(key, 1), ssim: tally.mean(key, 2) });
  const results: MethodResult[] = methods.map((m) => ({
    name: m.name,
    error: Object.fromEntries(targets.map((t) => [t.code, tally.mean(`${m.name}|${t.code}`, 0)])),
    // A target that changes every attribute leaves nothing to keep: no entry rather than a vacuous 100%.
    kept: Object.fromEntries(targets.flatMap((t) => {
      const v = tally.ratio(`${m.name}|${t.code}`, 1, 2);
      return v === undefined ? [] : [[t.code, v]];
    })),
    attributes: Object.fromEntries(targets.at(-1)!.groups.map((g, i) => [g, tally.mean(`${m.name}|${targets.at(-1)!.code}|attributes`, i)])),
    ...(baseSlots.length ? { keptByValue: Object.fromEntries(valueColumns.flatMap((v) => {
      const key = `${m.name}|${targets.at(-1)!.code}|value|${v}`;
      return tally.has(key) ? [[v, tally.mean(key)]] : [];
    })) } : {}),
    errorByAsked: Object.fromEntries(askedColumns.flatMap((c) => (tally.has(`${m.name}|asked|${c}`) ? [[c, tally.mean(`${m.name}|asked|${c}`)]] : []))),
    ...(faces && m.full
      ? {
          counterfactual: Object.fromEntries(targets.map((t) => [t.code, scores(`${m.name}|${t.code}`)])),
          counterfactualByChange: Object.fromEntries(changeColumns.flatMap((c) => (tally.has(`${m.name}|change|${c}`) ? [[c, tally.mean(`${m.name}|change|${c}`)]] : []))),
        }
      : {}),
    ...(identity && m.full ? { identity: Object.fromEntries(identityTargets.map((t) => [t.code, identityScores(`${m.name}|identity|${t.code}`)])) } : {}),
    ...(m.full && realFeatures.length >= 2
      ? {
          fid: featureFrechet(realFeatures, features.get(m.name)!),
          fidByTarget: Object.fromEntries(targets.map((t) => [t.code, featureFrechet(realFeatures, features.get(`${m.name}|${t.code}`)!)])),
        }
      : {}),
  }));
  const orderResults: OrderResult[] = orders.map((o) => {
    const key = `order|${orderName(o)}`;
    const kept = tally.ratio(key, 1, 2);
    return { order: orderName(o), error: tally.mean(key, 0), ...(kept === undefined ? {} : { kept }), ...(faces ? { counterfactual: scores(key) } : {}) };
  });
  return { targets, items: items.length, methods: results, orders: orderResults, pictures, valueColumns, askedColumns, changeColumns };
}
