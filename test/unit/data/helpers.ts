// Shared helpers for the data-layer tests: an in-memory FileSeam and assertions on InputError.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { FileSeam } from '../../../src/data/files';
import { InputError } from '../../../src/data/errors';
import type { Problem } from '../../../src/protocol/messages';
import type { CsvTable } from '../../../src/data/csv';
import type { Dataset, SequenceData } from '../../../src/engine/types';

export const FIXTURES = path.resolve(__dirname, '../../fixtures/data');

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(FIXTURES, name)));
}

export const utf8 = (text: string) => new TextEncoder().encode(text);

/** A file system in memory: path → contents; `sizes` overrides what stat reports (a "1 GB" file without the bytes). */
export function memoryFiles(
  entries: Record<string, string | Uint8Array>,
  sizes: Record<string, number> = {},
): FileSeam & { reads: string[] } {
  const bytes = new Map(Object.entries(entries).map(([p, c]) => [p, typeof c === 'string' ? utf8(c) : c]));
  const reads: string[] = [];
  const missing = (p: string) => Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
  return {
    reads,
    async readFile(p) {
      reads.push(p);
      const b = bytes.get(p);
      if (!b) throw missing(p);
      return b;
    },
    async stat(p) {
      const b = bytes.get(p);
      if (b) return { size: sizes[p] ?? b.length, isFile: true };
      const isDir = [...bytes.keys()].some((k) => k.startsWith(p.endsWith('/') ? p : p + '/'));
      return isDir ? { size: 0, isFile: false } : undefined;
    },
    async realpath(p) {
      if (bytes.has(p) || [...bytes.keys()].some((k) => k.startsWith(p + '/'))) return p;
      throw missing(p);
    },
    async list(folder) {
      const prefix = folder.endsWith('/') ? folder : folder + '/';
      const names = [...bytes.keys()]
        .filter((k) => k.startsWith(prefix))
        .map((k) => k.slice(prefix.length).split('/')[0]);
      if (names.length === 0) throw missing(folder);
      return [...new Set(names)];
    },
  };
}

/** Runs `action`, expects an InputError, returns its problems. */
export async function problemsOf(action: () => unknown): Promise<Problem[]> {
  try {
    await action();
  } catch (e) {
    if (e instanceof InputError) return e.problems;
    throw e;
  }
  assert.fail('expected an InputError');
}

/** Expects exactly one problem, at the given position, whose message matches. */
export async function expectProblem(
  action: () => unknown,
  expected: { file?: string; line: number; column: number; message: RegExp; hint?: RegExp },
): Promise<Problem> {
  const problems = await problemsOf(action);
  assert.equal(problems.length, 1, `one problem expected, got: ${problems.map((p) => p.message).join(' | ')}`);
  const [p] = problems;
  assert.match(p.message, expected.message);
  assert.deepEqual(
    { line: p.line, column: p.column },
    { line: expected.line, column: expected.column },
    `position of "${p.message}"`,
  );
  if (expected.file) assert.equal(p.file, expected.file);
  if (expected.hint) assert.match(p.hint ?? '', expected.hint);
  return p;
}

/** A dataset's sequences as an array (each made on demand by its store). */
export function sequencesOf(dataset: Dataset): SequenceData[] {
  return Array.from({ length: dataset.sequences.count }, (_, i) => dataset.sequences.get(i));
}

/** A CSV table's sequences one object each, with their kept rows. */
export function tableSequences(
  table: CsvTable,
): { id: string; rows: number; keptRows: number; values: Float64Array; firstLine: number; lastLine: number }[] {
  const s = table.sequences;
  const width = table.columns.length;
  return s.ids.map((id, n) => ({
    id,
    rows: s.rows[n],
    keptRows: s.keptRows[n],
    values: table.values.subarray(s.start[n] * width, (s.start[n] + s.keptRows[n]) * width),
    firstLine: s.firstLine[n],
    lastLine: s.lastLine[n],
  }));
}
