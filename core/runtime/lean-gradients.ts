// tf.variableGrads with the memory of a backward pass that frees as it goes. tfjs keeps every
// tensor a gradient function saved, and every intermediate gradient, until the whole backward
// pass ends; the peak is then all saved activations plus all their gradients. Here each tape
// node's saved tensors and its outputs' gradients are freed as soon as that node's backward
// has run (nothing later reads them), and the saved tensors of nodes off the path from the
// variables to the loss before the backward starts. The arithmetic is tfjs's own gradient
// functions in tfjs's order, so values are the same to the bit.
//
// This reads tfjs-core's engine internals (the tape, its nodes' saved tensors), pinned by the
// version in package.json; where they are not as expected, or when called inside another
// gradient computation (whose tape the outer one still needs), or with the fast paths off
// (core/modules/fusion.ts), it is tf.variableGrads.

import * as tf from '@tensorflow/tfjs-core';
import { fusedPathEnabled } from '../modules/fusion';

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
}

function internals(): EngineInternals | undefined {
  const e = tf.engine() as unknown as Partial<EngineInternals>;
  const ok = typeof e.startTape === 'function' && typeof e.endTape === 'function' && typeof e.tidy === 'function' && typeof e.state?.gradientDepth === 'number';
  return ok ? (e as EngineInternals) : undefined;
}

/**
 * The nodes on a path from `xs` to `y`, in tape order, each with only the inputs that depend
 * on `xs` (gradients are computed for those alone).
 */
export function nodesBetween(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const reachable = new Set<number>();
  for (const node of tape) {
    if (!Object.values(node.inputs).some((t) => fromX.has(t.id))) continue;
    reachable.add(node.id);
    for (const o of node.outputs) fromX.add(o.id);
  }
  const toY = new Set([y.id]);
  const useful = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (!node.outputs.some((o) => toY.has(o.id))) continue;
    useful.add(node.id);
    for (const t of Object.values(node.inputs)) toY.add(t.id);
  }
  const out: TapeNode[] = [];
  for (const node of tape) {
    if (!reachable.has(node.id) || !useful.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(node.inputs)) if (fromX.has(t.id)) inputs[name] = t;
    out.push({ ...node, inputs });
  }
  return out;
}

/**
 * Frees what a node saved for its gradient, except tensors in `keep` (a gradient function may
 * return one as an input's gradient), and empties its list: the array is shared with the
 * engine's own tape node, so later passes over the tape see nothing left to free.
 */
function disposeSaved(node: TapeNode, keep?: ReadonlySet<tf.Tensor>): void {
  const saved = node.saved;
  if (!saved) return;
  for (const t of saved) if (!keep?.has(t)) t.dispose();
  saved.length = 0;
}

/** Backpropagates from y through `nodes`, freeing each node's saved tensors and output gradients once used. */
function backprop(engine: EngineInternals, nodes: readonly TapeNode[], y: tf.Tensor, xs: readonly tf.Tensor[]): Map<number, tf.Tensor> {
  const wanted = new Set(xs.map((x) => x.id));
  const grads = new Map<number, tf.Tensor>([[y.id, tf.onesLike(y)]]);
  // How many entries of `grads` hold each tensor object: a gradient function may hand its dy
  // on as an input's gradient, and then it must outlive the node.
  const holders = new Map<tf.Tensor, number>([[grads.get(y.id)!, 1]]);
  const hold = (t: tf.Tensor, d: number) => {
    const n = (holders.get(t) ?? 0) + d;
    if (n > 0) holders.set(t, n);
    else holders.delete(t);
    return n;
  };
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    if (!node.gradient) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const dys = node.outputs.map((o) => grads.get(o.id) ?? null);
    const names = Object.keys(node.inputs);
    // One scope per node: what its gradient function makes besides the input gradients (zeros
    // for outputs off the path, a shared intermediate) goes when the node is done.
    const dxs = engine.tidy(`${node.kernelName} gradient`, () => {
      const inputGrads = node.gradient!(dys);
      return names.map((name) => {
        const f = inputGrads[name];
        if (!f) throw new Error(`Cannot backprop through input ${name} of ${node.kernelName}. Available gradients: ${Object.keys(inputGrads).join(', ')}.`);
        return f();
      });
    });
    const made = new Set<tf.Tensor>();
    names.forEach((name, j) => {
      const x = node.inputs[name]!;
      const dx = dxs[j]!;
      if (dx.dtype !== 'float32') throw new Error(`The gradient of input '${name}' of ${node.kernelName} must be float32, not ${dx.dtype}`);
      if (!tf.util.arraysEqual(dx.shape, x.shape)) throw new Error(`The gradient of input '${name}' of ${node.kernelName} has shape ${dx.shape}, its input ${x.shape}`);
      made.add(dx);
      const current = grads.get(x.id);
      if (current === undefined) {
        grads.set(x.id, dx);
        hold(dx, 1);
      } else {
        const sum = tf.add(current, dx);
        grads.set(x.id, sum);
        hold(sum, 1);
        if (hold(current, -1) === 0) current.dispose();
        if (!holders.has(dx)) dx.dispose();
      }
    });
    // Nothing before this node reads its outputs' gradients or its saved tensors.
    for (const o of node.outputs) {
      const g = grads.get(o.id);
      if (!g || wanted.has(o.id)) continue;
      grads.delete(o.id);
      if (hold(g, -1) === 0) g.dispose();
    }
    disposeSaved(node, made);
  }
  return grads;
}

/**
 * tf.variableGrads(f, varList): the value of f and its gradient for each trainable variable
 * (by variable name), computed with the backward pass freeing memory as it goes.
 */
export function leanVariableGrads(f: () => tf.Scalar, varList: readonly tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const engine = internals();
  if (!engine || engine.state.gradientDepth !== 0 || !fusedPathEnabled('leanGradients')) return tf.variableGrads(f, [...varList]);
  const xs = varList.filter((v) => v.trainable);
  if (xs.length === 0) throw new Error(`variableGrads: none of the ${varList.length} variables is trainable`);
  engine.startTape();
  try {
    let y: tf.Scalar;
    try {
      y = engine.tidy('forward', f);
    } finally {
      engine.endTape();
    }
    if (!(y instanceof tf.Tensor) || y.rank !== 0) {
      const rank = y instanceof tf.Tensor ? y.rank : typeof y;
      tf.dispose(y);
      throw new Error(`variableGrads: f must return a scalar tensor, not a rank-${rank} one`);
    }
    const tape = engine.state.activeTape ?? [];
    const nodes = nodesBetween(tape, xs, y);
    const onPath = new Set(nodes.map((n) => n.id));
    // Saved for gradients nobody will ask for: the nodes off the path from xs to y.
    for (const node of tape) if (!onPath.has(node.id)) disposeSaved(node);
    return engine.tidy('backward', () => {
      const grads = backprop(engine, nodes, y, xs);
      const named: tf.NamedTensorMap = {};
      for (const x of xs) {
        const g = grads.get(x.id);
        if (g) named[x.name] = g;
      }
      if (Object.keys(named).length === 0) throw new Error('variableGrads: no variable is connected to the result of f');
      return { value: y, grads: named };
    });
  } finally {
    for (const node of engine.state.activeTape ?? []) disposeSaved(node);
    engine.state.activeTape = null;
  }
}
