// "Engine…": which engine the studio uses, and connecting to one on another machine
// (modulargan serve prints its address, where its token is, and its certificate's
// fingerprint). Engines used lately are offered again.

import { useEffect, useState } from 'react';
import type { EngineTarget } from '../../core/api';
import type { StudioController } from '../app/controller';
import type { EngineConnector } from '../transport/connector';
import { useEscape } from './use-escape';

export function ConnectDialog({ controller, connector, onClose }: { controller: StudioController; connector: EngineConnector; onClose: () => void }) {
  const [recent, setRecent] = useState<EngineTarget[]>([]);
  const [url, setUrl] = useState('');
  const [token, setToken] = useState('');
  const [fingerprint, setFingerprint] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEscape(onClose, !busy);
  useEffect(() => {
    void connector.recent().then(setRecent, () => setRecent([]));
  }, [connector]);
  const info = controller.info;
  const current = info?.remote ?? (connector.kind === 'browser' ? location.origin : 'this computer');
  const go = async (target: EngineTarget | null) => {
    setBusy(true);
    setError(null);
    try {
      await connector.connect(target);
      onClose();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const fill = (t: EngineTarget) => {
    setUrl(t.url);
    setToken(t.token);
    setFingerprint(t.fingerprint ?? '');
  };
  return (
    <div className="modal-backdrop">
      <form
        className="modal"
        role="dialog"
        aria-label="Engine"
        data-testid="engine-dialog"
        onSubmit={(e) => {
          e.preventDefault();
          void go({ url: url.trim().replace(/\/+$/, ''), token: token.trim(), ...(fingerprint.trim() ? { fingerprint: fingerprint.trim() } : {}) });
        }}
      >
        <h2>Engine</h2>
        <p className="muted" data-testid="engine-current">
          In use: {current}
          {info?.roots ? ` (only under ${info.roots.join(', ')})` : ''}
        </p>
        <p className="muted small">
          To use another machine’s engine and GPU, run <code>modulargan serve</code> there; it prints its address, where its access token is, and (with a self-signed
          certificate) its fingerprint.
        </p>
        <label htmlFor="engine-url">Address</label>
        <input id="engine-url" data-testid="engine-url" type="text" placeholder="https://gpu-box:8470" value={url} onChange={(e) => setUrl(e.target.value)} autoFocus />
        <label htmlFor="engine-token">Access token</label>
        <input id="engine-token" data-testid="engine-token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />
        {connector.kind === 'app' && (
          <>
            <label htmlFor="engine-fingerprint">Certificate fingerprint (SHA-256; for a self-signed certificate)</label>
            <input id="engine-fingerprint" data-testid="engine-fingerprint" type="text" value={fingerprint} onChange={(e) => setFingerprint(e.target.value)} />
          </>
        )}
        {recent.length > 0 && (
          <ul className="recent" data-testid="engine-recent">
            {recent.map((t) => (
              <li key={t.url}>
                <button type="button" className="link" onClick={() => fill(t)}>
                  {t.url}
                </button>
              </li>
            ))}
          </ul>
        )}
        {error && (
          <p className="bad" role="alert" data-testid="engine-error">
            {error}
          </p>
        )}
        <div className="modal-buttons">
          {connector.kind === 'app' && info?.remote && (
            <button type="button" className="grow" disabled={busy} onClick={() => void go(null)} data-testid="engine-local">
              Use this computer’s engine
            </button>
          )}
          <button type="button" onClick={onClose} disabled={busy}>
            Close
          </button>
          <button type="submit" className="primary" disabled={busy || !url.trim() || !token.trim()} data-testid="engine-connect">
            {busy ? 'Connecting…' : 'Connect'}
          </button>
        </div>
      </form>
    </div>
  );
}
