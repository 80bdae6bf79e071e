// A fingerprint of every entry under a folder, to show that a run modified none of them:
// content hash, mtime and inode of files, targets of links, modes of the rest. Nothing that is
// not a regular file is opened (reading a FIFO would block).
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

export function fingerprint(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (p: string) => {
    const s = lstatSync(p);
    const key = relative(root, p) || '.';
    if (s.isDirectory()) {
      out[key] = 'dir';
      for (const e of readdirSync(p)) visit(join(p, e));
    } else if (s.isSymbolicLink()) out[key] = `link ${readlinkSync(p)}`;
    else if (s.isFile()) out[key] = `${createHash('sha256').update(readFileSync(p)).digest('hex')} ${s.mtimeMs} ${s.ino}`;
    else out[key] = `special ${s.mode}`;
  };
  visit(root);
  return out;
}
