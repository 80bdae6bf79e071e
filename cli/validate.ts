// `modulargan validate`: core/engine's validateDocument, one problem a line (or JSON).

import { formatFileError } from '../core/engine/documents';
import { type Diagnostic, validateDocument } from '../core/engine/validate';

/** One diagnostic per line, naming the node and port by id so scripts can act on it. */
export function formatDiagnostic(file: string, d: Diagnostic): string {
  const where = [d.node && `node ${d.node}`, d.port && `port ${d.port}`, d.edge && `edge ${d.edge}`].filter(Boolean).join(', ');
  return `${file}: ${d.severity}${where ? ` [${where}]` : ''}: ${d.message}`;
}

/** Returns the exit code: 0 valid (warnings allowed), 1 invalid or unreadable. */
export async function validateCommand(file: string, opts: { json?: boolean }, print: (line: string) => void): Promise<number> {
  const v = await validateDocument(file);
  if (!v.opened) {
    if (opts.json) print(JSON.stringify({ file, valid: false, fileErrors: v.fileErrors }));
    else for (const e of v.fileErrors) print(formatFileError(file, { ...e, message: `error: ${e.message}` }));
    return 1;
  }
  if (opts.json) {
    print(JSON.stringify({ file, kind: v.kind, valid: v.valid, diagnostics: v.diagnostics }));
    return v.valid ? 0 : 1;
  }
  for (const d of v.diagnostics) print(formatDiagnostic(file, d));
  if (v.valid) {
    const migrated = v.migratedFrom ? ` (format version ${v.migratedFrom}, upgraded in memory)` : '';
    print(`${file}: valid ${v.kind}, ${v.nodes} nodes, ${v.edges} edges${migrated}`);
  }
  return v.valid ? 0 : 1;
}
