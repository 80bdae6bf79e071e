// The native menu as plain data (Electron's MenuItemConstructorOptions shape), built from
// the commands the editor understands and the recent projects; main.ts turns it into a Menu.

import { DEMOS, type MenuCommand } from '../core/api/types';

export interface MenuItem {
  label?: string;
  role?: string;
  type?: 'separator' | 'submenu';
  accelerator?: string;
  enabled?: boolean;
  submenu?: MenuItem[];
  click?: () => void;
}

export function menuTemplate(send: (command: MenuCommand, arg?: string) => void, recent: readonly string[], platform: string = process.platform): MenuItem[] {
  const item = (label: string, command: MenuCommand, accelerator?: string): MenuItem => ({ label, accelerator, click: () => send(command) });
  const file: MenuItem = {
    label: '&File',
    submenu: [
      item('New Project', 'new', 'CmdOrCtrl+N'),
      item('Open…', 'open', 'CmdOrCtrl+O'),
      {
        label: 'Open Recent',
        enabled: recent.length > 0,
        submenu: recent.map((path) => ({ label: path, click: () => send('openRecent', path) })),
      },
      {
        label: 'Open Demo',
        submenu: Object.entries(DEMOS).map(([name, d]) => ({ label: d.title, click: () => send('openDemo', name) })),
      },
      { type: 'separator' },
      item('Save', 'save', 'CmdOrCtrl+S'),
      item('Save As…', 'saveAs', 'CmdOrCtrl+Shift+S'),
      { type: 'separator' },
      { role: platform === 'darwin' ? 'close' : 'quit' },
    ],
  };
  const edit: MenuItem = {
    label: '&Edit',
    submenu: [
      item('Undo', 'undo', 'CmdOrCtrl+Z'),
      item('Redo', 'redo', platform === 'darwin' ? 'Cmd+Shift+Z' : 'CmdOrCtrl+Y'),
      { type: 'separator' },
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'selectAll' },
    ],
  };
  const graph: MenuItem = { label: '&Graph', submenu: [item('Run', 'run', 'CmdOrCtrl+Enter'), item('Arrange Automatically', 'layout', 'CmdOrCtrl+Shift+L')] };
  const view: MenuItem = { label: '&View', submenu: [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }] };
  return [...(platform === 'darwin' ? [{ role: 'appMenu' }] : []), file, edit, graph, view];
}
