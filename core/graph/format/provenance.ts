// Provenance carried by every PNG the studio writes: the graph (with its parameters), the
// seed and the checksum of each module's weights, so the image can be traced and the graph
// restored by dropping the PNG onto the canvas. Stored as XMP (an iTXt chunk in PNG), a
// standard place that image tools preserve and sharp reads and writes.

import { z } from 'zod';
import { MAX_JSON_DEPTH, type Parsed, tooDeepAt } from './json';
import { graphSchema } from './schemas';

export const PROVENANCE_FORMAT = 'modulargan-provenance';
export const PROVENANCE_VERSION = 1;
const NS = 'https://modulargan.studio/ns/provenance/1.0/';

export const provenanceSchema = z.looseObject({
  format: z.literal(PROVENANCE_FORMAT),
  version: z.number().int().min(1),
  app: z.string(),
  createdAt: z.string(),
  graph: graphSchema,
  seed: z.number().int(),
  modules: z.record(
    z.string(),
    z.looseObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/), source: z.enum(['file', 'seeded']), file: z.string().optional() }),
  ),
  /** The input file's name (not its folder), when the image came from one. */
  input: z.string().optional(),
});

export type Provenance = z.infer<typeof provenanceSchema>;

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescapeXml = (s: string) =>
  s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) =>
    e.startsWith('#x') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : ENTITIES[e]!,
  );

/** What a writer supplies: the same fields, with the graph and modules as the engine holds them. */
export type ProvenanceInput = Omit<Provenance, 'graph' | 'modules'> & { readonly graph: unknown; readonly modules: unknown };

/** An XMP packet holding the provenance as one JSON-valued property. */
export function provenanceXmp(p: ProvenanceInput): string {
  return (
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>' +
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    `<rdf:Description rdf:about="" xmlns:mg="${NS}"><mg:provenance>${escapeXml(JSON.stringify(p))}</mg:provenance></rdf:Description>` +
    '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
  );
}

/** Finds and checks the provenance in an XMP packet. Untrusted input: never throws. */
export function parseProvenanceXmp(xmp: string): Parsed<Provenance> {
  const m = /<mg:provenance>([^<]*)<\/mg:provenance>/.exec(xmp);
  if (!m || !xmp.includes(NS)) return { ok: false, errors: [{ code: 'format', message: 'the image carries no ModularGAN provenance' }] };
  const json = unescapeXml(m[1]!);
  if (tooDeepAt(json) !== undefined)
    return { ok: false, errors: [{ code: 'json', message: `the provenance nests deeper than ${MAX_JSON_DEPTH} levels (damaged, or not written by the studio)` }] };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    return { ok: false, errors: [{ code: 'json', message: `the provenance is not valid JSON (${(e as Error).message})` }] };
  }
  const r = provenanceSchema.safeParse(value);
  if (!r.success) return { ok: false, errors: r.error.issues.slice(0, 5).map((i) => ({ code: 'schema' as const, message: `provenance ${i.path.join('.')}: ${i.message}` })) };
  if (r.data.version > PROVENANCE_VERSION)
    return { ok: false, errors: [{ code: 'version', message: `the provenance was written by a newer studio (version ${r.data.version})` }] };
  return { ok: true, value: r.data };
}
