// The page's folder browser, answered by the engine: a folder's subfolders and the files the
// studio reads, on the machine that runs the engine (which, served to another machine, is
// not the user's). With roots it starts at the roots and never shows what lies outside them:
// an entry that is a link to elsewhere is left out.

import { readdir, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { FolderEntry, FolderListing } from '../api/types';
import type { PathGuard } from './path-guard';

export const LISTING_MAX = 2000;

const KINDS: readonly [RegExp, FolderEntry['kind']][] = [
  [/\.mgproj\.json$/i, 'project'],
  [/\.mgpreset(\.json)?$/i, 'preset'],
  [/\.(png|jpe?g|webp)$/i, 'image'],
  [/\.mgw$/i, 'weights'],
  [/\.(csv|txt)$/i, 'table'],
];
const ORDER: Record<FolderEntry['kind'], number> = { folder: 0, project: 1, preset: 2, table: 3, weights: 4, image: 5 };

/** `path` listed; null: the roots (with a guard) or `home` (without). */
export async function listFolder(path: string | null, opts: { guard?: PathGuard; home: string }): Promise<FolderListing> {
  const { guard } = opts;
  if (path === null && guard) {
    const entries = guard.roots.map((r) => ({ name: r, path: r, kind: 'folder' as const }));
    return { path: null, parent: null, rooted: true, entries, truncated: false };
  }
  const dir = resolve(path ?? opts.home);
  const found = await readdir(dir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${dir}: ${e.code === 'ENOENT' ? 'no such folder' : e.code === 'ENOTDIR' ? 'not a folder' : e.code === 'EACCES' ? 'not readable by the engine' : e.message}`);
  });
  const entries: FolderEntry[] = [];
  let truncated = false;
  for (const d of found) {
    if (d.name.startsWith('.')) continue;
    const full = join(dir, d.name);
    let isDir = d.isDirectory();
    let isFile = d.isFile();
    if (d.isSymbolicLink()) {
      // Followed only where it stays inside the roots.
      const real = await realpath(full).catch(() => null);
      if (!real || (guard && !guard.holds(real, 'read'))) continue;
      const s = await stat(real).catch(() => null);
      isDir = !!s?.isDirectory();
      isFile = !!s?.isFile();
    }
    const kind: FolderEntry['kind'] | undefined = isDir ? 'folder' : isFile ? KINDS.find(([re]) => re.test(d.name))?.[1] : undefined;
    if (!kind) continue;
    if (entries.length >= LISTING_MAX) {
      truncated = true;
      break;
    }
    entries.push({ name: d.name, path: full, kind });
  }
  entries.sort((a, b) => ORDER[a.kind] - ORDER[b.kind] || a.name.localeCompare(b.name, undefined, { numeric: true }));
  const real = await realpath(dir);
  // At a root, "up" goes back to the list of roots.
  const atTop = guard ? guard.roots.includes(real) || !guard.holds(await realpath(dirname(dir)), 'read') : dirname(dir) === dir;
  return { path: dir, parent: atTop ? null : dirname(dir), rooted: !!guard, entries, truncated };
}
