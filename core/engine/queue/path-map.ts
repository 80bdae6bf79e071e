// Path mapping for workers that mount the shared storage somewhere else than the machine that
// queued the work (`--map /remote=/local`): job paths are rewritten to this machine's, and
// what a job reports (output paths, reasons naming files) back to the submitter's, so the
// merged report reads as if one machine had done it all. The longest matching prefix wins,
// matched on whole path components (/data does not map /database).

import { isAbsolute, normalize } from 'node:path';
import { RunError } from '../../runtime/executor';

export interface PathPair {
  /** The prefix as the submitting machine writes it. */
  readonly remote: string;
  /** The same folder on this machine. */
  readonly local: string;
}

export interface PathMap {
  readonly pairs: readonly PathPair[];
  /** A submitter's path as this machine sees it (unchanged when no prefix matches). */
  toLocal(path: string): string;
  /** This machine's path as the submitter sees it. */
  toRemote(path: string): string;
  /** Every path of this machine inside `text` written as the submitter's. */
  textToRemote(text: string): string;
}

const trim = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);

function swap(path: string, pairs: readonly PathPair[], from: 'remote' | 'local', to: 'remote' | 'local'): string {
  for (const p of pairs) {
    const prefix = p[from];
    if (path === prefix) return p[to];
    const withSep = prefix.endsWith('/') ? prefix : `${prefix}/`;
    if (path.startsWith(withSep)) return `${p[to] === '/' ? '' : p[to]}/${path.slice(withSep.length)}`;
  }
  return path;
}

/** Reads `--map` values (REMOTE=LOCAL, both absolute); throws RunError naming the bad one. */
export function parsePathMaps(specs: readonly string[] = []): PathMap {
  const pairs: PathPair[] = specs.map((spec) => {
    const at = spec.indexOf('=');
    const remote = at > 0 ? trim(spec.slice(0, at)) : '';
    const local = at > 0 ? trim(spec.slice(at + 1)) : '';
    if (!remote || !local) throw new RunError(`--map takes REMOTE=LOCAL (e.g. /mnt/data=/data), got '${spec}'`);
    for (const p of [remote, local]) if (!isAbsolute(p)) throw new RunError(`--map '${spec}': ${p} is not an absolute path`);
    return { remote: normalize(remote), local: normalize(local) };
  });
  const byRemote = [...pairs].sort((a, b) => b.remote.length - a.remote.length);
  const byLocal = [...pairs].sort((a, b) => b.local.length - a.local.length);
  return {
    pairs,
    toLocal: (path) => swap(path, byRemote, 'remote', 'local'),
    toRemote: (path) => swap(path, byLocal, 'local', 'remote'),
    textToRemote(text) {
      const mapped = byLocal.filter((p) => p.local !== p.remote && p.local !== '/');
      if (!mapped.length) return text;
      // One pass, longest prefix first, each at a path's start and ending at a separator or
      // the path's end, so a mapped path is never mapped again.
      const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const any = new RegExp(`(^|[\\s'"(=:])(${mapped.map((p) => escape(p.local)).join('|')})(?=/|$|[\\s'",);:])`, 'g');
      return text.replace(any, (_m, lead: string, local: string) => `${lead}${mapped.find((p) => p.local === local)!.remote}`);
    },
  };
}
