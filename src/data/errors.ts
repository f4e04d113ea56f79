// The one error type the data layer throws: a list of problems, each at a 1-based position in a user's file.
import type { Problem } from '../protocol/messages';

/**
 * Problems listed at most: a file with 60,000 bad keys needs its first few fixed, not a 60,000-line list. The CLI,
 * the Problems panel and the worker all read problems from here, so the cap holds everywhere.
 */
export const MAX_LISTED_PROBLEMS = 30;

export class InputError extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    const listed =
      problems.length <= MAX_LISTED_PROBLEMS
        ? problems
        : [...problems.slice(0, MAX_LISTED_PROBLEMS - 1), andMore(problems, MAX_LISTED_PROBLEMS - 1)];
    super(listed.map(formatProblem).join('\n'));
    this.name = 'InputError';
    this.problems = listed;
  }
}

/** One entry standing for every problem from `first` on, placed at the first of them. */
function andMore(problems: Problem[], first: number): Problem {
  const next = problems[first];
  return problem(
    next.file,
    next,
    `and ${(problems.length - first).toLocaleString('en-US')} more problems`,
    'fix the ones listed and run again to see the rest',
  );
}

/** `path:line:col: message (hint)`: the one-line form the CLI prints and editors' problem matchers read. */
export function formatProblem(p: Problem): string {
  const severity = p.severity === 'warning' ? 'warning: ' : '';
  const hint = p.hint ? ` (hint: ${p.hint})` : '';
  return `${p.file}:${p.line}:${p.column}: ${severity}${p.message}${hint}`;
}

export interface Position {
  line: number;
  column: number;
}

export const START: Position = { line: 1, column: 1 };

export function problem(file: string, at: Position, message: string, hint?: string): Problem {
  return { file, line: at.line, column: at.column, message, ...(hint ? { hint } : {}), severity: 'error' };
}

export function warning(file: string, at: Position, message: string, hint?: string): Problem {
  return { ...problem(file, at, message, hint), severity: 'warning' };
}

/** Throw one problem. */
export function fail(file: string, at: Position, message: string, hint?: string): never {
  throw new InputError([problem(file, at, message, hint)]);
}

/** Line and column (1-based, UTF-16 units as editors count them) of a character offset in a text. */
export function positionInText(text: string, offset: number): Position {
  return textPositions(text)(offset);
}

/**
 * Positions of many offsets in one text: the line starts are found once, then each lookup is a binary search
 * (one scan per problem made a file with 60,000 problems quadratic).
 */
export function textPositions(text: string): (offset: number) => Position {
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  return (offset) => {
    const clamped = Math.max(0, Math.min(offset, text.length));
    // The last line start at or before the offset (a '\n' itself belongs to the line it ends).
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (lineStarts[middle] <= clamped) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: clamped - lineStarts[low] + 1 };
  };
}

/** Line and column of a byte offset in a binary or not-yet-decoded file: lines split at 0x0A, columns in bytes. */
export function positionInBytes(bytes: Uint8Array, offset: number): Position {
  const clamped = Math.max(0, Math.min(offset, bytes.length));
  let line = 1;
  let lineStart = 0;
  for (let i = bytes.indexOf(10); i !== -1 && i < clamped; i = bytes.indexOf(10, i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: clamped - lineStart + 1 };
}

/** The last position of a text (where "unexpected end" problems point). */
export function endOfText(text: string): Position {
  return positionInText(text, text.length);
}

/** Edits a likely typo has at most: a third of the name, at least 2; beyond 8 it is another name, not a typo. */
const MAX_TYPO_EDITS = 8;

/**
 * Levenshtein distance if it is at most `limit`, else Infinity. Only cells within `limit` of the diagonal can
 * stay within it, and a row past it ends the search, so a 60,000-character name costs O(length × limit).
 */
function editDistanceWithin(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return Infinity;
  const beyond = limit + 1;
  let previous = new Uint32Array(b.length + 1).map((_, j) => Math.min(j, beyond));
  let current = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const from = Math.max(1, i - limit);
    const to = Math.min(b.length, i + limit);
    current[from - 1] = from === 1 ? Math.min(i, beyond) : beyond;
    let rowBest = current[from - 1];
    for (let j = from; j <= to; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
        beyond,
      );
      rowBest = Math.min(rowBest, current[j]);
    }
    // The next row reads one cell right of this row's band: it must count as too far.
    if (to < b.length) current[to + 1] = beyond;
    if (rowBest > limit) return Infinity;
    [previous, current] = [current, previous];
  }
  return previous[b.length] <= limit ? previous[b.length] : Infinity;
}

/** The closest candidate to a misspelled name, if one is close enough to be a likely typo. */
export function didYouMean(name: string, candidates: readonly string[]): string | undefined {
  const typed = name.toLowerCase();
  let best: string | undefined;
  // Only a strictly closer candidate replaces the best one, so the search can stop one edit short of it.
  let limit = Math.min(MAX_TYPO_EDITS, Math.max(2, Math.floor(name.length / 3)));
  for (const c of candidates) {
    const d = editDistanceWithin(typed, c.toLowerCase(), limit);
    if (d <= limit) {
      best = c;
      limit = d - 1;
    }
  }
  return best;
}

/** Characters of a user's text quoted in a message at most (a 50 MB cell must not print a 50 MB line). */
const QUOTE_MAX = 80;

/** A user's text in a message: in double quotes, escaped onto one line, cut to QUOTE_MAX characters with "…". */
export function quote(text: string): string {
  return JSON.stringify(text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX - 1)}…` : text);
}

/** Names listed in a hint at most; a file with 100,000 columns gets the first few and the count. */
const LISTED_NAMES = 12;

/** "a, b, c" or, for a long list, "a, b, …, l (and 99,988 more)", each name cut by `quote` if long. */
export function listNames(names: readonly string[], separator = ', '): string {
  const shown = names.slice(0, LISTED_NAMES).map((n) => (n.length > QUOTE_MAX ? quote(n) : n));
  return names.length > LISTED_NAMES
    ? `${shown.join(separator)}${separator}… (and ${(names.length - LISTED_NAMES).toLocaleString('en-US')} more)`
    : shown.join(separator);
}

/** The index [i, j, …] of the element at a flat (row-major) index of an array of this shape, for problems about one element. */
export function multiIndex(flat: number, shape: readonly number[]): number[] {
  const index: number[] = new Array(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return index;
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}
