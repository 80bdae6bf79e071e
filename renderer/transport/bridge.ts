// Which transport the page uses: Electron's preload exposes `window.modulargan`; in a
// browser the page talks to the web host that served it.

import type { StudioBridge } from '../../core/api';
import { createWebClient } from './web-client';

declare global {
  interface Window {
    modulargan?: StudioBridge;
  }
}

export function studioBridge(): StudioBridge {
  if (window.modulargan) return window.modulargan;
  const token = new URLSearchParams(location.search).get('token');
  return createWebClient(token);
}
