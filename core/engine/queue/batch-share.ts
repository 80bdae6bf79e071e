// A worker's side of a distributed batch: runs one queued share of a planned batch with the
// engine's batch runner, on this machine's paths (--map), and returns that share's part of
// the report in the submitter's paths. A share that runs twice (its worker was killed, or
// Redis forgot it) writes each output once: an output whose file is not the one that was
// there when the batch was planned was written by an earlier attempt, and is counted, not
// written again.

import { lstat, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { importPresetBundle, MAX_ENTRY_BYTES } from '../../files/preset-bundle';
import { nodeKind } from '../../graph/catalogue';
import type { Graph } from '../../graph/graph';
import type { EngineChoice } from '../../runtime/executor';
import { runBatchJob } from '../batch';
import { RunError } from '../errors';
import { type BatchJobData, type BatchJobResult, type ShareProgress, fileIdentity } from './batch-job';
import type { PathMap } from './path-map';

/** The share cannot run on this machine (its folders are not there): another worker may, so it is retried. */
export class ShareUnreachableError extends Error {}

/** Preset bundles unpacked by this worker, kept for the run's other shares. */
export interface BundleCache {
  folder(bundle: string): Promise<string>;
  dispose(): Promise<void>;
}

export function createBundleCache(): BundleCache {
  const unpacked = new Map<string, Promise<string>>();
  const unpack = async (bundle: string) => {
    const st = await stat(bundle).catch(() => null);
    if (!st?.isFile()) throw new ShareUnreachableError(`the preset bundle ${bundle} cannot be read on this worker`);
    if (st.size > MAX_ENTRY_BYTES) throw new RunError(`the preset bundle ${bundle} is too large (${Math.round(st.size / 2 ** 20)} MiB)`);
    const dir = await mkdtemp(join(tmpdir(), 'modulargan-worker-preset-'));
    const r = await importPresetBundle(new Uint8Array(await readFile(bundle)), dir);
    if (!r.ok) {
      await rm(dir, { recursive: true, force: true });
      throw new RunError(`the preset bundle ${bundle}: ${r.errors.map((e) => e.message).join('; ')}`);
    }
    return r.value.dir;
  };
  return {
    folder(bundle) {
      let p = unpacked.get(bundle);
      if (!p) {
        p = unpack(bundle);
        unpacked.set(bundle, p);
        p.catch(() => unpacked.delete(bundle));
      }
      return p;
    },
    async dispose() {
      const dirs = await Promise.all([...unpacked.values()].map((p) => p.catch(() => undefined)));
      unpacked.clear();
      // Each bundle unpacks into a folder of its own inside the fresh temporary folder.
      await Promise.all(dirs.filter((d): d is string => !!d).map((d) => rm(join(d, '..'), { recursive: true, force: true })));
    },
  };
}

/** The graph with every absolute file or folder parameter (weights, image paths) on this machine's paths. */
export function graphOnThisMachine(graph: Graph, map: PathMap): Graph {
  if (!map.pairs.length) return graph;
  return {
    ...graph,
    nodes: graph.nodes.map((n) => {
      const def = nodeKind(n.kind);
      if (!def) return n;
      const params = { ...n.params };
      for (const [name, spec] of Object.entries(def.params)) {
        const v = params[name];
        if (spec.type === 'path' && typeof v === 'string' && v.startsWith('/')) params[name] = map.toLocal(v);
      }
      return { ...n, params };
    }),
  };
}

export interface ShareContext {
  readonly map: PathMap;
  readonly engine: EngineChoice;
  /** This worker's name, for the result and progress. */
  readonly worker: string;
  readonly bundles: BundleCache;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: ShareProgress) => void;
}

/** Runs one share; per-file problems are in the result, a share that cannot run here throws. */
export async function runShare(job: BatchJobData, ctx: ShareContext): Promise<BatchJobResult> {
  const t0 = performance.now();
  const { map } = ctx;
  const input = map.toLocal(job.input);
  const output = map.toLocal(job.output);
  const inputStat = await stat(input).catch(() => null);
  if (!inputStat?.isDirectory())
    throw new ShareUnreachableError(`the input folder ${input}${input === job.input ? '' : ` (${job.input} on the submitting machine)`} is not a folder this worker can read; mount the shared storage or give --map REMOTE=LOCAL`);
  const baseDir = job.bundle ? await ctx.bundles.folder(map.toLocal(job.bundle)) : map.toLocal(job.baseDir);

  const writtenBefore = async (path: string): Promise<boolean> => {
    const st = await lstat(path).catch(() => null);
    if (!st?.isFile()) return false;
    return job.before[relative(output, path)] !== fileIdentity(st);
  };
  const report = await runBatchJob(
    {
      graph: graphOnThisMachine(job.graph as Graph, map),
      baseDir,
      input,
      output,
      masks: job.masks,
      seed: job.seed,
      batchSize: job.batchSize,
      skipExisting: job.existing === 'keep',
      overwrite: job.existing === 'replace',
      stopOnError: job.stopOnError,
      signal: ctx.signal,
      share: { files: job.files, writtenBefore },
    },
    {
      startEngine: async () => ctx.engine,
      onProgress: (p) => ctx.onProgress?.({ worker: ctx.worker, done: p.done, total: p.total, imagesPerSecond: Math.max(0, p.imagesPerSecond) }),
    },
  );
  const back = (s: string) => map.textToRemote(s);
  return {
    kind: 'batch',
    worker: ctx.worker,
    engine: report.engine,
    processed: report.processed,
    written: report.written,
    skipped: report.skipped.map((s) => ({ file: s.file, reason: back(s.reason) })),
    failed: report.failed.map((f) => ({ path: map.toRemote(f.path), reason: back(f.reason) })),
    ...(report.stoppedBy ? { stoppedBy: back(report.stoppedBy) } : {}),
    cancelled: report.cancelled,
    seconds: Math.round((performance.now() - t0) / 10) / 100,
  };
}
