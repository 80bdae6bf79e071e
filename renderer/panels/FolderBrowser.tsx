// A folder browser over the engine's machine (listFolder): what Open, Save as, the Batch
// folders and the dataset fields use to pick a path there. Served to another machine, the
// engine's disk is not the user's, and the browser starts at the folders it may use.

import { useEffect, useState } from 'react';
import type { EngineApi, FolderEntry, FolderListing } from '../../core/api';

export type BrowseFor = 'folder' | FolderEntry['kind'];

const ICON: Record<FolderEntry['kind'], string> = { folder: '📁', project: '◆', preset: '◇', image: '▣', weights: '≋', table: '▤' };

export interface FolderBrowserProps {
  readonly api: Pick<EngineApi, 'listFolder'>;
  /** Where to start: a folder, or a file whose folder to show; null: the roots (or home). */
  readonly start: string | null;
  /** What may be picked: a folder ('Use this folder'), or files of these kinds (a click picks one). */
  readonly pick: readonly BrowseFor[];
  readonly title: string;
  /** The path picked, and whether it is a folder or which kind of file. */
  readonly onPick: (path: string, kind: BrowseFor) => void;
  readonly onCancel: () => void;
}

const parentOf = (p: string) => p.replace(/[\\/][^\\/]*$/, '') || p.slice(0, 1);

export function FolderBrowser({ api, start, pick, title, onPick, onCancel }: FolderBrowserProps) {
  const [listing, setListing] = useState<FolderListing | null>(null);
  const [error, setError] = useState<string | null>(null);

  const go = async (path: string | null) => {
    try {
      setListing(await api.listFolder(path));
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => {
    // A start that is not a folder (a file, a path not made yet, outside the roots): its
    // folder, else the top.
    const first = start?.trim() || null;
    const tries = first ? [first, parentOf(first), null] : [null];
    void (async () => {
      let why = '';
      for (const t of tries)
        try {
          setListing(await api.listFolder(t));
          return;
        } catch (e) {
          why = (e as Error).message;
        }
      setError(why);
    })();
  }, [api, start]);
  // Escape closes this browser only, not the dialog under it.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      e.stopImmediatePropagation();
      onCancel();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onCancel]);

  const canUseFolder = pick.includes('folder') && listing?.path;
  const up = listing && (listing.parent !== null || (listing.rooted && listing.path !== null));
  return (
    <div className="modal-backdrop nested">
      <div className="modal wide folder-browser" role="dialog" aria-label={title} data-testid="folder-browser">
        <h2>{title}</h2>
        <div className="row folder-where">
          <button type="button" disabled={!up} onClick={() => void go(listing?.parent ?? null)} data-testid="folder-up" title="Up one folder">
            ↑ Up
          </button>
          <code data-testid="folder-path">{listing ? (listing.path ?? 'The folders this studio may use') : '…'}</code>
        </div>
        {error && (
          <p className="bad" role="alert" data-testid="folder-error">
            {error}
          </p>
        )}
        <ul className="folder-entries" data-testid="folder-entries">
          {listing?.entries.map((e) => {
            const pickable = e.kind !== 'folder' && pick.includes(e.kind);
            return (
              <li key={e.path}>
                <button
                  type="button"
                  className={`link entry ${e.kind}${e.kind !== 'folder' && !pickable ? ' muted' : ''}`}
                  disabled={e.kind !== 'folder' && !pickable}
                  onClick={() => (e.kind === 'folder' ? void go(e.path) : onPick(e.path, e.kind))}
                  data-testid={`folder-entry-${e.name}`}
                  title={e.path}
                >
                  <span aria-hidden="true">{ICON[e.kind]}</span> {e.name}
                </button>
              </li>
            );
          })}
          {listing && !listing.entries.length && <li className="muted">Nothing here the studio can use</li>}
        </ul>
        {listing?.truncated && <p className="muted small">Only the first {listing.entries.length} entries are listed.</p>}
        <div className="modal-buttons">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          {pick.includes('folder') && (
            <button type="button" className="primary" disabled={!canUseFolder} onClick={() => listing?.path && onPick(listing.path, 'folder')} data-testid="folder-use">
              Use this folder
            </button>
          )}
        </div>
      </div>
    </div>
  );
}

/** A "Browse…" button that opens the folder browser and hands the picked path over. */
export function BrowseButton(props: Omit<FolderBrowserProps, 'onPick' | 'onCancel' | 'start'> & { readonly start: () => string | null; readonly onPick: (path: string, kind: BrowseFor) => void; readonly testId: string; readonly disabled?: boolean }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)} disabled={props.disabled} data-testid={props.testId} title={`${props.title} on the machine running the engine`}>
        Browse…
      </button>
      {open && (
        <FolderBrowser
          api={props.api}
          start={props.start()}
          pick={props.pick}
          title={props.title}
          onPick={(p, kind) => {
            setOpen(false);
            props.onPick(p, kind);
          }}
          onCancel={() => setOpen(false)}
        />
      )}
    </>
  );
}
