import { type JSONPath, findNodeAtLocation, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';

/** A problem in a file, located as precisely as the file allows. */
export interface FileError {
  readonly code: 'json' | 'format' | 'version' | 'migration' | 'schema' | 'reference';
  readonly message: string;
  /** Where in the document, e.g. "graph.nodes[2].params" */
  readonly path?: string;
  /** 1-based, when known */
  readonly line?: number;
  readonly column?: number;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FileError[] };

/** Turns a character offset into a 1-based line and column. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

const WORDS: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: "expected ':'",
  CommaExpected: "expected ','",
  CloseBraceExpected: "expected '}'",
  CloseBracketExpected: "expected ']'",
  EndOfFileExpected: 'unexpected text after the end of the document',
  InvalidCommentToken: 'comments are not allowed',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'malformed unicode escape',
  InvalidEscapeCharacter: 'malformed escape sequence',
  InvalidCharacter: 'control character in a string',
};

/**
 * How deep arrays and objects may nest in a file the studio reads. Its own documents nest
 * about 8 levels; the readers after the parse (the locating parser, zod, migrations,
 * JSON.stringify on save) recurse, and thousands of levels overflow their stack.
 */
export const MAX_JSON_DEPTH = 256;

/**
 * Where a text's arrays and objects first nest deeper than `max` (the offset of that bracket),
 * or undefined. A loop, not a recursion, so any depth is safe to measure; strings are skipped.
 */
export function tooDeepAt(text: string, max = MAX_JSON_DEPTH): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return undefined;
}

/**
 * Whether a value holds arrays or objects nested deeper than `max`, measured with an explicit
 * stack (a value built in memory, e.g. sent by a page, can be any depth).
 */
export function valueTooDeep(value: unknown, max = MAX_JSON_DEPTH): boolean {
  // A cycle counts as too deep: it would nest without end.
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** The refusal of a text nested too deep, located; undefined when its depth is fine. */
export function depthError(text: string, max = MAX_JSON_DEPTH): FileError | undefined {
  const at = tooDeepAt(text, max);
  if (at === undefined) return undefined;
  return { code: 'json', message: `the JSON nests deeper than ${max} levels here (damaged, or not a file the studio wrote); refused before reading it`, ...lineColumn(text, at) };
}

/**
 * Parses strict JSON. The value comes from JSON.parse (standard, and safe with keys such as
 * "__proto__"); when it fails, a tolerant parser finds where, so the message has a line and
 * a column. Nesting deeper than MAX_JSON_DEPTH is refused first, so nothing downstream can
 * overflow its stack.
 */
export function parseJson(text: string): Parsed<unknown> {
  const deep = depthError(text);
  if (deep) return { ok: false, errors: [deep] };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    const errors: ParseError[] = [];
    parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    if (text.trim() === '') return { ok: false, errors: [{ code: 'json', message: 'the file is empty', line: 1, column: 1 }] };
    if (first) {
      const where = lineColumn(text, first.offset);
      const name = printParseErrorCode(first.error);
      return { ok: false, errors: [{ code: 'json', message: `malformed JSON: ${WORDS[name] ?? name}`, ...where }] };
    }
    // JSON.parse refused something the tolerant parser accepts (e.g. a lone surrogate).
    const pos = /position (\d+)/.exec((e as Error).message);
    const where = pos ? lineColumn(text, Number(pos[1])) : {};
    return { ok: false, errors: [{ code: 'json', message: `malformed JSON: ${(e as Error).message}`, ...where }] };
  }
}

/** "graph.nodes[2].id" from ["graph", "nodes", 2, "id"]. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out;
}

/** Line and column of a value inside the original text, when the path exists there. */
export function locate(text: string, path: readonly PropertyKey[]): { line: number; column: number } | undefined {
  const root = parseTree(text);
  if (!root) return undefined;
  // Walk up to the deepest part of the path present in the text (a missing key points at its object).
  for (let n = path.length; n >= 0; n--) {
    const node = findNodeAtLocation(root, path.slice(0, n).filter((k) => typeof k !== 'symbol') as JSONPath);
    if (node) return lineColumn(text, node.offset);
  }
  return undefined;
}
