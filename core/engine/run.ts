// A run of a document whose outputs go to a folder as PNG files (`modulargan run`): the
// document opened and the backend chosen here, as for every front door; the guards of the
// output folder are core/runtime/run-to-folder.ts.

import { resolve } from 'node:path';
import type { Graph } from '../graph/graph';
import { expandPresetNodes } from '../graph/preset-node';
import type { RunProgress } from '../runtime/executor';
import { type RunToFolderResult, runToFolder } from '../runtime/run-to-folder';
import { chooseInferenceEngine } from './backends';
import { requireDocument } from './documents';
import { RunError } from './errors';

export type { RunProgress, RunToFolderResult };

/** Images for an image input: a file or folder, for the node named, or for the graph's only image input. */
export interface ImageSource {
  readonly node?: string;
  readonly path: string;
}

export interface RunToFolderJob {
  /** A project, preset or preset bundle file. */
  readonly file: string;
  readonly output: string;
  readonly images?: readonly ImageSource[];
  /** How the images are given, for messages (the command line's --input). */
  readonly imagesFlag?: string;
  readonly backend?: string;
  readonly seed?: number;
  readonly batchSize?: number;
  /** How many items to make when the graph has no image input. */
  readonly count?: number;
  readonly masks?: boolean;
  readonly recursive?: boolean;
  readonly overwrite?: boolean;
  readonly signal?: AbortSignal;
}

/** Which image input each source feeds, by node id; a RunError when one names no image input or the graph has several and it names none. */
export function assignImages(graph: Graph, images: readonly ImageSource[], flag = '--input'): Record<string, string> {
  const imageNodes = graph.nodes.filter((n) => n.kind === 'image-input');
  const out: Record<string, string> = {};
  for (const s of images) {
    const target = s.node !== undefined ? imageNodes.find((n) => n.id === s.node) : imageNodes.length === 1 ? imageNodes[0] : undefined;
    if (!target)
      throw new RunError(
        s.node !== undefined
          ? `${flag}: the graph has no image input '${s.node}'`
          : `${flag}: the graph has ${imageNodes.length} image inputs; say which with ${flag} NODE=PATH (${imageNodes.map((n) => n.id).join(', ')})`,
      );
    out[target.id] = resolve(s.path);
  }
  return out;
}

/** Runs a document and writes its outputs into a folder. Throws RunError or DocumentError when it cannot start. */
export async function runDocumentToFolder(job: RunToFolderJob, events: { onProgress?: (p: RunProgress) => void } = {}): Promise<RunToFolderResult> {
  const doc = await requireDocument(job.file);
  try {
    const graph = expandPresetNodes(doc.graph).graph;
    const images = assignImages(graph, job.images ?? [], job.imagesFlag);
    const engine = await chooseInferenceEngine(job.backend);
    return await runToFolder(graph, {
      output: job.output,
      overwrite: job.overwrite,
      baseDir: doc.baseDir,
      engine,
      images,
      seed: job.seed ?? 0,
      batchSize: job.batchSize ?? 8,
      count: job.count,
      masks: job.masks,
      recursive: job.recursive,
      signal: job.signal,
      onProgress: events.onProgress,
    });
  } finally {
    await doc.cleanup();
  }
}

/** The result in lines: each file skipped or not written, then one summary line. */
export function describeRunResult(r: RunToFolderResult): string[] {
  return [
    ...r.skipped.map((s) => `skipped ${s.file}: ${s.reason}`),
    ...r.problems.map((p) => `not written ${p.path}: ${p.reason}`),
    ...(r.stoppedBy ? [`stopped: ${r.stoppedBy}`] : []),
    `${r.processed} item(s) in ${r.seconds.toFixed(1)} s with ${r.engine}; outputs in ${r.output}`,
  ];
}

/** 0 all written; 2 some files were skipped or not written, or a full or read-only disk stopped the run. */
export const runExitCode = (r: RunToFolderResult): number => (r.skipped.length || r.problems.length || r.stoppedBy ? 2 : 0);
