import { formatFileError } from '../core/files/documents';
import { openRunnable } from './runnable';
import { type Diagnostic, validateGraph } from '../core/graph/validate';

/** One diagnostic per line, naming the node and port by id so scripts can act on it. */
export function formatDiagnostic(file: string, d: Diagnostic): string {
  const where = [d.node && `node ${d.node}`, d.port && `port ${d.port}`, d.edge && `edge ${d.edge}`].filter(Boolean).join(', ');
  return `${file}: ${d.severity}${where ? ` [${where}]` : ''}: ${d.message}`;
}

/** Returns the exit code: 0 valid (warnings allowed), 1 invalid or unreadable. */
export async function validateCommand(file: string, opts: { json?: boolean }, print: (line: string) => void): Promise<number> {
  const doc = await openRunnable(file);
  if (!doc.ok) {
    if (opts.json) print(JSON.stringify({ file, valid: false, fileErrors: doc.errors }));
    else for (const e of doc.errors) print(formatFileError(file, { ...e, message: `error: ${e.message}` }));
    return 1;
  }
  const { graph } = doc.value;
  await doc.value.cleanup();
  const full = validateGraph(graph);
  // A preset's exposed ports are open on purpose: they are wired where the preset is used.
  const open = new Set([...(doc.value.exposed?.inputs ?? []), ...(doc.value.exposed?.outputs ?? [])].map((p) => `${p.node}\u0000${p.port}`));
  const diagnostics = full.diagnostics.filter((d) => !((d.code === 'missing-input' || d.code === 'dangling-output') && open.has(`${d.node}\u0000${d.port}`)));
  const analysis = { ok: !diagnostics.some((d) => d.severity === 'error'), diagnostics };
  if (opts.json) {
    print(JSON.stringify({ file, kind: doc.value.kind, valid: analysis.ok, diagnostics: analysis.diagnostics }));
    return analysis.ok ? 0 : 1;
  }
  for (const d of analysis.diagnostics) print(formatDiagnostic(file, d));
  if (analysis.ok) {
    const migrated = doc.value.migratedFrom ? ` (format version ${doc.value.migratedFrom}, upgraded in memory)` : '';
    print(`${file}: valid ${doc.value.kind}, ${graph.nodes.length} nodes, ${graph.edges.length} edges${migrated}`);
  }
  return analysis.ok ? 0 : 1;
}
