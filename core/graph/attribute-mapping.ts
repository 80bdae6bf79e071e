import { CELEBA_COLUMNS } from './attributes';
import type { AttributeGroup } from './ports';

// Suggested attribute groups for a dataset's columns: columns that name values of one
// property (Black_Hair, Blond_Hair, Brown_Hair) become one one-hot group, and so one
// transformer; every other column is a yes/no group of its own (Male, Smiling). Only a
// suggestion: the dataset panel shows it for the user to accept or change.

export interface SuggestedGroup {
  /** The group's name as the project uses it, e.g. 'hair', 'male'. */
  readonly name: string;
  readonly kind: 'onehot' | 'binary';
  /** One-hot: value name -> column; binary: the single column under the group's name. */
  readonly columns: Readonly<Record<string, string>>;
  /** The group as a dataset entry lists it (CelebA's loader maps these names to columns). */
  readonly attributes: AttributeGroup;
}

/** Words that make columns sharing a noun mutually exclusive values (a colour of hair). */
const EXCLUSIVE_WORDS = new Set(['black', 'blond', 'blonde', 'brown', 'gray', 'grey', 'red', 'white', 'blue', 'green', 'purple', 'yellow', 'auburn', 'pink', 'orange', 'silver']);

/** The dataset entry's group: the paper's names where CelebA knows them, else the column names. */
function asAttributes(name: string, kind: 'onehot' | 'binary', columns: Record<string, string>): AttributeGroup {
  const known = CELEBA_COLUMNS[name];
  if (kind === 'binary') return { name: typeof known === 'string' && known === columns[name] ? name : columns[name]!, kind };
  const cols = Object.values(columns);
  if (known && typeof known === 'object' && cols.every((c) => Object.values(known).includes(c)) && cols.length === Object.keys(known).length)
    return { name, kind, values: Object.keys(known) };
  return { name, kind, values: cols };
}

const words = (column: string) => column.split(/[_\s-]+/).filter(Boolean).map((w) => w.toLowerCase());
const safeName = (s: string) => s.toLowerCase().replace(/[^\w]+/g, '_').replace(/^_+|_+$/g, '') || 'attribute';

export function suggestMapping(columns: readonly string[]): SuggestedGroup[] {
  // Columns of two words whose first word is an exclusive word, grouped by the second
  // ("Black_Hair" -> hair: black), or the other way round ("hair_black").
  const grouped = new Map<string, Map<string, string>>();
  const placed = new Set<string>();
  for (const c of columns) {
    const w = words(c);
    if (w.length !== 2) continue;
    const [a, b] = w as [string, string];
    const [noun, value] = EXCLUSIVE_WORDS.has(a) ? [b, a] : EXCLUSIVE_WORDS.has(b) ? [a, b] : [undefined, undefined];
    if (!noun || !value) continue;
    const g = grouped.get(noun) ?? new Map<string, string>();
    g.set(value, c);
    grouped.set(noun, g);
  }
  const out: SuggestedGroup[] = [];
  for (const c of columns) {
    const w = words(c);
    const noun = w.length === 2 ? [...grouped.keys()].find((n) => w.includes(n) && grouped.get(n)!.size >= 2 && [...grouped.get(n)!.values()].includes(c)) : undefined;
    if (noun) {
      const columns = Object.fromEntries(grouped.get(noun)!);
      if (!placed.has(noun)) out.push({ name: noun, kind: 'onehot', columns, attributes: asAttributes(noun, 'onehot', columns) });
      placed.add(noun);
      continue;
    }
    const columns = { [safeName(c)]: c };
    out.push({ name: safeName(c), kind: 'binary', columns, attributes: asAttributes(safeName(c), 'binary', columns) });
  }
  return out;
}
