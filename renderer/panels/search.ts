// Search as the palette does it: by name. A name that starts with what was typed comes
// first, then a word of the name that does, then a name (or kind) that contains it; the
// help text is searched only when no name matches, so "transf" lists the Transformer and
// not every kind whose help mentions transformers.

import { matchRank } from '../state/quick-add';

export interface Searchable {
  /** What the user reads as its name. */
  readonly title: string;
  /** Its kind, or another identifier that counts as a name. */
  readonly kind: string;
  /** Help text and other words searched only when no name matches. */
  readonly about: readonly string[];
}

/** The items that match `query`, best first (ties keep their order); all of them for an empty query. */
export function searchByName<T>(items: readonly T[], query: string, fields: (t: T) => Searchable): T[] {
  const q = query.trim().toLowerCase();
  if (!q) return [...items];
  const ranked = items
    .map((item, i) => ({ item, i, r: matchRank(fields(item), q) }))
    .filter((x) => x.r >= 0)
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.item);
  if (ranked.length) return ranked;
  return items.filter((item) => fields(item).about.some((a) => a.toLowerCase().includes(q)));
}
