// From what a reader found to what the engine trains on: inputs, targets and masks per task (README, "Files it reads").
// A sequence longer than the window is split into consecutive windows of `window` steps when every step has its
// own target (next-step, char-lm, columns): the first window of the first sequence is the one analyzed, every
// window is a training sequence. With one target at the end (seq-to-one) only the last `window` steps are kept.
import type { Dataset, SequenceData, SequenceStore } from '../engine/types';
import type { LossKind, TaskKind } from '../protocol/result';
import type { CsvTable } from './csv';
import { didYouMean, fail, listNames, quote, type Position } from './errors';
import { Growing, grown } from './growing';
import type { JsonData } from './jsonData';
import type { NpyArray } from './npy';
import type { CharIndices, TextCorpus } from './text';

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
  /** xent: the target columns are one-hot (the reader checked every row) and become a class index per step. */
  loss?: LossKind;
}

/** What the window did to the sequences of the file, summed up (an object per sequence would outweigh short ones). */
export interface PartsSummary {
  /** Sequences in the file. */
  sequences: number;
  /** Sequences longer than the window, cut into consecutive windows (all used): how many, and the longest's steps. */
  split: { count: number; longest: number };
  /** Sequences longer than the window of which only the last `window` steps are kept (one target at the end). */
  cut: { count: number; longest: number };
  /** Sequences whose last step was left out: a remainder window shorter than MIN_WINDOW_STEPS. */
  leftOut: number;
  /** Windows left out because none of their steps has a target (columns). */
  noTarget: number;
}

export interface BuiltData {
  dataset: Dataset;
  parts: PartsSummary;
  /** Characters of a text file (char-lm). */
  characters?: number;
  /** Column names the task uses (columns, seq-to-one). */
  inputs?: string[];
  targets?: string[];
  /** Problems worth showing that do not stop the analysis. */
  warnings: { ref: Ref; message: string }[];
}

/** A remainder window (after the full ones) shorter than this is left out of training: it teaches next to nothing. */
export const MIN_WINDOW_STEPS = 2;

/** Consecutive windows over `steps` steps: each step in exactly one, a remainder too short to train on dropped. */
export function windowSpans(steps: number, window: number): { spans: { from: number; T: number }[]; leftOut: number } {
  const size = Math.max(1, Math.floor(window));
  const spans: { from: number; T: number }[] = [];
  for (let from = 0; from < steps; from += size) spans.push({ from, T: Math.min(size, steps - from) });
  if (spans.length === 0) spans.push({ from: 0, T: 0 });
  const last = spans[spans.length - 1];
  const leftOut = spans.length > 1 && last.T < size && last.T < MIN_WINDOW_STEPS ? spans.pop()!.T : 0;
  return { spans, leftOut };
}

class Parts implements PartsSummary {
  sequences = 0;
  split = { count: 0, longest: 0 };
  cut = { count: 0, longest: 0 };
  leftOut = 0;
  noTarget = 0;
  constructor(private readonly window: number) {}
  /** One sequence of `steps` steps, split into windows or cut to its last `window` steps. */
  add(steps: number, mode: 'split' | 'last', leftOut: number): void {
    this.sequences++;
    if (steps > this.window) {
      const which = mode === 'split' ? this.split : this.cut;
      which.count++;
      which.longest = Math.max(which.longest, steps);
    }
    if (leftOut > 0) this.leftOut++;
  }
}

/** All-ones masks, one per length, shared by the sequences with a target at every step (nothing writes to a mask). */
class Ones {
  private readonly byLength = new Map<number, Uint8Array>();
  get(T: number): Uint8Array {
    let mask = this.byLength.get(T);
    if (!mask) this.byLength.set(T, (mask = new Uint8Array(T).fill(1)));
    return mask;
  }
}

/** Where each sequence's windows are: steps, first input row, first target row, and the whole sequence's steps when cut. */
class Spans {
  readonly T = new Growing(new Int32Array(16));
  readonly inputRow = new Growing(new Int32Array(16));
  readonly targetRow = new Growing(new Int32Array(16));
  readonly originalT = new Growing(new Int32Array(16));
  add(T: number, inputRow: number, targetRow: number, originalT: number): void {
    this.T.push(T);
    this.inputRow.push(inputRow);
    this.targetRow.push(targetRow);
    this.originalT.push(originalT > T ? originalT : 0);
  }
}

/**
 * Sequences in flat arrays: sequence i has T[i] steps, its inputs are rows inputRow[i]… of `inputs` (inputWidth
 * numbers a row), its targets and mask rows targetRow[i]… of `targets` and `masks` (none: a target at every step).
 * Next-step windows point into one array of the file's rows, targets a row after inputs; the others own theirs.
 */
class FlatSequences implements SequenceStore {
  private readonly ones = new Ones();
  private readonly T: Int32Array;
  private readonly inputRow: Int32Array;
  private readonly targetRow: Int32Array;
  private readonly originalT: Int32Array;
  constructor(
    spans: Spans,
    private readonly inputs: Float64Array,
    private readonly inputWidth: number,
    private readonly targets: Float64Array,
    private readonly targetWidth: number,
    private readonly masks: Uint8Array | null,
  ) {
    this.T = spans.T.done();
    this.inputRow = spans.inputRow.done();
    this.targetRow = spans.targetRow.done();
    this.originalT = spans.originalT.done();
  }
  get count(): number {
    return this.T.length;
  }
  steps(i: number): number {
    return this.T[i];
  }
  get(i: number): SequenceData {
    const T = this.T[i],
      from = this.inputRow[i],
      to = this.targetRow[i];
    const s: SequenceData = {
      T,
      inputs: this.inputs.subarray(from * this.inputWidth, (from + T) * this.inputWidth),
      targets: this.targets.subarray(to * this.targetWidth, (to + T) * this.targetWidth),
      mask: this.masks ? this.masks.subarray(to, to + T) : this.ones.get(T),
    };
    if (this.originalT[i] > 0) s.originalT = this.originalT[i];
    return s;
  }
  get bytes(): number {
    const own = [
      this.T,
      this.inputRow,
      this.targetRow,
      this.originalT,
      this.inputs,
      this.targets === this.inputs ? null : this.targets,
      this.masks,
    ];
    return own.reduce((sum, a) => sum + (a?.byteLength ?? 0), 0);
  }
}

/** Windows that own their rows (columns, seq-to-one, pairs), appended one at a time into growing flat arrays. */
class OwnRows {
  inputs: Float64Array;
  targets: Float64Array;
  masks: Uint8Array;
  private rows = 0;
  readonly spans = new Spans();
  constructor(
    private readonly inputWidth: number,
    private readonly targetWidth: number,
  ) {
    this.inputs = new Float64Array(64 * inputWidth);
    this.targets = new Float64Array(64 * targetWidth);
    this.masks = new Uint8Array(64);
  }
  /** Zeroed room for T more rows; returns the first. Keep them with `keep`, or open again to reuse them. */
  open(T: number): number {
    if (this.rows + T > this.masks.length) {
      const rows = Math.max(2 * this.masks.length, this.rows + T);
      this.inputs = grown(this.inputs, rows * this.inputWidth);
      this.targets = grown(this.targets, rows * this.targetWidth);
      this.masks = grown(this.masks, rows);
    }
    this.inputs.fill(0, this.rows * this.inputWidth, (this.rows + T) * this.inputWidth);
    this.targets.fill(0, this.rows * this.targetWidth, (this.rows + T) * this.targetWidth);
    this.masks.fill(0, this.rows, this.rows + T);
    return this.rows;
  }
  hasTarget(row: number, T: number): boolean {
    return this.masks.subarray(row, row + T).includes(1);
  }
  keep(T: number, originalT: number): void {
    this.spans.add(T, this.rows, this.rows, originalT);
    this.rows += T;
  }
  done(): FlatSequences {
    const rows = this.rows;
    return new FlatSequences(
      this.spans,
      this.inputs.slice(0, rows * this.inputWidth),
      this.inputWidth,
      this.targets.slice(0, rows * this.targetWidth),
      this.targetWidth,
      this.masks.slice(0, rows),
    );
  }
}

/** Sequences of a file in one array of rows (D numbers a row): sequence n has rows(n) rows from row start(n). */
export interface SeriesRows {
  values: Float64Array;
  D: number;
  count: number;
  start(n: number): number;
  rows(n: number): number;
}

/**
 * Next-step windows over every sequence: window k of a sequence has inputs x_t and targets x_{t+1} for its steps t,
 * so every pair (x_t, x_{t+1}) is in exactly one window. All are views of `values`, never copies.
 */
function nextStepWindows(
  series: SeriesRows,
  window: number,
  parts: Parts,
  tooShort: (n: number) => never,
): FlatSequences {
  const spans = new Spans();
  for (let n = 0; n < series.count; n++) {
    const rows = series.rows(n);
    if (rows < 2) tooShort(n);
    const steps = rows - 1;
    const { spans: windows, leftOut } = windowSpans(steps, window);
    for (const w of windows) spans.add(w.T, series.start(n) + w.from, series.start(n) + w.from + 1, steps);
    parts.add(steps, 'split', leftOut);
  }
  return new FlatSequences(spans, series.values, series.D, series.values, series.D, null);
}

function label(id: string, index: number): string {
  return id === '' ? (index === 0 ? 'the sequence' : `sequence ${index + 1}`) : `sequence "${id}"`;
}

function pickColumns(table: CsvTable, names: string[], refAt: (i: number) => Ref, role: string): number[] {
  // One index for all names: a lookup per name made a model listing 100,000 columns quadratic.
  const columnIndex = new Map<string, number>();
  table.columns.forEach((c, i) => columnIndex.has(c) || columnIndex.set(c, i));
  return names.map((name, i) => {
    const index = columnIndex.get(name);
    if (index === undefined) {
      const guess = didYouMean(name, table.columns);
      const { file, at } = refAt(i);
      return fail(
        file,
        at,
        `${role} column ${quote(name)} is not in the data file${guess ? `; did you mean ${quote(guess)}?` : ''}`,
        `its columns are ${listNames(table.columns)}`,
      );
    }
    return index;
  });
}

function requireFilled(table: CsvTable, file: string, columns: number[], role: string): void {
  for (const c of columns) {
    const empty = table.firstEmpty[c];
    if (empty)
      fail(
        file,
        empty,
        `empty cell in ${role} column "${table.columns[c]}"`,
        role === 'input'
          ? 'every input needs a value at every step; fill it or drop the row'
          : 'fill it, or use task "columns", where an empty target means no target at that step',
      );
  }
}

/** `table` holds every row for next-step and columns (split into windows here), the last `window` rows for seq-to-one. */
export function fromCsv(
  table: CsvTable,
  file: string,
  task: TaskKind,
  choice: ColumnChoice,
  window: number,
): BuiltData {
  const width = table.columns.length;
  const { sequences: seqs, values } = table;
  const count = seqs.ids.length;
  const parts = new Parts(window);
  const warnings: BuiltData['warnings'] = [];
  if (task === 'next-step') {
    requireFilled(
      table,
      file,
      table.columns.map((_, i) => i),
      'input',
    );
    const series: SeriesRows = { values, D: width, count, start: (n) => seqs.start[n], rows: (n) => seqs.keptRows[n] };
    const sequences = nextStepWindows(series, window, parts, (n) =>
      fail(
        file,
        { line: seqs.firstLine[n], column: 1 },
        `${label(seqs.ids[n], n)} has a single row; next-step prediction needs at least two`,
        'add rows, or drop this sequence',
      ),
    );
    return {
      dataset: {
        task,
        loss: 'mse',
        inputSize: width,
        outputSize: width,
        sequences,
        inputNames: table.columns,
        targetNames: table.columns,
        notes: [],
      },
      parts,
      warnings,
    };
  }
  const defaultSplit = task === 'seq-to-one' && !choice.inputs && !choice.targets;
  if (defaultSplit && width < 2)
    fail(
      file,
      table.columnPositions[0],
      'seq-to-one needs at least one input and one target column',
      'add a target column (by default the last column is the target)',
    );
  const notInputs = new Set(choice.targets ?? table.columns.slice(-1));
  const inputNames = choice.inputs ?? table.columns.filter((c) => !notInputs.has(c));
  const targetNames = choice.targets ?? table.columns.slice(-1);
  const inputs = pickColumns(table, inputNames, choice.inputsAt, 'input');
  const targets = pickColumns(table, targetNames, choice.targetsAt, 'target');
  requireFilled(table, file, inputs, 'input');
  const partial = { count: 0, at: undefined as Position | undefined };
  const I = inputs.length,
    O = targets.length;
  const xent = choice.loss === 'xent';
  const out = new OwnRows(I, xent ? 1 : O);
  for (let n = 0; n < count; n++) {
    const kept = seqs.keptRows[n],
      rows = seqs.rows[n],
      start = seqs.start[n];
    // seq-to-one: the reader kept the last `window` rows, one window; columns: every row, split.
    const { spans, leftOut } =
      task === 'columns' ? windowSpans(kept, window) : { spans: [{ from: 0, T: kept }], leftOut: 0 };
    parts.add(rows, task === 'columns' ? 'split' : 'last', leftOut);
    spans.forEach(({ from, T }, k) => {
      const r = out.open(T);
      for (let t = 0; t < T; t++) {
        const row = (start + from + t) * width;
        for (let j = 0; j < I; j++) out.inputs[(r + t) * I + j] = values[row + inputs[j]];
        let filled = 0;
        for (const c of targets) if (!Number.isNaN(values[row + c])) filled++;
        const isTarget = task === 'columns' ? filled === O : t === T - 1;
        const emptyTarget = () => targets.find((c) => Number.isNaN(values[row + c]))!;
        if (task === 'columns' && filled > 0 && filled < O) {
          partial.count++;
          partial.at ??= table.firstEmpty[emptyTarget()];
        }
        if (isTarget && filled < O) {
          fail(
            file,
            { line: seqs.lastLine[n], column: 1 },
            `the last row of ${label(seqs.ids[n], n)} has no value in target column "${table.columns[emptyTarget()]}"`,
            'seq-to-one reads its target from the last row of each sequence',
          );
        }
        if (isTarget) {
          out.masks[r + t] = 1;
          if (xent) out.targets[r + t] = targets.findIndex((c) => values[row + c] === 1);
          else for (let j = 0; j < O; j++) out.targets[(r + t) * O + j] = values[row + targets[j]];
        }
      }
      if (!out.hasTarget(r, T)) {
        // The first window must have a target (it is what the analysis of a sequence shows); a later one is only left out.
        if (k > 0) return void parts.noTarget++;
        fail(
          file,
          { line: seqs.firstLine[n], column: 1 },
          `${label(seqs.ids[n], n)} has no target values in the ${T} steps analyzed`,
          `fill the target column${O > 1 ? 's' : ''} (${targetNames.join(', ')}) for some rows, or raise "window"`,
        );
      }
      out.keep(T, rows);
    });
  }
  if (partial.count > 0) {
    warnings.push({
      ref: { file, at: partial.at ?? table.end },
      message: `${partial.count} step(s) have some but not all target values; they count as steps without a target`,
    });
  }
  return {
    dataset: {
      task,
      loss: xent ? 'xent' : 'mse',
      inputSize: I,
      outputSize: O,
      sequences: out.done(),
      inputNames,
      targetNames,
      notes: [],
    },
    parts,
    inputs: inputNames,
    targets: targetNames,
    warnings,
  };
}

/** Series (npy, JSON lists): next-step, split into windows. `at(n)` places a problem about sequence n. */
export function fromSeries(series: SeriesRows, file: string, window: number, at: (n: number) => Position): BuiltData {
  const parts = new Parts(window);
  const sequences = nextStepWindows(series, window, parts, (n) =>
    fail(
      file,
      at(n),
      `${label('', n)} has a single step; next-step prediction needs at least two`,
      'give it more steps',
    ),
  );
  return {
    dataset: { task: 'next-step', loss: 'mse', inputSize: series.D, outputSize: series.D, sequences, notes: [] },
    parts,
    warnings: [],
  };
}

export function fromNpy(array: NpyArray, file: string, window: number): BuiltData {
  const [N, T, D] =
    array.shape.length === 3 ? array.shape : array.shape.length === 2 ? [1, ...array.shape] : [1, array.shape[0], 1];
  if (N === 0 || T === 0 || D === 0)
    fail(
      file,
      { line: 1, column: 1 },
      `the array has shape (${array.shape.join(', ')}): nothing to analyze`,
      'save an array with at least two steps',
    );
  return fromSeries({ values: array.data, D, count: N, start: (n) => n * T, rows: () => T }, file, window, () => ({
    line: 1,
    column: 1,
  }));
}

/**
 * JSON { inputs, targets }: a target per step (null = none), split into windows; or one target for the last step
 * (seq-to-one, or a single target for a longer sequence), where the last `window` steps are kept.
 */
export function fromPairs(
  data: Extract<JsonData, { kind: 'pairs' }>,
  file: string,
  task: 'columns' | 'seq-to-one',
  window: number,
  loss: LossKind = 'mse',
): BuiltData {
  const { D, O } = data;
  const parts = new Parts(window);
  const xent = loss === 'xent';
  if (xent && O < 2)
    fail(
      file,
      data.sequences[0]?.at ?? { line: 1, column: 1 },
      `"loss": "xent" needs targets of at least two classes (one-hot vectors); these targets have ${O} number${O === 1 ? '' : 's'}`,
      'give every target as a one-hot vector, e.g. [0, 1, 0]',
    );
  const out = new OwnRows(D, xent ? 1 : O);
  data.sequences.forEach((s, n) => {
    const lastOnly = task === 'seq-to-one' || (s.targets.length === 1 && s.inputs.T > 1);
    const steps = s.inputs.T;
    const kept = Math.min(steps, window);
    const { spans, leftOut } = lastOnly
      ? { spans: [{ from: steps - kept, T: kept }], leftOut: 0 }
      : windowSpans(steps, window);
    parts.add(steps, lastOnly ? 'last' : 'split', leftOut);
    spans.forEach(({ from, T }, k) => {
      const r = out.open(T);
      out.inputs.set(s.inputs.values.subarray(from * D, (from + T) * D), r * D);
      for (let t = 0; t < T; t++) {
        const target = lastOnly ? (t === T - 1 ? s.targets[s.targets.length - 1] : null) : s.targets[from + t];
        if (target) {
          out.masks[r + t] = 1;
          if (xent)
            out.targets[r + t] = classOf(target, () =>
              fail(
                file,
                s.at,
                `${label('', n)}: the target of step ${from + t + 1} is not one-hot ([${Array.from(target).join(', ')}])`,
                'with "loss": "xent" every target is one class: a 1 at its index and 0 elsewhere (null for a step without a target)',
              ),
            );
          else out.targets.set(target, (r + t) * O);
        }
      }
      if (!out.hasTarget(r, T)) {
        if (k > 0) return void parts.noTarget++;
        fail(
          file,
          s.at,
          `${label('', n)} has no target in the ${T} steps analyzed`,
          lastOnly ? 'the last entry of "targets" must not be null' : 'give a target for some steps, or raise "window"',
        );
      }
      out.keep(T, steps);
    });
  });
  return {
    dataset: { task, loss, inputSize: D, outputSize: O, sequences: out.done(), notes: [] },
    parts,
    warnings: [],
  };
}

/** The index of the single 1 of a one-hot vector (every other entry 0); `refuse` otherwise. */
function classOf(v: ArrayLike<number>, refuse: () => never): number {
  let k = -1;
  for (let j = 0; j < v.length; j++) {
    if (v[j] === 1 && k === -1) k = j;
    else if (v[j] !== 0) refuse();
  }
  return k === -1 ? refuse() : k;
}

/**
 * Character-level windows: inputs the one-hot rows of characters [from, from+T), targets the indices of characters
 * [from+1, from+T+1). A window's one-hot rows (8·V bytes a character) are built when its `inputs` is first read,
 * not before: training reads only `inputIds` (Network.load), so a batch allocates T numbers a window, not T·V.
 */
class CharSequences implements SequenceStore {
  private readonly ones = new Ones();
  private readonly T: Int32Array;
  private readonly from: Int32Array;
  private readonly originalT: Int32Array;
  constructor(
    private readonly ids: CharIndices,
    private readonly V: number,
    spans: Spans,
  ) {
    this.T = spans.T.done();
    this.from = spans.inputRow.done();
    this.originalT = spans.originalT.done();
  }
  get count(): number {
    return this.T.length;
  }
  steps(i: number): number {
    return this.T[i];
  }
  get(i: number): SequenceData {
    const T = this.T[i],
      from = this.from[i],
      V = this.V;
    const inputIds = new Int32Array(T);
    const targets = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      inputIds[t] = this.ids[from + t];
      targets[t] = this.ids[from + t + 1];
    }
    let inputs: Float64Array | null = null;
    const s: SequenceData = {
      T,
      // an own enumerable getter: a spread or a structured clone of the window reads (and so builds) the rows
      get inputs(): Float64Array {
        if (!inputs) {
          inputs = new Float64Array(T * V);
          for (let t = 0; t < T; t++) inputs[t * V + inputIds[t]] = 1;
        }
        return inputs;
      },
      inputIds,
      targets,
      mask: this.ones.get(T),
    };
    if (this.originalT[i] > 0) s.originalT = this.originalT[i];
    return s;
  }
  get bytes(): number {
    return this.ids.byteLength + this.T.byteLength + this.from.byteLength + this.originalT.byteLength;
  }
}

/** Character-level LM: one-hot input of character t, target the index of character t+1; the text split into windows. */
export function fromText(corpus: TextCorpus, window: number): BuiltData {
  const steps = corpus.totalChars - 1;
  const { spans: windows, leftOut } = windowSpans(steps, window);
  const spans = new Spans();
  for (const w of windows) spans.add(w.T, w.from, w.from + 1, steps);
  const parts = new Parts(window);
  parts.add(steps, 'split', leftOut);
  return {
    dataset: {
      task: 'char-lm',
      loss: 'xent',
      inputSize: corpus.vocab.length,
      outputSize: corpus.vocab.length,
      sequences: new CharSequences(corpus.ids, corpus.vocab.length, spans),
      vocab: corpus.vocab,
      notes: [],
    },
    parts,
    characters: corpus.totalChars,
    warnings: [],
  };
}
