// `validate` for every front door: a document opened as any run opens it, its graph checked,
// and a preset's exposed ports not counted as unconnected (they are wired where it is used),
// nor its empty image inputs as missing their images (they are given where it runs).

import { type Diagnostic, validateGraph } from '../graph/validate';
import { type FileError, openDocument } from './documents';

export type { Diagnostic };

export type Validation =
  | { readonly opened: false; readonly valid: false; readonly fileErrors: readonly FileError[] }
  | {
      readonly opened: true;
      readonly valid: boolean;
      readonly kind: 'project' | 'preset';
      readonly diagnostics: readonly Diagnostic[];
      readonly nodes: number;
      readonly edges: number;
      /** The format version the file had, when it was upgraded in memory. */
      readonly migratedFrom?: number;
    };

export async function validateDocument(file: string): Promise<Validation> {
  const doc = await openDocument(file);
  if (!doc.ok) return { opened: false, valid: false, fileErrors: doc.errors };
  const { graph, exposed, kind, migratedFrom } = doc.value;
  await doc.value.cleanup();
  const open = new Set([...(exposed?.inputs ?? []), ...(exposed?.outputs ?? [])].map((p) => `${p.node}\u0000${p.port}`));
  // A preset's image input left empty is its open input too: whoever runs it gives the images
  // (--input, a batch's folder), as they wire its exposed ports. Checked as if given.
  const given = kind === 'preset' ? { ...graph, nodes: graph.nodes.map((n) => (n.kind === 'image-input' && !String(n.params.path ?? '').trim() ? { ...n, params: { ...n.params, path: '(given when run)' } } : n)) } : graph;
  const diagnostics = validateGraph(given).diagnostics.filter((d) => !((d.code === 'missing-input' || d.code === 'dangling-output') && open.has(`${d.node}\u0000${d.port}`)));
  return {
    opened: true,
    valid: !diagnostics.some((d) => d.severity === 'error'),
    kind,
    diagnostics,
    nodes: graph.nodes.length,
    edges: graph.edges.length,
    ...(migratedFrom ? { migratedFrom } : {}),
  };
}
