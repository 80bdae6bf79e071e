// Keyboard shortcuts. Ctrl on Linux and Windows, Cmd on macOS. Text fields keep their own
// undo and copy; only the file commands reach through them. Selection edits (delete, copy,
// paste, select all, layout) act on the graph on screen, which is the training graph in the
// Training view; undo and redo always act on the project, which that graph is built from.

import type { EditorStore } from '../state/editor-store';
import type { StudioController } from './controller';

export function shortcutAction(e: KeyboardEvent, store: EditorStore, c: StudioController, shown: EditorStore = store): (() => unknown) | null {
  const mod = e.ctrlKey || e.metaKey;
  const k = e.key.toLowerCase();
  const t = e.target as HTMLElement | null;
  const typing = !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
  if (mod && k === 's') return e.shiftKey ? () => c.saveAs() : () => c.save();
  if (mod && k === 'o') return () => c.open();
  if (mod && k === 'enter') return () => c.run();
  if (typing) return null;
  if (mod && k === 'z') return e.shiftKey ? () => store.redo() : () => store.undo();
  if (mod && k === 'y') return () => store.redo();
  if (mod && k === 'c') return () => shown.copySelection();
  if (mod && k === 'v') return () => shown.pasteClip();
  if (mod && k === 'a') return () => shown.selectAll();
  if (mod && e.shiftKey && k === 'l') return () => shown.layout();
  if (!mod && (k === 'delete' || k === 'backspace')) return () => shown.removeSelection();
  if (mod && k === 'd') return () => shown.duplicate();
  if (mod && k === 'b') return () => shown.toggleBypassSelection();
  if (!mod && k === 'f') return () => shown.fitView();
  if (!mod && e.key === '?') return () => store.showHelp();
  if (!mod && k === 'escape' && store.getState().help) return () => store.showHelp(false);
  if (!mod && k === 'escape' && (shown.getState().selectedNodes.size || shown.getState().selectedEdges.size)) return () => shown.clearSelection();
  return null;
}

/** `shown`: the store of the graph on screen, when it is not the project's. */
export function installShortcuts(store: EditorStore, c: StudioController, shown: () => EditorStore = () => store): () => void {
  const onKey = (e: KeyboardEvent) => {
    const action = shortcutAction(e, store, c, shown());
    if (!action) return;
    e.preventDefault();
    void action();
  };
  window.addEventListener('keydown', onKey);
  return () => window.removeEventListener('keydown', onKey);
}
