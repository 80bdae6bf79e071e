// Asks for a project path inside the page: the browser has no native file dialog that
// yields a path, so the user types one (or picks a recent project).

import { useState } from 'react';
import type { EngineApi } from '../../core/api';
import { folderOf, joinPath } from '../app/paths';
import { BrowseButton, type BrowseFor } from './FolderBrowser';

export interface PathRequest {
  readonly mode: 'open' | 'save';
  readonly suggested: string | null;
  readonly recent: readonly string[];
  readonly resolve: (path: string | null) => void;
  /** Title and prompt when the path is not a project's, and the files to browse for. */
  readonly purpose?: { readonly title: string; readonly label: string; readonly kinds?: readonly BrowseFor[] };
}

/** `browse`: the engine's folder listing, for the Browse… button (the path is on the engine's machine). */
export function PathDialog({ request, browse }: { request: PathRequest; browse?: Pick<EngineApi, 'listFolder'> }) {
  const [path, setPath] = useState(request.suggested ?? request.recent[0] ?? '');
  const done = (p: string | null) => request.resolve(p && p.trim() ? p.trim() : null);
  const title = request.purpose?.title ?? (request.mode === 'open' ? 'Open project' : 'Save project as');
  return (
    <div className="modal-backdrop">
      <form
        className="modal"
        role="dialog"
        aria-label={title}
        onSubmit={(e) => {
          e.preventDefault();
          done(path);
        }}
        onKeyDown={(e) => e.key === 'Escape' && done(null)}
      >
        <h2>{title}</h2>
        <label htmlFor="path-input">{request.purpose?.label ?? 'Path of the project file (…/name.mgproj.json), on the machine running the studio'}</label>
        <div className="row path-row">
          <input id="path-input" data-testid="path-input" autoFocus type="text" value={path} onChange={(e) => setPath(e.target.value)} />
          {browse && (
            <BrowseButton
              api={browse}
              testId="path-browse"
              title={title}
              start={() => path.trim() || null}
              pick={request.mode === 'save' ? ['folder', ...(request.purpose?.kinds ?? ['project'])] : (request.purpose?.kinds ?? ['project'])}
              // A folder to save in keeps the file name typed (or proposed); a file is the path itself.
              onPick={(p, kind) => setPath(kind === 'folder' ? joinPath(p, path.trim().slice(folderOf(path.trim()).length).replace(/^[\\/]/, '') || 'untitled.mgproj.json') : p)}
            />
          )}
        </div>
        {request.recent.length > 0 && (
          <ul className="recent">
            {request.recent.map((r) => (
              <li key={r}>
                <button type="button" className="link" onClick={() => (request.mode === 'open' ? done(r) : setPath(r))}>
                  {r}
                </button>
              </li>
            ))}
          </ul>
        )}
        <div className="modal-buttons">
          <button type="button" onClick={() => done(null)}>
            Cancel
          </button>
          <button type="submit" className="primary" data-testid="path-ok">
            {request.mode === 'open' ? 'Open' : 'Save'}
          </button>
        </div>
      </form>
    </div>
  );
}
