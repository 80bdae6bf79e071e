// The palette: every node kind of the catalogue, grouped and searchable, then the preset
// library. Drag one onto the canvas, or double-click (or press Enter on) it to add it in the
// middle of the view.

import { useReactFlow } from '@xyflow/react';
import { type ReactNode, useState } from 'react';
import { CATALOGUE, type NodeKindDef } from '../../core/graph';
import type { StudioController } from '../app/controller';
import { NODE_INIT_MIME, PALETTE_MIME } from '../canvas/GraphCanvas';
import type { NodeInit } from '../state/graph-edits';
import { useStore } from '../state/use-editor';
import { PresetList } from './PresetList';

const CATEGORY_TITLES: Record<string, string> = { module: 'Modules', input: 'Inputs', output: 'Outputs', training: 'Training' };
const ORDER = ['module', 'input', 'output', 'training'];

export const matches = (d: NodeKindDef, q: string): boolean => {
  const s = q.trim().toLowerCase();
  return !s || [d.title, d.kind, d.help, d.module ?? ''].some((x) => x.toLowerCase().includes(s));
};

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
  const add = () => store.addNode(kind, viewCenter(), init);
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
  const viewCenter = useViewCenter();
  const [query, setQuery] = useState('');
  const shown = CATALOGUE.filter((d) => (!kinds || kinds.includes(d.kind)) && matches(d, query));
  return (
    <aside className="palette" aria-label="Node palette">
      <input className="palette-search" type="search" placeholder="Search nodes…" value={query} onChange={(e) => setQuery(e.target.value)} aria-label="Search nodes" />
      {ORDER.map((cat) => {
        const defs = shown.filter((d) => d.category === cat);
        if (!defs.length) return null;
        return (
          <section key={cat}>
            <h3>{CATEGORY_TITLES[cat]}</h3>
            {defs.map((d) => (
              <PaletteItem key={d.kind} kind={d.kind} title={d.title} help={d.help} category={d.category} testId={`palette-${d.kind}`} {...(d.module ? { badge: d.module } : {})} />
            ))}
          </section>
        );
      })}
      {!shown.length && <p className="muted">No node matches “{query}”.</p>}
      {children}
      {controller && <PresetList controller={controller} query={query} viewCenter={viewCenter} />}
    </aside>
  );
}
