// The shortcut overlay lists only keys that do something: each one listed is pressed here
// and the editor must have an action for it.

import { describe, expect, it } from 'vitest';
import { shortcutAction } from '../../../renderer/app/shortcuts';
import type { StudioController } from '../../../renderer/app/controller';
import { SHORTCUTS } from '../../../renderer/panels/ShortcutHelp';
import { EditorStore } from '../../../renderer/state/editor-store';

function press(keys: string): KeyboardEvent {
  const parts = keys.split('+');
  const key = parts.at(-1)!;
  const named: Record<string, string> = { Enter: 'Enter', Delete: 'Delete' };
  return {
    key: named[key] ?? (key.length === 1 ? key.toLowerCase() : key),
    ctrlKey: parts.includes('Ctrl'),
    metaKey: false,
    shiftKey: parts.includes('Shift'),
    target: null,
  } as unknown as KeyboardEvent;
}

describe('shortcut overlay', () => {
  it('every key it lists has an action', () => {
    const store = new EditorStore();
    const c = {} as StudioController;
    for (const s of SHORTCUTS) expect(shortcutAction(press(s.keys), store, c), s.keys).not.toBeNull();
  });

  it('? toggles it and Escape closes it; F asks the canvas to fit', () => {
    const store = new EditorStore();
    const c = {} as StudioController;
    shortcutAction(press('?'), store, c)!();
    expect(store.getState().help).toBe(true);
    shortcutAction({ ...press('Escape'), key: 'Escape' } as KeyboardEvent, store, c)!();
    expect(store.getState().help).toBe(false);
    const fits = store.getState().fits;
    shortcutAction(press('F'), store, c)!();
    expect(store.getState().fits).toBe(fits + 1);
  });
});
