// Electron's main process: one window, native menus and dialogs, recent projects, a single
// instance, and the engine in a utility process. The logic lives in small modules beside
// this file (tested with fakes); this file only wires them to Electron.

import { BrowserWindow, Menu, app, dialog, ipcMain, session, shell, utilityProcess } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AUTO_RESTART, superviseEngine } from '../core/engine/engine-process';
import { connectRemoteEngine } from '../core/engine/remote-engine';
import { createStateFiles } from '../core/engine/state-files';
import type { MenuCommand } from '../core/api/types';
import { createDialogs } from './dialogs';
import { type GoneDetails, utilityEngineChild } from './engine-child';
import { createEngineSwitch } from './engine-switch';
import { registerMainIpc } from './main-ipc';
import { type MenuItem, menuTemplate } from './menu';
import { MENU_CHANNEL, RUN_EVENT_CHANNEL } from './messages';
import { appPaths, projectArgument } from './paths';
import { installQuitGuard } from './quit-guard';
import { hardenContents, secureWebPreferences, withCsp } from './window-security';

if (!app.requestSingleInstanceLock()) app.quit();
else {
  const paths = appPaths(app.getAppPath(), __dirname, app.isPackaged);
  const pageUrl = pathToFileURL(paths.page).href;
  let window: BrowserWindow | null = null;
  let recent: string[] = [];
  const send = (command: MenuCommand, arg?: string) => window?.webContents.send(MENU_CHANNEL, command, arg);
  const buildMenu = () => Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(send, recent) as MenuItem[] as Electron.MenuItemConstructorOptions[]));

  app.on('second-instance', (_e, argv) => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
    const file = projectArgument(argv);
    if (file) send('openRecent', file);
  });

  app.whenReady().then(() => {
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => callback({ responseHeaders: withCsp(details.responseHeaders) }));
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));

    const stateDir = join(app.getPath('userData'), 'state');
    const serviceName = 'ModularGAN engine';
    const onGone = (l: (d: GoneDetails) => void) => {
      const listener = (_e: unknown, d: Electron.Details) => l(d);
      app.on('child-process-gone', listener);
      return () => void app.off('child-process-gone', listener);
    };
    // The engine can die (out of memory, a crash); the window stays, and a fresh engine is
    // started a moment later (a few times a minute at most), or when the page asks.
    const own = superviseEngine(() => utilityEngineChild(utilityProcess.fork(paths.engine, [stateDir, paths.demo], { serviceName, stdio: 'inherit' }), serviceName, onGone), {
      autoRestart: AUTO_RESTART,
    });
    // The window uses the app's own engine, or one on another machine the user connected to.
    const link = createEngineSwitch(own);
    const state = createStateFiles(stateDir);
    // A running training of the app's own engine writes a checkpoint before the app exits
    // (one on another machine goes on there).
    installQuitGuard(app, () => own.call('stopAllTraining', []));
    registerMainIpc(ipcMain, {
      engine: link,
      connect: async (target) => {
        link.use(target ? await connectRemoteEngine(target) : null);
        if (target) await state.touchEngine(target);
        // A fresh page over the engine now in use: its documents, presets and jobs.
        window?.webContents.reload();
      },
      engines: () => state.engines(),
      recovery: state,
      dialogs: createDialogs({
        showOpenDialog: (o) => dialog.showOpenDialog(window!, o as Electron.OpenDialogOptions),
        showSaveDialog: (o) => dialog.showSaveDialog(window!, o),
      }),
      trusted: (url) => url.split('?')[0] === pageUrl,
      toPage: (channel, payload) => window?.webContents.send(channel, payload),
      version: app.getVersion(),
      shell: { openPath: (p) => shell.openPath(p) },
      documentsDir: app.getPath('documents'),
      onDocument: (path) => {
        recent = [path, ...recent.filter((p) => p !== path)].slice(0, 10);
        app.addRecentDocument(path);
        buildMenu();
      },
    });
    void link.call('listRecent', []).then((r) => {
      if (r.ok && Array.isArray(r.result)) recent = r.result as string[];
      buildMenu();
    });
    buildMenu();

    window = new BrowserWindow({ width: 1440, height: 900, title: 'ModularGAN Studio', icon: paths.icon, show: false, webPreferences: secureWebPreferences(paths.preload) });
    hardenContents(window.webContents, pageUrl, (url) => void shell.openExternal(url));
    window.once('ready-to-show', () => window?.show());
    // A reloaded page still learns that the engine is down, and can restart it.
    window.webContents.on('did-finish-load', () => {
      if (link.exited) window?.webContents.send(RUN_EVENT_CHANNEL, { type: 'engine-exited', ...link.exited });
    });
    window.on('closed', () => (window = null));
    void window.loadURL(pageUrl);
    const file = projectArgument(process.argv);
    if (file) window.webContents.once('did-finish-load', () => send('openRecent', file));
  });

  app.on('window-all-closed', () => app.quit());
}
