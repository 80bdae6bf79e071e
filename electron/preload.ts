// The preload: exposes exactly one object, `window.modulargan`, to the isolated page.
import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadBridge } from './preload-bridge';

contextBridge.exposeInMainWorld('modulargan', createPreloadBridge(ipcRenderer));
