// The window's security settings, in one place: an isolated, sandboxed page without Node,
// a strict Content Security Policy, no navigation away from the studio, no new windows,
// no webviews, no permission prompts.

export const ELECTRON_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function secureWebPreferences(preload: string) {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  } as const;
}

export interface NavigationEventLike {
  preventDefault(): void;
}
export interface WebContentsLike {
  on(event: 'will-navigate' | 'will-redirect', listener: (e: NavigationEventLike, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (e: NavigationEventLike) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

/** Blocks every navigation except to the studio's own page, and every new window. */
export function hardenContents(contents: WebContentsLike, pageUrl: string, openExternal?: (url: string) => void): void {
  const own = (url: string) => url.split('#')[0]!.split('?')[0] === pageUrl.split('#')[0]!.split('?')[0];
  const block = (e: NavigationEventLike, url: string) => {
    if (!own(url)) e.preventDefault();
  };
  contents.on('will-navigate', block);
  contents.on('will-redirect', block);
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Links to the web (e.g. the paper) open in the user's browser, never in the app.
    if (openExternal && /^https:\/\//.test(url)) openExternal(url);
    return { action: 'deny' };
  });
}

/** Adds the CSP to every response the page loads. */
export function withCsp(headers: Record<string, string[] | string> | undefined): Record<string, string[] | string> {
  return { ...(headers ?? {}), 'Content-Security-Policy': [ELECTRON_CSP] };
}
