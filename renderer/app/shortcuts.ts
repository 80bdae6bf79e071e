// Keyboard shortcuts. Ctrl on Linux and Windows, Cmd on macOS. Text fields keep their own
// undo and copy; only the file commands reach through them.

import type { EditorStore } from '../state/editor-store';
import type { StudioController } from './controller';

export function shortcutAction(e: KeyboardEvent, store: EditorStore, c: StudioController): (() => unknown) | null {
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
  if (mod && k === 'c') return () => store.copySelection();
  if (mod && k === 'v') return () => store.pasteClip();
  if (mod && k === 'a') return () => store.selectAll();
  if (mod && e.shiftKey && k === 'l') return () => store.layout();
  if (!mod && (k === 'delete' || k === 'backspace')) return () => store.removeSelection();
  return null;
}

export function installShortcuts(store: EditorStore, c: StudioController): () => void {
  const onKey = (e: KeyboardEvent) => {
    const action = shortcutAction(e, store, c);
    if (!action) return;
    e.preventDefault();
    void action();
  };
  window.addEventListener('keydown', onKey);
  return () => window.removeEventListener('keydown', onKey);
}
