// Paths as the page handles them: strings of the machine running the engine (POSIX or
// Windows), without node:path, which the page cannot load.

const SEP = /[\\/]/;

export const isAbsolutePath = (p: string): boolean => /^(?:[a-zA-Z]:[\\/]|[\\/])/.test(p);

/** The folder part of a path ('' for a bare name). */
export function folderOf(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i < 0 ? '' : i === 0 ? p.slice(0, 1) : p.slice(0, i);
}

/** `name` inside `folder`, with the folder's own separator. */
export function joinPath(folder: string, name: string): string {
  const sep = folder.includes('\\') && !folder.includes('/') ? '\\' : '/';
  return SEP.test(folder.slice(-1)) ? `${folder}${name}` : `${folder}${sep}${name}`;
}

/** A path typed by the user: relative ones are taken inside `folder` (when there is one). */
export const absoluteIn = (folder: string | null, p: string): string => (folder && !isAbsolutePath(p) ? joinPath(folder, p) : p);
