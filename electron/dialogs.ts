// Native open/save dialogs for project files, and open for presets, over an injected dialog module.

import type { DialogsLike } from './main-ipc';

export interface DialogModuleLike {
  showOpenDialog(opts: { title: string; properties: string[]; filters: { name: string; extensions: string[] }[] }): Promise<{ canceled: boolean; filePaths: string[] }>;
  showSaveDialog(opts: { title: string; defaultPath?: string; filters: { name: string; extensions: string[] }[] }): Promise<{ canceled: boolean; filePath?: string }>;
}

const FILTERS = [{ name: 'ModularGAN project', extensions: ['mgproj.json'] }];
const PRESET_FILTERS = [{ name: 'ModularGAN preset', extensions: ['mgpreset', 'mgpreset.json'] }];

export function createDialogs(dialog: DialogModuleLike): DialogsLike {
  return {
    async choosePresetPath() {
      const r = await dialog.showOpenDialog({ title: 'Import preset', properties: ['openFile'], filters: PRESET_FILTERS });
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    async chooseProjectPath(mode, suggested) {
      if (mode === 'open') {
        const r = await dialog.showOpenDialog({ title: 'Open project', properties: ['openFile'], filters: FILTERS });
        return r.canceled ? null : (r.filePaths[0] ?? null);
      }
      const r = await dialog.showSaveDialog({ title: 'Save project', defaultPath: suggested ?? undefined, filters: FILTERS });
      if (r.canceled || !r.filePath) return null;
      // Some desktops drop the double extension: put it back.
      return r.filePath.endsWith('.mgproj.json') ? r.filePath : `${r.filePath.replace(/\.json$/, '')}.mgproj.json`;
    },
  };
}
