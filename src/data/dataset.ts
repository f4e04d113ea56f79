// From what a reader found to what the engine trains on: inputs, targets and masks per task (DESIGN.md §3),
// each sequence cut to the window.
import type { Dataset, SequenceData } from '../engine/types';
import type { TaskKind } from '../protocol/result';
import type { CsvTable } from './csv';
import { didYouMean, fail, type Position } from './errors';
import type { JsonData, PairSequence } from './jsonData';
import type { NpyArray } from './npy';
import type { TextCorpus } from './text';

/** Where to point a problem: a file and a position in it. */
export interface Ref {
  file: string;
  at: Position;
}

export interface ColumnChoice {
  inputs?: string[];
  targets?: string[];
  /** Where each named column is written in the model file (for unknown names). */
  inputsAt(i: number): Ref;
  targetsAt(i: number): Ref;
}

export interface BuiltData {
  dataset: Dataset;
  /** Steps each sequence had before the window cut it. */
  originalSteps: number[];
  /** Column names the task uses (columns, seq-to-one). */
  inputs?: string[];
  targets?: string[];
  /** Problems worth showing that do not stop the analysis. */
  warnings: { ref: Ref; message: string }[];
}

function sequence(T: number, inputWidth: number, targetWidth: number): SequenceData {
  return { T, inputs: new Float64Array(T * inputWidth), targets: new Float64Array(T * targetWidth), mask: new Uint8Array(T) };
}

function label(id: string, index: number): string {
  return id === '' ? (index === 0 ? 'the sequence' : `sequence ${index + 1}`) : `sequence "${id}"`;
}

function pickColumns(table: CsvTable, names: string[], refAt: (i: number) => Ref, role: string): number[] {
  return names.map((name, i) => {
    const index = table.columns.indexOf(name);
    if (index === -1) {
      const guess = didYouMean(name, table.columns);
      const { file, at } = refAt(i);
      fail(file, at, `${role} column "${name}" is not in the data file${guess ? `; did you mean "${guess}"?` : ''}`, `its columns are ${table.columns.join(', ')}`);
    }
    return index;
  });
}

function requireFilled(table: CsvTable, file: string, columns: number[], role: string): void {
  for (const c of columns) {
    const empty = table.firstEmpty[c];
    if (empty) fail(file, empty, `empty cell in ${role} column "${table.columns[c]}"`, role === 'input' ? 'every input needs a value at every step; fill it or drop the row' : 'fill it, or use task "columns", where an empty target means no target at that step');
  }
}

export function fromCsv(table: CsvTable, file: string, task: TaskKind, choice: ColumnChoice): BuiltData {
  const width = table.columns.length;
  const warnings: BuiltData['warnings'] = [];
  if (task === 'next-step') {
    const all = table.columns.map((_, i) => i);
    requireFilled(table, file, all, 'input');
    const sequences = table.sequences.map((s, n) => {
      if (s.keptRows < 2) fail(file, { line: s.firstLine, column: 1 }, `${label(s.id, n)} has a single row; next-step prediction needs at least two`, 'add rows, or drop this sequence');
      const out = sequence(s.keptRows - 1, width, width);
      out.inputs.set(s.values.subarray(0, out.T * width));
      out.targets.set(s.values.subarray(width));
      out.mask.fill(1);
      return out;
    });
    return {
      dataset: { task, loss: 'mse', inputSize: width, outputSize: width, sequences, inputNames: table.columns, targetNames: table.columns, notes: [] },
      originalSteps: table.sequences.map((s) => s.rows - 1),
      warnings,
    };
  }
  const defaultSplit = task === 'seq-to-one' && !choice.inputs && !choice.targets;
  if (defaultSplit && width < 2) fail(file, table.columnPositions[0], 'seq-to-one needs at least one input and one target column', 'add a target column (by default the last column is the target)');
  const inputNames = choice.inputs ?? table.columns.filter((c) => !(choice.targets ?? table.columns.slice(-1)).includes(c));
  const targetNames = choice.targets ?? table.columns.slice(-1);
  const inputs = pickColumns(table, inputNames, choice.inputsAt, 'input');
  const targets = pickColumns(table, targetNames, choice.targetsAt, 'target');
  requireFilled(table, file, inputs, 'input');
  const partial = { count: 0, at: undefined as Position | undefined };
  const sequences = table.sequences.map((s, n) => {
    const out = sequence(s.keptRows, inputs.length, targets.length);
    for (let t = 0; t < s.keptRows; t++) {
      const row = s.values.subarray(t * width, (t + 1) * width);
      inputs.forEach((c, j) => (out.inputs[t * inputs.length + j] = row[c]));
      const filled = targets.filter((c) => !Number.isNaN(row[c])).length;
      const isTarget = task === 'columns' ? filled === targets.length : t === s.keptRows - 1;
      if (task === 'columns' && filled > 0 && filled < targets.length) {
        partial.count++;
        partial.at ??= table.firstEmpty[targets.find((c) => Number.isNaN(row[c]))!];
      }
      if (isTarget && filled < targets.length) {
        fail(file, { line: s.lastLine, column: 1 }, `the last row of ${label(s.id, n)} has no value in target column "${table.columns[targets.find((c) => Number.isNaN(row[c]))!]}"`, 'seq-to-one reads its target from the last row of each sequence');
      }
      if (isTarget) {
        out.mask[t] = 1;
        targets.forEach((c, j) => (out.targets[t * targets.length + j] = row[c]));
      }
    }
    if (!out.mask.includes(1)) {
      fail(file, { line: s.firstLine, column: 1 }, `${label(s.id, n)} has no target values in the ${s.keptRows} steps analyzed`, `fill the target column${targets.length > 1 ? 's' : ''} (${targetNames.join(', ')}) for some rows, or raise "window"`);
    }
    return out;
  });
  if (partial.count > 0) {
    warnings.push({ ref: { file, at: partial.at ?? table.end }, message: `${partial.count} step(s) have some but not all target values; they count as steps without a target` });
  }
  return {
    dataset: { task, loss: 'mse', inputSize: inputs.length, outputSize: targets.length, sequences, inputNames, targetNames, notes: [] },
    originalSteps: table.sequences.map((s) => s.rows),
    inputs: inputNames,
    targets: targetNames,
    warnings,
  };
}

/** Series (npy, JSON lists): next-step only, first window+1 rows kept. */
export function fromSeries(series: { values: Float64Array; T: number; at: Position }[], D: number, file: string, window: number): BuiltData {
  const sequences = series.map((s, n) => {
    if (s.T < 2) fail(file, s.at, `${label('', n)} has a single step; next-step prediction needs at least two`, 'give it more steps');
    const T = Math.min(s.T, window + 1) - 1;
    const out = sequence(T, D, D);
    out.inputs.set(s.values.subarray(0, T * D));
    out.targets.set(s.values.subarray(D, (T + 1) * D));
    out.mask.fill(1);
    return out;
  });
  return { dataset: { task: 'next-step', loss: 'mse', inputSize: D, outputSize: D, sequences, notes: [] }, originalSteps: series.map((s) => s.T - 1), warnings: [] };
}

export function fromNpy(array: NpyArray, file: string, window: number): BuiltData {
  const [N, T, D] = array.shape.length === 3 ? array.shape : array.shape.length === 2 ? [1, ...array.shape] : [1, array.shape[0], 1];
  if (N === 0 || T === 0 || D === 0) fail(file, { line: 1, column: 1 }, `the array has shape (${array.shape.join(', ')}): nothing to analyze`, 'save an array with at least two steps');
  const series = Array.from({ length: N }, (_, n) => ({ values: array.data.subarray(n * T * D, (n + 1) * T * D), T, at: { line: 1, column: 1 } }));
  return fromSeries(series, D, file, window);
}

/** JSON { inputs, targets }: a target per step (null = none), or one target for the last step. */
export function fromPairs(data: Extract<JsonData, { kind: 'pairs' }>, file: string, task: 'columns' | 'seq-to-one', window: number): BuiltData {
  const { D, O } = data;
  const sequences = data.sequences.map((s: PairSequence, n) => {
    const lastOnly = task === 'seq-to-one' || (s.targets.length === 1 && s.inputs.T > 1);
    const T = Math.min(s.inputs.T, window);
    const from = lastOnly ? s.inputs.T - T : 0;
    const out = sequence(T, D, O);
    out.inputs.set(s.inputs.values.subarray(from * D, (from + T) * D));
    for (let t = 0; t < T; t++) {
      const target = lastOnly ? (t === T - 1 ? s.targets[s.targets.length - 1] : null) : s.targets[from + t];
      if (target) {
        out.mask[t] = 1;
        out.targets.set(target, t * O);
      }
    }
    if (!out.mask.includes(1)) fail(file, s.at, `${label('', n)} has no target in the ${T} steps analyzed`, lastOnly ? 'the last entry of "targets" must not be null' : 'give a target for some steps, or raise "window"');
    return out;
  });
  return { dataset: { task, loss: 'mse', inputSize: D, outputSize: O, sequences, notes: [] }, originalSteps: data.sequences.map((s) => s.inputs.T), warnings: [] };
}

/** Character-level LM: one-hot input of character t, target the index of character t+1. */
export function fromText(corpus: TextCorpus): BuiltData {
  const V = corpus.vocab.length;
  const index = new Map(corpus.vocab.map((ch, i) => [ch, i]));
  const T = corpus.kept.length - 1;
  const out = sequence(T, V, 0);
  out.targets = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    out.inputs[t * V + index.get(corpus.kept[t])!] = 1;
    out.targets[t] = index.get(corpus.kept[t + 1])!;
  }
  out.mask.fill(1);
  return {
    dataset: { task: 'char-lm', loss: 'xent', inputSize: V, outputSize: V, sequences: [out], vocab: corpus.vocab, notes: [] },
    originalSteps: [corpus.totalChars - 1],
    warnings: [],
  };
}
