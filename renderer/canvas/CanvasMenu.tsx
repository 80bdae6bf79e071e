// The right-click menu: on a node it acts on that node (or on the whole selection when the
// node is part of it): duplicate, delete, bypass, open up a preset; on empty canvas: add a
// node there, paste, select all, fit the graph into view, lay it out.

import { useEffect, useRef } from 'react';
import { PRESET_NODE_KIND, canBypass } from '../../core/graph';
import type { EditorStore } from '../state/editor-store';

export interface MenuRequest {
  /** Pixels inside the canvas. */
  readonly x: number;
  readonly y: number;
  /** The node right-clicked, or null for the canvas. */
  readonly node: string | null;
}

interface Item {
  readonly id: string;
  readonly label: string;
  readonly keys?: string;
  readonly disabled?: string | false;
  readonly run: () => void;
}

function nodeItems(store: EditorStore, node: string): Item[] {
  const sel = store.getState().selectedNodes;
  const ids = sel.has(node) ? [...sel] : [node];
  const nodes = store.project.graph.nodes.filter((n) => ids.includes(n.id));
  const many = ids.length > 1 ? ` ${ids.length} nodes` : '';
  const bypassable = nodes.filter(canBypass);
  const allBypassed = bypassable.length > 0 && bypassable.every((n) => n.bypassed === true);
  const one = nodes.length === 1 ? nodes[0] : undefined;
  return [
    { id: 'duplicate', label: `Duplicate${many}`, keys: 'Ctrl+D', run: () => store.duplicate(ids) },
    {
      id: 'bypass',
      label: allBypassed ? `Bring back${many}` : `Bypass${many}`,
      keys: 'Ctrl+B',
      disabled: !bypassable.length && 'Only a transformer can be bypassed: it passes its feature map through',
      run: () => store.setBypassed(bypassable.map((n) => n.id), !allBypassed),
    },
    ...(one?.kind === PRESET_NODE_KIND ? [{ id: 'open-up', label: 'Open up preset', run: () => void store.openUp(one.id) }] : []),
    {
      id: 'delete',
      label: `Delete${many}`,
      keys: 'Delete',
      run: () => {
        store.select(ids, []);
        store.removeSelection();
      },
    },
  ];
}

export function CanvasMenu({ request, store, onAddNode, onClose }: { request: MenuRequest; store: EditorStore; onAddNode: () => void; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLButtonElement>('button:not(:disabled)')?.focus();
    const away = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) onClose();
    };
    window.addEventListener('mousedown', away, true);
    return () => window.removeEventListener('mousedown', away, true);
  }, [onClose]);
  const items: Item[] = request.node
    ? nodeItems(store, request.node)
    : [
        { id: 'add', label: 'Add node here…', keys: 'double-click', run: onAddNode },
        { id: 'paste', label: 'Paste', keys: 'Ctrl+V', run: () => void store.pasteClip() },
        { id: 'select-all', label: 'Select all', keys: 'Ctrl+A', run: () => store.selectAll() },
        { id: 'fit', label: 'Fit view', keys: 'F', run: () => store.fitView() },
        { id: 'layout', label: 'Layout', keys: 'Ctrl+Shift+L', run: () => store.layout() },
      ];
  return (
    <div
      ref={ref}
      className="canvas-menu nodrag"
      role="menu"
      style={{ left: request.x, top: request.y }}
      data-testid={request.node ? 'node-menu' : 'canvas-menu'}
      onContextMenu={(e) => e.preventDefault()}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      {items.map((it) => (
        <button
          key={it.id}
          role="menuitem"
          disabled={!!it.disabled}
          title={it.disabled || undefined}
          data-testid={`menu-${it.id}`}
          onClick={() => {
            onClose();
            it.run();
          }}
        >
          <span>{it.label}</span>
          {it.keys && <kbd>{it.keys}</kbd>}
        </button>
      ))}
    </div>
  );
}
