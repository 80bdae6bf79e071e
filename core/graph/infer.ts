import { type NodeKindDef } from './catalogue';
import { Unifier } from './dims';
import { paramProblem } from './params';
import { type PortType, describeType, dimsOf, mapDims } from './ports';

export type InferResult =
  | { ok: true; outputs: Record<string, PortType> }
  | { ok: false; errors: string[] };

/**
 * A node kind's output shapes for given parameters and input shapes — pure, no graph needed.
 * The module code computes its output shapes independently; tests hold the two together.
 */
export function inferShapes(
  def: NodeKindDef,
  params: Readonly<Record<string, unknown>>,
  inputShapes: Readonly<Record<string, PortType>>,
): InferResult {
  const errors: string[] = [];
  const p: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(def.params)) {
    const v = params[k] ?? spec.default;
    const problem = paramProblem(spec, v);
    if (problem) errors.push(`parameter '${spec.title}' ${problem}`);
    p[k] = v;
  }
  if (!errors.length && def.check) errors.push(...def.check(p));
  if (errors.length) return { ok: false, errors };
  const sig = def.signature(p);
  const u = new Unifier();
  for (const port of def.inputs) {
    const given = inputShapes[port.name];
    const expected = sig.inputs[port.name]!;
    if (!given) {
      if (!port.optional) errors.push(`input '${port.title}' is missing`);
      continue;
    }
    const ok =
      given.kind === expected.kind &&
      dimsOf(expected).every(([, d], i) => u.unify(d, dimsOf(given)[i]![1]).ok);
    if (!ok) errors.push(`input '${port.title}' expects ${describeType(expected)}, got ${describeType(given)}`);
  }
  if (errors.length) return { ok: false, errors };
  const outputs = Object.fromEntries(
    Object.entries(sig.outputs).map(([k, t]) => [k, mapDims(t, (d) => u.resolve(d))]),
  );
  return { ok: true, outputs };
}
