// What the extension needs of a model file beyond src/data/kinds.ts (which files are model or sequence files, and
// THE rule pairing a bare data file with its model file): a top-level field read from a half-edited file, the
// template offered for a bare data file, and the workspace folder a file must stay inside. No vscode here: unit-tested.
import { parse } from 'jsonc-parser';
import { basename, dirname, isAbsolute, relative } from 'node:path';
import type { CellKind } from '../protocol/kinds';

/** Top-level string and number fields of a model file, tolerant of a half-edited file (undefined when absent). */
export function modelField(modelText: string, field: 'weights' | 'data' | 'epochs'): string | number | undefined {
  const spec = parse(modelText, [], { allowTrailingComma: true });
  const value = typeof spec === 'object' && spec !== null ? spec[field] : undefined;
  return typeof value === 'string' || typeof value === 'number' ? value : undefined;
}

/** A starting model file for a bare data file: only fields whose meaning is unambiguous; the rest keep defaults. */
export function modelTemplate(dataPath: string, cell: CellKind): string {
  const spec = { data: './' + basename(dataPath), cell, hidden: 16 };
  return JSON.stringify(spec, null, 2) + '\n';
}

/** The folder a file must stay inside: the workspace folder holding it, else its own folder. */
export function workspaceRootFor(path: string, workspaceFolders: readonly string[]): string {
  const inside = workspaceFolders
    .filter((root) => {
      const rel = relative(root, path);
      return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
    })
    .sort((a, b) => b.length - a.length);
  return inside[0] ?? dirname(path);
}
