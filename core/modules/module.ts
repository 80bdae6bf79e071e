// What every ModularGAN module shares: parameters resolved against the node catalogue (the
// single source of each module's knobs), a declared list of named weights, deterministic
// initialisation from a seed, and lifetime management of its tf.Variables.

import * as tf from '@tensorflow/tfjs-core';
import { type ModuleKind, type NodeKindDef, type ResolvedParams, nodeKind } from '../graph/catalogue';
import { paramProblem, withDefaults } from '../graph/params';
import type { WeightLookup } from './layers';
import { hashSeed, normalValues } from './random';

/** A tensor shape, NHWC for maps (tfjs's layout), [N, length] for vectors. */
export type Shape = readonly number[];

/** One weight a module owns: its full name ("T.res0.conv1.weight"), shape and initialiser. */
export interface VariableSpec {
  readonly name: string;
  readonly shape: readonly number[];
  /** 'normal' draws N(0, 2/fanIn) (He), right for ReLU-family nets; norms start at 1 and 0. */
  readonly init: 'normal' | 'ones' | 'zeros';
  readonly fanIn?: number;
}

/** A conv filter [k, k, in, out]. */
export const convSpec = (name: string, k: number, cin: number, cout: number): VariableSpec => ({
  name: `${name}.weight`,
  shape: [k, k, cin, cout],
  init: 'normal',
  fanIn: k * k * cin,
});

/** A transposed conv filter, in tfjs's [k, k, out, in] layout. */
export const convTransposeSpec = (name: string, k: number, cin: number, cout: number): VariableSpec => ({
  name: `${name}.weight`,
  shape: [k, k, cout, cin],
  init: 'normal',
  fanIn: k * k * cin,
});

/** Instance norm's affine parameters. */
export const normSpecs = (name: string, c: number): VariableSpec[] => [
  { name: `${name}.gamma`, shape: [c], init: 'ones' },
  { name: `${name}.beta`, shape: [c], init: 'zeros' },
];

export const resBlockSpecs = (name: string, c: number): VariableSpec[] => [
  convSpec(`${name}.conv0`, 3, c, c),
  ...normSpecs(`${name}.norm0`, c),
  convSpec(`${name}.conv1`, 3, c, c),
  ...normSpecs(`${name}.norm1`, c),
];

/** The weights of `n` residual blocks named `${prefix}0`, `${prefix}1`, … (E, T and R stack them alike). */
export const resBlockStackSpecs = (prefix: string, n: number, c: number): VariableSpec[] =>
  Array.from({ length: n }, (_, i) => resBlockSpecs(`${prefix}${i}`, c)).flat();

/** Defaults filled in and every value checked against the catalogue; throws with the reasons. */
export function resolveModuleParams(kind: string, params: Readonly<Record<string, unknown>>): { def: NodeKindDef; params: ResolvedParams } {
  const def = nodeKind(kind);
  if (!def?.module) throw new Error(`'${kind}' is not a module node kind`);
  const p = withDefaults(def.params, params);
  const problems = Object.entries(def.params).flatMap(([k, spec]) => {
    const problem = paramProblem(spec, p[k]);
    return problem ? [`parameter '${spec.title}' ${problem}`] : [];
  });
  if (!problems.length && def.check) problems.push(...def.check(p));
  if (problems.length) throw new Error(`${def.title}: ${problems.join('; ')}`);
  return { def, params: p };
}

/** The initial value of one weight, a function of (seed, name) only. */
export function initialValue(spec: VariableSpec, seed: number): Float32Array {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.init === 'ones') return new Float32Array(size).fill(1);
  if (spec.init === 'zeros') return new Float32Array(size);
  return normalValues(hashSeed(seed, spec.name), size, Math.sqrt(2 / (spec.fanIn ?? 1)));
}

export const formatShape = (s: Shape): string => s.join('x');

export abstract class ModuleBase {
  abstract readonly kind: ModuleKind;
  readonly nodeKind: string;
  /** "Transformer", for messages. */
  readonly title: string;
  readonly params: ResolvedParams;
  readonly seed: number;
  /** Every weight in declaration order, keyed by full name; save, load and freeze by name. */
  readonly variables: Readonly<Record<string, tf.Variable>>;
  readonly specs: readonly VariableSpec[];
  private disposed = false;

  protected constructor(
    kind: string,
    params: Readonly<Record<string, unknown>>,
    seed: number,
    specs: (p: ResolvedParams) => VariableSpec[],
  ) {
    const resolved = resolveModuleParams(kind, params);
    this.nodeKind = kind;
    this.title = resolved.def.title;
    this.params = resolved.params;
    this.seed = seed;
    this.specs = specs(resolved.params);
    const vars: Record<string, tf.Variable> = {};
    // No tf name: tfjs names must be unique engine-wide, and two modules share ours. The tidy
    // frees the initial tensor; the variable keeps its own reference to the data.
    for (const s of this.specs)
      vars[s.name] = tf.tidy(() => tf.variable(tf.tensor(initialValue(s, seed), [...s.shape], 'float32'), true));
    this.variables = vars;
  }

  /** The knobs that decide the weights' shapes, in words: "base channels 64, 6 residual blocks". */
  abstract describe(): string;

  protected readonly get: WeightLookup = (name) => {
    if (this.disposed) throw new Error(`${this.title}: used after dispose()`);
    const v = this.variables[name];
    if (!v) throw new Error(`${this.title}: no weight named '${name}'`);
    return v;
  };

  protected int(key: string): number {
    return this.params[key] as number;
  }

  /** Freezes (false) or unfreezes (true) the weights whose names pass `filter` (default: all). */
  setTrainable(trainable: boolean, filter: (name: string) => boolean = () => true): void {
    for (const [name, v] of Object.entries(this.variables)) if (filter(name)) v.trainable = trainable;
  }

  /** Frees the weights. The module must not be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of Object.values(this.variables)) v.dispose();
  }

  /**
   * Throws a message naming the module and port when an input has the wrong shape. `expected`
   * holds a number where the size is fixed and a label ("N", "H") where any size goes.
   */
  protected expectShape(port: string, got: Shape | undefined, expected: readonly (number | string)[], why: string): void {
    const ok =
      got !== undefined && got.length === expected.length && expected.every((e, i) => typeof e === 'string' || e === got[i]);
    if (ok) return;
    const want = expected.map(String).join('x');
    throw new Error(`${this.title}: input '${port}' has shape ${got ? formatShape(got) : 'none'} but needs ${want} (${why})`);
  }
}
