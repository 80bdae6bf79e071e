// Quick add: what a search box on the canvas offers, and adding the choice where it was
// asked for. Opened on empty canvas it offers every kind (and preset); opened by dropping a
// wire there, only kinds with a port of the wire's type on the other side, those that
// connect as they are (core/graph's canConnect on the graph with the node added) first.
// Pure, so it is unit-tested without a page.

import type { PresetEntry } from '../../core/api';
import {
  CATALOGUE,
  type NodeKindDef,
  type PortRef,
  type PortType,
  type Project,
  analyzeWithPresets,
  canConnectWithPresets as canConnect,
  nodeDefOf,
  presetNodeDef,
} from '../../core/graph';
import * as edits from './graph-edits';

/** The end of the wire the user dropped: a port of a node, and which side of it. */
export interface DraggedEnd {
  readonly node: string;
  readonly port: string;
  readonly side: 'input' | 'output';
}

export interface QuickAddChoice {
  readonly key: string;
  readonly title: string;
  readonly detail: string;
  readonly category: string;
  readonly kind: string;
  readonly preset?: PresetEntry;
  /** With a dragged wire: the new node's port it goes to. */
  readonly port?: string;
  /** With a dragged wire: it connects as it is (else its parameters must change first). */
  readonly fits: boolean;
  /** Parameters sized to the wire (base channels of a feature map, attributes of a condition). */
  readonly params?: Readonly<Record<string, unknown>>;
}

const CATEGORY_ORDER = ['module', 'input', 'output', 'training', 'preset'];

function addTo(p: Project, c: Pick<QuickAddChoice, 'kind' | 'preset' | 'params'>, at: edits.XY): { project: Project; id: string } {
  return c.preset ? edits.addPresetNode(p, c.preset.preset, at) : edits.addNode(p, c.kind, at, c.params ? { params: c.params } : {});
}

/**
 * Parameters that make a new node of `def` take the wire's value as it is, where one
 * parameter decides it: a feature map has 4 × base channels at a quarter of the image size,
 * a condition carries its attribute groups, noise its length, an image its size. What the
 * wire does not pin down stays at the kind's default.
 */
function sizedTo(def: NodeKindDef, t: PortType | undefined): Record<string, unknown> | undefined {
  const has = (k: string) => k in def.params;
  const out: Record<string, unknown> = {};
  if (t?.kind === 'feature') {
    if (typeof t.c === 'number' && t.c % 4 === 0 && has('baseChannels')) out.baseChannels = t.c / 4;
    if (typeof t.h === 'number' && t.h === t.w && has('imageSize')) out.imageSize = 4 * t.h;
  } else if (t?.kind === 'image') {
    if (typeof t.h === 'number' && t.h === t.w && has('imageSize')) out.imageSize = t.h;
  } else if (t?.kind === 'condition') {
    if (t.groups?.length && has('attributes')) out.attributes = t.groups.map((g) => structuredClone(g));
  } else if (t?.kind === 'noise') {
    if (typeof t.length === 'number' && has('noiseLength')) out.noiseLength = t.length;
  }
  return Object.keys(out).length ? out : undefined;
}

const ends = (from: DraggedEnd, id: string, port: string): [PortRef, PortRef] =>
  from.side === 'output' ? [{ node: from.node, port: from.port }, { node: id, port }] : [{ node: id, port }, { node: from.node, port: from.port }];

/**
 * The choices, in catalogue order (presets last). `kinds` limits the catalogue (the training
 * view's graph holds only some). With `from`, only kinds with a port of the dragged port's
 * type on the other side; `fits` says whether it would connect with default parameters.
 */
export function quickAddChoices(project: Project, presets: readonly PresetEntry[], from: DraggedEnd | null, kinds?: readonly string[]): QuickAddChoice[] {
  const defs: { def: NodeKindDef; preset?: PresetEntry }[] = [
    ...CATALOGUE.filter((d) => !kinds || kinds.includes(d.kind)).map((def) => ({ def })),
    ...(kinds ? [] : presets.map((preset) => ({ def: presetNodeDef(preset.preset), preset }))),
  ];
  let type: string | undefined;
  let shape: PortType | undefined;
  if (from) {
    const n = project.graph.nodes.find((x) => x.id === from.node);
    const def = n && nodeDefOf(n);
    type = (from.side === 'output' ? def?.outputs : def?.inputs)?.find((p) => p.name === from.port)?.kind;
    if (!type) return [];
    const shapes = analyzeWithPresets(project.graph).shapes.get(from.node);
    shape = from.side === 'output' ? shapes?.outputs[from.port] : shapes?.inputs[from.port];
  }
  const out: QuickAddChoice[] = [];
  for (const { def, preset } of defs) {
    const title = preset ? preset.preset.name : def.title;
    const base = { key: preset ? `preset:${preset.id}` : def.kind, title, detail: preset ? `preset, ${preset.preset.graph.nodes.length} nodes` : (def.module ?? def.category), category: preset ? 'preset' : def.category, kind: def.kind, ...(preset ? { preset } : {}) };
    if (!from) {
      out.push({ ...base, fits: true });
      continue;
    }
    const ports = (from.side === 'output' ? def.inputs : def.outputs).filter((p) => p.kind === type);
    if (!ports.length) continue;
    const params = preset ? undefined : sizedTo(def, shape);
    const sized = { ...base, ...(params ? { params } : {}) };
    // The port it would take as it is, else the first of the right type.
    const { project: trial, id } = addTo(project, sized, { x: 0, y: 0 });
    const fitting = ports.find((p) => canConnect(trial.graph, ...ends(from, id, p.name)).ok);
    out.push({ ...sized, port: (fitting ?? ports[0]!).name, fits: !!fitting });
  }
  return out.sort((a, b) => Number(b.fits) - Number(a.fits) || CATEGORY_ORDER.indexOf(a.category) - CATEGORY_ORDER.indexOf(b.category));
}

/**
 * How well a choice's name matches what was typed: 0 (name starts with it), 1 (a word of
 * the name does), 2 (the name or kind contains it), or -1 (no match). Help text is not
 * searched: "transf" should find the Transformer, not every kind whose help mentions one.
 */
export function matchRank(c: Pick<QuickAddChoice, 'title' | 'kind'>, query: string): number {
  const q = query.trim().toLowerCase();
  if (!q) return 0;
  const title = c.title.toLowerCase();
  if (title.startsWith(q)) return 0;
  if (title.split(/[\s:/()-]+/).some((w) => w.startsWith(q))) return 1;
  return title.includes(q) || c.kind.toLowerCase().includes(q) ? 2 : -1;
}

/** The choices that match, best first; ties keep their order (fitting ones first). */
export function rankChoices(choices: readonly QuickAddChoice[], query: string): QuickAddChoice[] {
  return choices
    .map((c, i) => ({ c, r: matchRank(c, query), i }))
    .filter((x) => x.r >= 0)
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.c);
}

/** Adds the choice at `at` and, for a dropped wire, connects it; one new project. */
export function addChoice(project: Project, choice: QuickAddChoice, at: edits.XY, from: DraggedEnd | null): { project: Project; id: string; refused: string | null } {
  const added = addTo(project, choice, at);
  if (!from || !choice.port) return { ...added, refused: null };
  const [a, b] = ends(from, added.id, choice.port);
  const r = edits.connect(added.project, a, b);
  return r.ok ? { project: r.project, id: added.id, refused: null } : { ...added, refused: r.reason };
}
