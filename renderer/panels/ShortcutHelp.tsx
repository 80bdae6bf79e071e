// The keyboard shortcut overlay (?): every shortcut of the editor and the mouse gestures.
// A unit test presses each key listed here and checks the editor has an action for it, so
// the list cannot promise a key that does nothing.

import { useEditor, useStore } from '../state/use-editor';

/** Keys as pressed ("Ctrl+Shift+Z": Cmd on macOS) and what they do. */
export const SHORTCUTS: readonly { readonly keys: string; readonly what: string }[] = [
  { keys: 'Ctrl+Enter', what: 'Run the graph' },
  { keys: 'Ctrl+S', what: 'Save' },
  { keys: 'Ctrl+Shift+S', what: 'Save as…' },
  { keys: 'Ctrl+O', what: 'Open…' },
  { keys: 'Ctrl+Z', what: 'Undo' },
  { keys: 'Ctrl+Shift+Z', what: 'Redo' },
  { keys: 'Ctrl+Y', what: 'Redo' },
  { keys: 'Ctrl+C', what: 'Copy the selected nodes' },
  { keys: 'Ctrl+V', what: 'Paste' },
  { keys: 'Ctrl+D', what: 'Duplicate the selected nodes' },
  { keys: 'Ctrl+A', what: 'Select everything' },
  { keys: 'Delete', what: 'Delete the selection' },
  { keys: 'Ctrl+B', what: 'Bypass the selected transformers (again: bring them back)' },
  { keys: 'F', what: 'Fit the whole graph into view' },
  { keys: 'Ctrl+Shift+L', what: 'Lay the graph out left to right' },
  { keys: '?', what: 'Show or hide this list' },
];

export const GESTURES: readonly { readonly keys: string; readonly what: string }[] = [
  { keys: 'Double-click the canvas', what: 'Search and add a node there (Enter adds the top match)' },
  { keys: 'Drop a wire on the canvas', what: 'Search the kinds that take it; Enter adds and connects the top match' },
  { keys: 'Right-click', what: 'Menu of a node (duplicate, delete, bypass, open up) or of the canvas' },
  { keys: 'Shift-drag', what: 'Select several nodes' },
  { keys: 'Click a preview', what: 'See it at full size, beside its input' },
];

export function ShortcutHelp() {
  const store = useStore();
  const open = useEditor((s) => s.help);
  if (!open) return null;
  const rows = (list: typeof SHORTCUTS) =>
    list.map((s) => (
      <tr key={s.keys + s.what}>
        <td>
          <kbd>{s.keys}</kbd>
        </td>
        <td>{s.what}</td>
      </tr>
    ));
  return (
    <div className="modal-backdrop" onClick={() => store.showHelp(false)}>
      <div className="modal wide shortcut-help" role="dialog" aria-label="Keyboard shortcuts" data-testid="shortcut-help" onClick={(e) => e.stopPropagation()}>
        <h2>Keyboard shortcuts</h2>
        <table>
          <tbody>{rows(SHORTCUTS)}</tbody>
        </table>
        <h3>Mouse</h3>
        <table>
          <tbody>{rows(GESTURES)}</tbody>
        </table>
        <p className="muted small">Ctrl is Cmd on macOS. Press ? or Escape to close.</p>
        <button onClick={() => store.showHelp(false)} data-testid="shortcut-help-close">
          Close
        </button>
      </div>
    </div>
  );
}
