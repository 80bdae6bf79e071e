// Which files a remote user may reach: `modulargan serve --root DIR` limits every path an
// engine call names to those folders (and lets the studio's own bundled files be read).
// Paths are compared as the system resolves them, symlinks followed, so a link inside a
// root that points elsewhere is outside; a path that does not exist yet (a file to save, a
// folder to create) is judged by its nearest existing ancestor. Without roots (the local
// studio) there is no guard at all.

import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { RefusedError } from '../api/dispatch';

export type PathAccess = 'read' | 'write';

/** A path refused by the guard; its message names the path and the roots. */
export class PathRefusedError extends RefusedError {}

export interface PathGuard {
  /** The folders the user may read and write, as real paths. */
  readonly roots: readonly string[];
  /** Folders that may only be read (the bundled demos and presets), as real paths. */
  readonly readOnly: readonly string[];
  /** Resolves `path` (against `baseDir` when relative) and throws PathRefusedError unless it may be used so. */
  check(path: string, access: PathAccess, what: string, baseDir?: string): Promise<void>;
  /** Whether a real path lies in a root (or, for reading, in a read-only folder). */
  holds(real: string, access: PathAccess): boolean;
}

const within = (folder: string, real: string): boolean => {
  const rel = relative(folder, real);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
};

/**
 * The real path the system would reach through `p`: symlinks resolved; for a path that does
 * not exist, its nearest existing ancestor's real path with the rest appended.
 */
export async function realPathOf(p: string): Promise<string> {
  let cur = p;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = await realpath(cur);
      return rest.length ? resolve(real, ...rest.reverse()) : real;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Anything but "not there" (a loop of links, no permission) is not guessed around.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new PathRefusedError(`${p}: ${(e as Error).message}`);
      const up = dirname(cur);
      if (up === cur) return resolve(p);
      rest.push(basename(cur));
      cur = up;
    }
  }
}

/** The roots as real paths, each an existing folder; throws naming the first that is not one. */
export async function resolveRoots(roots: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const r of roots) {
    const abs = resolve(r);
    const s = await stat(abs).catch(() => null);
    if (!s?.isDirectory()) throw new PathRefusedError(`--root ${r}: ${s ? 'not a folder' : 'no such folder'}`);
    out.push(await realpath(abs));
  }
  return [...new Set(out)];
}

/** A guard over folders already resolved (resolveRoots). */
export function createPathGuard(roots: readonly string[], readOnly: readonly string[] = []): PathGuard {
  const list = roots.join(', ');
  const holds = (real: string, access: PathAccess) => roots.some((r) => within(r, real)) || (access === 'read' && readOnly.some((r) => within(r, real)));
  return {
    roots,
    readOnly,
    holds,
    async check(path, access, what, baseDir) {
      if (path.includes('\0')) throw new PathRefusedError(`${what} ${JSON.stringify(path)}: a path cannot hold a NUL character`);
      // As given (the system resolves "link/.." through the link) and as Node's resolve()
      // reads it (textually): the engine may open either, so both must stay inside.
      const given = isAbsolute(path) ? path : `${resolve(baseDir ?? '.')}${sep}${path}`;
      const reals = await Promise.all([realPathOf(given), realPathOf(resolve(given))]);
      if (reals.every((r) => holds(r, access))) return;
      const inReadOnly = access === 'write' && reals.every((r) => holds(r, 'read'));
      const shown = given === reals[0] ? given : `${given} (${reals[0]})`;
      if (inReadOnly) throw new PathRefusedError(`refused: ${what} ${shown} is in the studio's own files, which may only be read; write into one of the folders this engine serves: ${list}`);
      throw new PathRefusedError(`refused: ${what} ${shown} is outside the folders this engine serves (modulargan serve --root): ${list}`);
    },
  };
}
