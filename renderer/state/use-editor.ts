import { createContext, useContext, useSyncExternalStore } from 'react';
import type { EditorState, EditorStore } from './editor-store';

export const StoreContext = createContext<EditorStore | null>(null);

export function useStore(): EditorStore {
  const s = useContext(StoreContext);
  if (!s) throw new Error('useStore outside <StoreContext.Provider>');
  return s;
}

/** Re-renders when the selected slice changes (by identity). */
export function useEditor<T>(select: (s: EditorState) => T): T {
  const store = useStore();
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}
