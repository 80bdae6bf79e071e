// The palette: every node kind of the catalogue, grouped and searchable, then the preset
// library. Drag one onto the canvas, or double-click (or press Enter on) it to add it in the
// middle of the view.

import { useReactFlow } from '@xyflow/react';
import { useState } from 'react';
import { CATALOGUE, type NodeKindDef } from '../../core/graph';
import type { StudioController } from '../app/controller';
import { PALETTE_MIME } from '../canvas/GraphCanvas';
import { useStore } from '../state/use-editor';
import { PresetList } from './PresetList';

const CATEGORY_TITLES: Record<string, string> = { module: 'Modules', input: 'Inputs', output: 'Outputs', training: 'Training' };
const ORDER = ['module', 'input', 'output', 'training'];

export const matches = (d: NodeKindDef, q: string): boolean => {
  const s = q.trim().toLowerCase();
  return !s || [d.title, d.kind, d.help, d.module ?? ''].some((x) => x.toLowerCase().includes(s));
};

export function Palette({ controller }: { controller: StudioController }) {
  const store = useStore();
  const { screenToFlowPosition } = useReactFlow();
  const [query, setQuery] = useState('');
  const shown = CATALOGUE.filter((d) => matches(d, query));
  const viewCenter = () => {
    const canvas = document.querySelector('.canvas')?.getBoundingClientRect();
    return canvas ? screenToFlowPosition({ x: canvas.left + canvas.width / 2, y: canvas.top + canvas.height / 2 }) : { x: 0, y: 0 };
  };
  const addInView = (kind: string) => store.addNode(kind, viewCenter());
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
              <div
                key={d.kind}
                className={`palette-item cat-${d.category}`}
                draggable
                tabIndex={0}
                title={d.help}
                data-testid={`palette-${d.kind}`}
                onDragStart={(e) => {
                  e.dataTransfer.setData(PALETTE_MIME, d.kind);
                  e.dataTransfer.effectAllowed = 'copy';
                }}
                onDoubleClick={() => addInView(d.kind)}
                onKeyDown={(e) => e.key === 'Enter' && addInView(d.kind)}
              >
                <strong>{d.title}</strong>
                {d.module && <span className="badge">{d.module}</span>}
              </div>
            ))}
          </section>
        );
      })}
      {!shown.length && <p className="muted">No node matches “{query}”.</p>}
      <PresetList controller={controller} query={query} viewCenter={viewCenter} />
    </aside>
  );
}
