// The studio window: toolbar, palette, canvas, inspector, status bar, and the in-page
// dialogs (project path, crash recovery, the engine's death and restart).

import { ReactFlowProvider } from '@xyflow/react';
import { useEffect, useMemo, useState } from 'react';
import type { RecoveryRecord, StudioBridge } from '../../core/api';
import { GraphCanvas } from '../canvas/GraphCanvas';
import { Inspector } from '../panels/Inspector';
import { Palette } from '../panels/Palette';
import { BatchDialog } from '../panels/BatchDialog';
import { ConnectDialog } from '../panels/ConnectDialog';
import { engineConnector } from '../transport/connector';
import { ExportPresetDialog } from '../panels/ExportPresetDialog';
import { PathDialog, type PathRequest } from '../panels/PathDialog';
import { StatusBar } from '../panels/StatusBar';
import { ShortcutHelp } from '../panels/ShortcutHelp';
import { FolderNote, PreviewViewer } from '../panels/PreviewViewer';
import { Toolbar } from '../panels/Toolbar';
import { EditorStore } from '../state/editor-store';
import { StoreContext, useEditor } from '../state/use-editor';
import { StudioController } from './controller';
import { TrainingController } from '../training/training-controller';
import { TrainingView, ViewTabs } from '../training/TrainingView';
import { useTraining } from '../training/use-training';
import { installShortcuts } from './shortcuts';

function TitleSync() {
  const name = useEditor((s) => s.history.present.name);
  const dirty = useEditor((s) => s.history.present !== s.saved);
  useEffect(() => {
    document.title = `${dirty ? '● ' : ''}${name} — ModularGAN Studio`;
  }, [name, dirty]);
  return null;
}

/** The engine process died: what happened, and a Restart. The graph is untouched meanwhile. */
function EngineBanner({ onRestart }: { onRestart: () => Promise<void> }) {
  const exit = useEditor((s) => s.engineExit);
  const [busy, setBusy] = useState(false);
  if (!exit) return null;
  return (
    <div className="banner bad" role="alert" data-testid="engine-exited">
      <span data-testid="engine-exit-message">{exit.message}</span>
      <button
        className="primary"
        data-testid="restart-engine"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          void onRestart().finally(() => setBusy(false));
        }}
      >
        {busy ? 'Restarting…' : 'Restart engine'}
      </button>
    </div>
  );
}

/** The link to an engine on another machine dropped: said until it is back (runs go on there). */
function ReconnectingBanner() {
  const message = useEditor((s) => s.reconnecting);
  if (!message) return null;
  return (
    <div className="banner" role="status" data-testid="reconnecting">
      <strong>Reconnecting…</strong> {message}
    </div>
  );
}

export function App({ api, onReady }: { api: StudioBridge; onReady?: (c: StudioController, t: TrainingController) => void }) {
  const [pathRequest, setPathRequest] = useState<PathRequest | null>(null);
  const [recovery, setRecovery] = useState<RecoveryRecord | null>(null);
  const [startError, setStartError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<'export-preset' | 'batch' | 'engine' | null>(null);
  const connector = useMemo(() => engineConnector(api), [api]);
  const store = useMemo(() => new EditorStore(), []);
  const controller = useMemo(
    () =>
      new StudioController(store, api, {
        askPath: (mode, suggested, recent, purpose) =>
          new Promise((resolve) =>
            setPathRequest({
              mode,
              suggested,
              recent,
              purpose,
              resolve: (p) => {
                setPathRequest(null);
                resolve(p);
              },
            }),
          ),
        confirmDiscard: () => window.confirm('Discard the unsaved changes?'),
      }),
    [store, api],
  );
  const training = useMemo(() => new TrainingController(controller, (q) => window.confirm(q)), [controller]);
  const view = useTraining(training, (s) => s.view);
  useEffect(() => training.start(), [training]);
  useEffect(() => {
    controller
      .start()
      .then((r) => {
        setRecovery(r);
        onReady?.(controller, training);
      })
      .catch((e: Error) => setStartError(e.message));
    const uninstall = installShortcuts(store, controller, () => (training.store.getState().view === 'training' ? training.graphStore : store));
    const beforeUnload = (e: BeforeUnloadEvent) => {
      if (store.dirty) e.preventDefault();
    };
    window.addEventListener('beforeunload', beforeUnload);
    return () => {
      controller.stop();
      uninstall();
      window.removeEventListener('beforeunload', beforeUnload);
    };
  }, [controller, training, store, onReady]);

  return (
    <StoreContext.Provider value={store}>
      <ReactFlowProvider>
        <TitleSync />
        <div className="studio">
          <Toolbar controller={controller} onDialog={setDialog} />
          {recovery && (
            <div className="banner" role="alert" data-testid="recovery">
              Unsaved work on “{recovery.project.name}” from {new Date(recovery.savedAt).toLocaleString()} was kept after the studio closed.
              <button
                className="primary"
                data-testid="recover"
                onClick={() => {
                  controller.recover(recovery);
                  setRecovery(null);
                }}
              >
                Restore it
              </button>
              <button
                onClick={() => {
                  void controller.discardRecovery();
                  setRecovery(null);
                }}
              >
                Discard
              </button>
            </div>
          )}
          <ReconnectingBanner />
          <EngineBanner
            onRestart={async () => {
              // If the engine was already down when the page opened, nothing is loaded yet: start over.
              if ((await controller.restartEngine()) && startError) location.reload();
            }}
          />
          {startError && (
            <div className="banner bad" role="alert">
              The engine did not start: {startError}
            </div>
          )}
          <ViewTabs c={training} />
          {view === 'training' ? (
            <TrainingView c={training} />
          ) : (
            <div className="workspace">
              <Palette controller={controller} />
              <GraphCanvas onImageDrop={(png, name) => void controller.openFromPng(png, name)} />
              <Inspector />
            </div>
          )}
          <StatusBar />
        </div>
        {dialog === 'export-preset' && <ExportPresetDialog controller={controller} onClose={() => setDialog(null)} />}
        {dialog === 'batch' && <BatchDialog controller={controller} onClose={() => setDialog(null)} />}
        {dialog === 'engine' && <ConnectDialog controller={controller} connector={connector} onClose={() => setDialog(null)} />}
        {pathRequest && <PathDialog request={pathRequest} browse={api} />}
        <ShortcutHelp />
        <PreviewViewer controller={controller} />
        <FolderNote />
      </ReactFlowProvider>
    </StoreContext.Provider>
  );
}
