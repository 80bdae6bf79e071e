// Opens whatever a command was given — a project, a preset, or a preset bundle — as a graph
// to run, with the folder its relative paths (weights, images) resolve against.

import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { readAnyDocument } from '../core/files/documents';
import { importPresetBundle } from '../core/files/preset-bundle';
import type { Parsed } from '../core/graph/format/json';
import type { Graph } from '../core/graph/graph';
import { presetAsGraph } from '../core/graph/presets';
import { isBackendPreference } from '../core/runtime/backend-report';
import { initBackend } from '../core/runtime/backends';
import { type EngineChoice, RunError } from '../core/runtime/executor';
import { writeErrorReason } from '../core/runtime/output-writer';

export interface Runnable {
  readonly kind: 'project' | 'preset';
  readonly graph: Graph;
  readonly baseDir: string;
  /** The format version the file had when it was upgraded on load. */
  readonly migratedFrom?: number;
  /** A preset's open ports: inputs meant to be fed and outputs meant to be used from outside. */
  readonly exposed?: { readonly inputs: readonly { node: string; port: string }[]; readonly outputs: readonly { node: string; port: string }[] };
  readonly cleanup: () => Promise<void>;
}

async function isZip(path: string): Promise<boolean> {
  try {
    const fh = await open(path, 'r');
    const head = Buffer.alloc(2);
    await fh.read(head, 0, 2, 0);
    await fh.close();
    return head.toString('latin1') === 'PK';
  } catch {
    return false;
  }
}

export async function openRunnable(file: string): Promise<Parsed<Runnable>> {
  if (await isZip(file)) {
    // A bundle is unpacked (checked, inside a fresh folder) so its weights files can be read.
    const dir = await mkdtemp(join(tmpdir(), 'modulargan-preset-'));
    const r = await importPresetBundle(new Uint8Array(await readFile(file)), dir);
    if (!r.ok) {
      await rm(dir, { recursive: true, force: true });
      return r;
    }
    const preset = r.value.preset;
    return { ok: true, value: { kind: 'preset', graph: presetAsGraph(preset), exposed: preset.exposed, baseDir: r.value.dir, cleanup: () => rm(dir, { recursive: true, force: true }) } };
  }
  const doc = await readAnyDocument(file);
  if (!doc.ok) return doc;
  const base = dirname(resolve(file));
  const graph = doc.value.kind === 'preset' ? presetAsGraph(doc.value.loaded.value) : doc.value.loaded.value.graph;
  const exposed = doc.value.kind === 'preset' ? doc.value.loaded.value.exposed : undefined;
  return { ok: true, value: { kind: doc.value.kind, graph, exposed, baseDir: base, migratedFrom: doc.value.loaded.migratedFrom, cleanup: async () => undefined } };
}

/** A whole-number option, e.g. --batch 8. */
export function wholeNumber(v: string | undefined, name: string, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new RunError(`--${name} must be a whole number, got '${v}'`);
  return n;
}

/**
 * --backend for inference commands: onnxruntime (tfjs only holds the weights), a tfjs backend
 * (which then runs the graph), or auto (the executor picks: onnxruntime on CPUs).
 */
export async function chooseEngine(backend = 'auto'): Promise<EngineChoice> {
  if (backend === 'onnxruntime') {
    await initBackend('cpu', { probeAll: false, gradients: false });
    return 'onnxruntime';
  }
  if (!isBackendPreference(backend))
    throw new RunError(`--backend must be auto, onnxruntime, tfjs-node-gpu, native, webgpu, wasm or cpu, got '${backend}'`);
  await initBackend(backend, { gradients: false });
  return backend === 'auto' ? 'auto' : 'tfjs';
}

/**
 * The one-line message for an error a run or batch ends with: a RunError's, or a file-system
 * error's (a disk that filled up while the report was written, say) with the path and reason.
 * Undefined for anything else, which is a bug and keeps its stack trace.
 */
export function cliErrorMessage(e: unknown): string | undefined {
  if (e instanceof RunError) return e.message;
  const err = e as NodeJS.ErrnoException;
  if (e instanceof Error && typeof err.code === 'string' && typeof err.syscall === 'string') return `${err.path ? `${err.path}: ` : ''}${writeErrorReason(e)}`;
  return undefined;
}
