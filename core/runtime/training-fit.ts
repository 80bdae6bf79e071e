// Does a run feed its trained modules what they were trained on? A module trained at 32 px
// and run at 64 px, or an encoder trained on synthetic faces given digits, computes without
// error and gives noise; these warnings say so on the node instead. What a module was
// trained on comes from its weights file: the trainer records the image size and the
// training images' statistics (meta.trainedOn); files from before that still say the image
// size an encoder, generator or reconstructor was built for.

import { type ImageStats, asImageStats, distanceFrom, imageFeatures } from '../data/image-stats';
import type { Graph } from '../graph/graph';
import { nodeName } from '../graph/graph';
import type { PlanStep } from '../graph/plan';
import type { WeightsHeader } from '../modules/weights';
import type { HostTensor } from './engine-types';

export interface RunWarning {
  readonly node: string;
  readonly message: string;
}

/** What a weights file says its module was trained on. */
export interface TrainedOn {
  /** The dataset's title, e.g. "Synthetic faces (32 px)". */
  readonly dataset?: string;
  readonly imageSize?: number;
  readonly images?: ImageStats;
}

export function trainedOn(h: WeightsHeader): TrainedOn {
  const t = (h.meta?.trainedOn ?? {}) as Record<string, unknown>;
  const size = typeof t.imageSize === 'number' ? t.imageSize : typeof h.params.imageSize === 'number' && h.params.imageSize > 0 ? h.params.imageSize : undefined;
  const images = asImageStats(t.images);
  return { ...(typeof t.dataset === 'string' ? { dataset: t.dataset } : {}), ...(size ? { imageSize: size } : {}), ...(images ? { images } : {}) };
}

const side = (t: unknown): number | undefined => {
  const h = (t as { h?: unknown } | undefined)?.h;
  return typeof h === 'number' ? h : undefined;
};

/** The image size a module works at in this run, from the plan's shapes. */
function runSize(s: PlanStep): number | undefined {
  if (s.kind === 'encoder') return side(s.shapes.inputs.image);
  if (s.kind === 'reconstructor') return side(s.shapes.outputs.image);
  if (s.kind === 'generator') return typeof s.params.imageSize === 'number' ? s.params.imageSize : undefined;
  if (s.kind === 'transformer') {
    const f = side(s.shapes.inputs.feature);
    return f === undefined ? undefined : 4 * f;
  }
  return undefined;
}

export interface FitCheck {
  /** Known before anything runs: modules run at another size than they were trained at. */
  readonly sizeWarnings: readonly RunWarning[];
  /** Looks at one batch's sources (before it runs). */
  observe(sources: ReadonlyMap<string, HostTensor>): void;
  /** After the run: encoders that were given images unlike their training images. */
  domainWarnings(): RunWarning[];
}

export function checkTrainingFit(steps: readonly PlanStep[], graph: Graph, headers: ReadonlyMap<string, WeightsHeader>): FitCheck {
  const name = (id: string) => nodeName(graph.nodes.find((n) => n.id === id) ?? { id, kind: 'module', params: {} });
  const sizeWarnings: RunWarning[] = [];
  const watched: { node: string; source: string; stats: ImageStats; dataset: string; seen: number; unlike: number; typical: number[] }[] = [];
  for (const s of steps) {
    const h = headers.get(s.node);
    if (!h) continue;
    const t = trainedOn(h);
    const at = runSize(s);
    if (t.imageSize && at && at !== t.imageSize)
      sizeWarnings.push({
        node: s.node,
        message: `${name(s.node)} was trained on ${t.imageSize} px images but runs at ${at} px here: expect noise, not a translation. Run it at ${t.imageSize} px (the image size of the encoder or reconstructor; inputs are resized).`,
      });
    const source = s.kind === 'encoder' ? s.inputs.image?.[0] : undefined;
    if (source && t.images) watched.push({ node: s.node, source: source.node, stats: t.images, dataset: t.dataset ?? 'its training images', seen: 0, unlike: 0, typical: [] });
  }
  return {
    sizeWarnings,
    observe(sources) {
      for (const w of watched) {
        const v = sources.get(w.source);
        if (!v) continue;
        const [n, size] = v.shape as [number, number];
        for (let i = 0; i < n; i++) {
          const d = distanceFrom(w.stats, imageFeatures(v.data, size, i * size * size * 3));
          w.seen++;
          if (d > w.stats.limit) {
            w.unlike++;
            w.typical.push(d);
          }
        }
      }
    },
    domainWarnings() {
      // One odd image in a folder is no news; a quarter of them is.
      return watched
        .filter((w) => w.unlike > 0 && w.unlike >= w.seen / 4)
        .map((w) => {
          const median = w.typical.sort((a, b) => a - b)[Math.floor(w.typical.length / 2)]!;
          return {
            node: w.node,
            message: `${name(w.node)}: ${w.unlike} of ${w.seen} input image(s) look unlike ${w.dataset}, which it was trained on (their colours and layout lie ${median.toFixed(1)} standard deviations from its training images, which stay within ${w.stats.limit.toFixed(1)}): expect poor output on them.`,
          };
        });
    },
  };
}
