// Problems arrive 1-based (as printed `path:line:col`); VS Code ranges are 0-based. The conversion lives here only.
import { isAbsolute, resolve } from 'node:path';
import type { Problem } from '../protocol/messages';

export interface ZeroBasedRange {
  startLine: number;
  startCharacter: number;
  endLine: number;
  endCharacter: number;
}

/** A range that is never empty: without an end, it covers the one character at the position. */
export function problemRange(p: Problem): ZeroBasedRange {
  const startLine = Math.max(0, p.line - 1);
  const startCharacter = Math.max(0, p.column - 1);
  const endLine = p.endLine !== undefined ? Math.max(startLine, p.endLine - 1) : startLine;
  let endCharacter = p.endColumn !== undefined ? Math.max(0, p.endColumn - 1) : startCharacter + 1;
  if (endLine === startLine && endCharacter <= startCharacter) endCharacter = startCharacter + 1;
  return { startLine, startCharacter, endLine, endCharacter };
}

/** The text shown in the Problems panel: the message, then what to do about it. */
export function problemText(p: Problem): string {
  return p.hint ? `${p.message}\nHint: ${p.hint}` : p.message;
}

/** Problems grouped by absolute file path (relative paths are taken from the workspace root). */
export function problemsByFile(problems: readonly Problem[], workspaceRoot: string): Map<string, Problem[]> {
  const byFile = new Map<string, Problem[]>();
  for (const p of problems) {
    const file = isAbsolute(p.file) ? p.file : resolve(workspaceRoot, p.file);
    byFile.set(file, [...(byFile.get(file) ?? []), p]);
  }
  return byFile;
}
