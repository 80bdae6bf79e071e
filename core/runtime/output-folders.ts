// Image outputs with a Folder: a run in the studio writes their images there as PNG files
// (with provenance), as the node's help promises and `modulargan run --output` does, behind
// the same guards: no output lands on an input, the output folder is never read as input,
// two inputs never share an output file. A later run replaces what an earlier one wrote.

import { isAbsolute, resolve } from 'node:path';
import type { Graph } from '../graph/graph';
import { nodeName } from '../graph/graph';
import type { Batch, OutputInfo, RunContext, RunItem, InputListing, Screened } from './executor';
import { RunError, plannedOutputs } from './executor';
import { createOutputGuard } from './output-guard';
import { type WriteProblem, createOutputWriter } from './output-writer';

export interface OutputFolders {
  /** The folders, by image output node. */
  readonly folders: ReadonlyMap<string, string>;
  /** RunOptions.exclude and .screen for all of them. */
  readonly exclude: readonly string[];
  screen(items: readonly RunItem[], listings: readonly InputListing[]): Promise<Screened>;
  /** Writes one batch; the problems (a file not written, and why) by node. */
  write(batch: Batch, ctx: RunContext): Promise<{ node: string; problems: WriteProblem[]; written: number }[]>;
}

/** Null when no image output of `graph` has a folder. Throws (RunError) when a folder cannot take files. */
export async function outputFolders(graph: Graph, baseDir: string): Promise<OutputFolders | null> {
  const planned = new Map(plannedOutputs(graph).map((o) => [o.key, o]));
  const outs: { node: string; info: OutputInfo; dir: string }[] = [];
  for (const n of graph.nodes) {
    const folder = n.kind === 'image-output' && typeof n.params.folder === 'string' ? n.params.folder.trim() : '';
    const info = planned.get(n.id);
    if (folder && info) outs.push({ node: n.id, info, dir: isAbsolute(folder) ? folder : resolve(baseDir, folder) });
  }
  if (!outs.length) return null;
  const each = await Promise.all(
    outs.map(async (o) => {
      const guard = await createOutputGuard({ outDir: o.dir, outputs: [o.info] }).catch((e: Error) => {
        throw new RunError(`${nodeName(graph.nodes.find((n) => n.id === o.node)!)}: its folder: ${e.message}`, o.node);
      });
      return { ...o, guard, writer: createOutputWriter({ outDir: guard.outDir, graph, existing: 'replace', guard }) };
    }),
  );
  return {
    folders: new Map(each.map((o) => [o.node, o.guard.outDir])),
    exclude: each.flatMap((o) => o.guard.exclude),
    async screen(items, listings) {
      const verdicts = await Promise.all(each.map((o) => o.guard.screen(items, listings)));
      return { skip: verdicts.flatMap((v) => v.skip), drop: verdicts.flatMap((v) => v.drop) };
    },
    async write(batch, ctx) {
      const out = [];
      for (const o of each) {
        const r = await o.writer(batch, { ...ctx, outputs: [o.info] });
        out.push({ node: o.node, problems: [...r.problems, ...(r.fatal ? [{ path: o.guard.outDir, reason: r.fatal }] : [])], written: r.written.length });
      }
      return out;
    },
  };
}
