// Which files Unroll analyzes and how a bare data file finds (or gets) its model file. No vscode here: unit-tested.
import { parse, type ParseError } from 'jsonc-parser';
import { basename, dirname, extname, isAbsolute, relative, resolve } from 'node:path';
import type { CellKind } from '../protocol/result';

export const SEQUENCE_EXTENSIONS = ['.csv', '.tsv', '.txt', '.json', '.npy'] as const;
const MODEL_SUFFIX = '.unroll.json';

export function isModelFile(path: string): boolean {
  return path.toLowerCase().endsWith(MODEL_SUFFIX);
}

export function isSequenceFile(path: string): boolean {
  return !isModelFile(path) && (SEQUENCE_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());
}

/** `adding-lag50.csv` → `adding-lag50`. */
export function fileStem(path: string): string {
  const name = basename(path);
  const ext = extname(name);
  return ext ? name.slice(0, -ext.length) : name;
}

/** The model file we would create for a bare data file: `<stem>.unroll.json` beside it. */
export function modelPathFor(dataPath: string): string {
  return resolve(dirname(dataPath), fileStem(dataPath) + MODEL_SUFFIX);
}

/**
 * Model files among `siblings` (names in the data file's folder) that could describe it, most likely first:
 * `<stem>.unroll.json`, then `<stem>.<preferredCell>.unroll.json`, then other `<stem>.<anything>.unroll.json` in
 * name order. Whether one really does is decided by its `data` field (`modelDescribes`).
 */
export function modelCandidates(dataPath: string, siblings: readonly string[], preferredCell: CellKind): string[] {
  const stem = fileStem(dataPath);
  const ranked = [stem + MODEL_SUFFIX, `${stem}.${preferredCell}${MODEL_SUFFIX}`].filter((n) => siblings.includes(n));
  const others = siblings.filter((n) => !ranked.includes(n) && n.startsWith(stem + '.') && isModelFile(n)).sort();
  return [...ranked, ...others].map((n) => resolve(dirname(dataPath), n));
}

/** True when the model file's `data` field names `dataPath` (relative to the model file). */
export function modelDescribes(modelPath: string, modelText: string, dataPath: string): boolean {
  const errors: ParseError[] = [];
  const spec = parse(modelText, errors, { allowTrailingComma: true });
  if (typeof spec !== 'object' || spec === null || typeof spec.data !== 'string') return false;
  return resolve(dirname(modelPath), spec.data) === resolve(dataPath);
}

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
