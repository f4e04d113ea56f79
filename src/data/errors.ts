// The one error type the data layer throws: a list of problems, each at a 1-based position in a user's file.
import type { Problem } from '../protocol/messages';

export class InputError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'InputError';
  }
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
  const clamped = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < clamped; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: clamped - lineStart + 1 };
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

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The closest candidate to a misspelled name, if one is close enough to be a likely typo. */
export function didYouMean(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}
