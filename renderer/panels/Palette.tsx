// The palette: every node kind of the catalogue, grouped and searchable, then the preset
// library. Drag one onto the canvas, or double-click (or press Enter on) it to add it in the
// middle of the view (beside what is there already). The search ranks by name; Enter in it
// adds the top hit.

import { useReactFlow } from '@xyflow/react';
import { type ReactNode, useState } from 'react';
import { CATALOGUE, type NodeKindDef } from '../../core/graph';
import type { StudioController } from '../app/controller';
import { NODE_INIT_MIME, PALETTE_MIME } from '../canvas/GraphCanvas';
import type { NodeInit } from '../state/graph-edits';
import { useEditor, useStore } from '../state/use-editor';
import { PresetList, searchPresets } from './PresetList';
import { searchByName } from './search';

const CATEGORY_TITLES: Record<string, string> = { module: 'Modules', input: 'Inputs', output: 'Outputs', training: 'Training' };
const ORDER = ['module', 'input', 'output', 'training'];

/** The kinds that match `q`, best first: by name, else (when no name matches) by help text. */
export const searchKinds = (defs: readonly NodeKindDef[], q: string): NodeKindDef[] =>
  searchByName(defs, q, (d) => ({ title: d.title, kind: d.kind, about: [d.help, d.module ?? ''] }));
export const matches = (d: NodeKindDef, q: string): boolean => searchKinds([d], q).length > 0;

/** Where a double-clicked entry lands: the middle of the canvas on screen. */
export function useViewCenter(): () => { x: number; y: number } {
  const { screenToFlowPosition } = useReactFlow();
  return () => {
    const canvas = document.querySelector('.canvas')?.getBoundingClientRect();
    return canvas ? screenToFlowPosition({ x: canvas.left + canvas.width / 2, y: canvas.top + canvas.height / 2 }) : { x: 0, y: 0 };
  };
}

/** One entry: drag it onto the canvas, or double-click it (or press Enter) to add it in view. */
export function PaletteItem({ kind, title, help, badge, category, testId, init }: { kind: string; title: string; help: string; badge?: string; category: string; testId: string; init?: NodeInit }) {
  const store = useStore();
  const viewCenter = useViewCenter();
  const add = () => store.addNodeNear(kind, viewCenter(), init);
  return (
    <div
      className={`palette-item cat-${category}`}
      draggable
      tabIndex={0}
      title={help}
      data-testid={testId}
      onDragStart={(e) => {
        e.dataTransfer.setData(PALETTE_MIME, kind);
        if (init) e.dataTransfer.setData(NODE_INIT_MIME, JSON.stringify(init));
        e.dataTransfer.effectAllowed = 'copy';
      }}
      onDoubleClick={add}
      onKeyDown={(e) => e.key === 'Enter' && add()}
    >
      <strong>{title}</strong>
      {badge && <span className="badge">{badge}</span>}
    </div>
  );
}

/**
 * The catalogue's kinds (only `kinds` when given, as the training view offers what its graph
 * can hold), then `children`, then the preset library when there is a controller for it.
 */
export function Palette({ controller, kinds, children }: { controller?: StudioController; kinds?: readonly string[]; children?: ReactNode }) {
  const store = useStore();
  const viewCenter = useViewCenter();
  const presets = useEditor((s) => s.presets);
  const [query, setQuery] = useState('');
  const shown = searchKinds(
    CATALOGUE.filter((d) => !kinds || kinds.includes(d.kind)),
    query,
  );
  const item = (d: NodeKindDef) => <PaletteItem key={d.kind} kind={d.kind} title={d.title} help={d.help} category={d.category} testId={`palette-${d.kind}`} {...(d.module ? { badge: d.module } : {})} />;
  /** Enter in the search box: the top hit (a kind, else a preset) goes into the view. */
  const addTop = () => {
    const top = shown[0];
    const preset = !top && controller ? searchPresets(presets, query)[0] : undefined;
    if (top) store.addNodeNear(top.kind, viewCenter());
    else if (preset) store.addPresetNear(preset.preset, viewCenter());
  };
  return (
    <aside className="palette" aria-label="Node palette">
      <input
        className="palette-search"
        type="search"
        placeholder="Search nodes… (Enter adds the first)"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && query.trim()) {
            e.preventDefault();
            addTop();
          } else if (e.key === 'Escape') setQuery('');
        }}
        aria-label="Search nodes"
      />
      {query.trim() ? (
        shown.length > 0 && (
          <section data-testid="palette-hits">
            <h3>Best matches first</h3>
            {shown.map(item)}
          </section>
        )
      ) : (
        ORDER.map((cat) => {
          const defs = shown.filter((d) => d.category === cat);
          if (!defs.length) return null;
          return (
            <section key={cat}>
              <h3>{CATEGORY_TITLES[cat]}</h3>
              {defs.map(item)}
            </section>
          );
        })
      )}
      {!shown.length && <p className="muted">No node matches “{query}”.</p>}
      {children}
      {controller && <PresetList controller={controller} query={query} viewCenter={viewCenter} />}
    </aside>
  );
}
