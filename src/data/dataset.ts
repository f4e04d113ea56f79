// From what a reader found to what the engine trains on: inputs, targets and masks per task (DESIGN.md §3).
// A sequence longer than the window is split into consecutive windows of `window` steps when every step has its
// own target (next-step, char-lm, columns): the first window of the first sequence is the one analyzed, every
// window is a training sequence. With one target at the end (seq-to-one) only the last `window` steps are kept.
import type { Dataset, SequenceData } from '../engine/types';
import type { TaskKind } from '../protocol/result';
import type { CsvTable } from './csv';
import { didYouMean, fail, listNames, quote, type Position } from './errors';
import type { JsonData, PairSequence } from './jsonData';
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
}

/** What became of one sequence of the file. */
export interface SequencePart {
  /** Steps it has in the file. */
  steps: number;
  /** 'split': cut into consecutive windows, all used; 'last': only its last `window` steps kept (one target at the end). */
  mode: 'split' | 'last';
  /** Training sequences made from it. */
  windows: number;
  /** Steps at its end left out: a remainder window shorter than MIN_WINDOW_STEPS. */
  leftOut: number;
  /** Windows left out because none of their steps has a target (columns). */
  noTarget: number;
}

export interface BuiltData {
  dataset: Dataset;
  /** One entry per sequence of the file, in order. */
  parts: SequencePart[];
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

/** All-ones masks, one per length, shared by the training windows (nothing writes to a mask). */
class Ones {
  private readonly byLength = new Map<number, Uint8Array>();
  get(T: number): Uint8Array {
    let mask = this.byLength.get(T);
    if (!mask) this.byLength.set(T, (mask = new Uint8Array(T).fill(1)));
    return mask;
  }
}

/**
 * Next-step windows over `rows` rows of width D (row-major in `values`): window k has inputs x_t and targets x_{t+1}
 * for its steps t, so every pair (x_t, x_{t+1}) is in exactly one window. Training windows are views of `values`
 * (no copy); the analyzed window gets its own arrays, so the analysis keeps no reference to the whole file.
 */
function nextStepWindows(values: Float64Array, rows: number, D: number, window: number, analyzed: boolean, ones: Ones): { sequences: SequenceData[]; part: SequencePart } {
  const steps = rows - 1;
  const { spans, leftOut } = windowSpans(steps, window);
  const sequences = spans.map(({ from, T }, k): SequenceData => {
    const inputs = values.subarray(from * D, (from + T) * D);
    const targets = values.subarray((from + 1) * D, (from + 1 + T) * D);
    const own = analyzed && k === 0;
    const out: SequenceData = own ? { T, inputs: inputs.slice(), targets: targets.slice(), mask: new Uint8Array(T).fill(1) } : { T, inputs, targets, mask: ones.get(T) };
    if (steps > T) out.originalT = steps;
    return out;
  });
  return { sequences, part: { steps, mode: 'split', windows: sequences.length, leftOut, noTarget: 0 } };
}

function sequence(T: number, inputWidth: number, targetWidth: number): SequenceData {
  return { T, inputs: new Float64Array(T * inputWidth), targets: new Float64Array(T * targetWidth), mask: new Uint8Array(T) };
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
      return fail(file, at, `${role} column ${quote(name)} is not in the data file${guess ? `; did you mean ${quote(guess)}?` : ''}`, `its columns are ${listNames(table.columns)}`);
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

/** `table` holds every row for next-step and columns (split into windows here), the last `window` rows for seq-to-one. */
export function fromCsv(table: CsvTable, file: string, task: TaskKind, choice: ColumnChoice, window: number): BuiltData {
  const width = table.columns.length;
  const warnings: BuiltData['warnings'] = [];
  if (task === 'next-step') {
    const all = table.columns.map((_, i) => i);
    requireFilled(table, file, all, 'input');
    const ones = new Ones();
    const split = table.sequences.map((s, n) => {
      if (s.keptRows < 2) fail(file, { line: s.firstLine, column: 1 }, `${label(s.id, n)} has a single row; next-step prediction needs at least two`, 'add rows, or drop this sequence');
      return nextStepWindows(s.values, s.keptRows, width, window, n === 0, ones);
    });
    return {
      dataset: { task, loss: 'mse', inputSize: width, outputSize: width, sequences: split.flatMap((w) => w.sequences), inputNames: table.columns, targetNames: table.columns, notes: [] },
      parts: split.map((w) => w.part),
      warnings,
    };
  }
  const defaultSplit = task === 'seq-to-one' && !choice.inputs && !choice.targets;
  if (defaultSplit && width < 2) fail(file, table.columnPositions[0], 'seq-to-one needs at least one input and one target column', 'add a target column (by default the last column is the target)');
  const notInputs = new Set(choice.targets ?? table.columns.slice(-1));
  const inputNames = choice.inputs ?? table.columns.filter((c) => !notInputs.has(c));
  const targetNames = choice.targets ?? table.columns.slice(-1);
  const inputs = pickColumns(table, inputNames, choice.inputsAt, 'input');
  const targets = pickColumns(table, targetNames, choice.targetsAt, 'target');
  requireFilled(table, file, inputs, 'input');
  const partial = { count: 0, at: undefined as Position | undefined };
  const sequences: SequenceData[] = [];
  const parts: SequencePart[] = [];
  table.sequences.forEach((s, n) => {
    // seq-to-one: the reader kept the last `window` rows, one window; columns: every row, split.
    const { spans, leftOut } = task === 'columns' ? windowSpans(s.keptRows, window) : { spans: [{ from: 0, T: s.keptRows }], leftOut: 0 };
    const part: SequencePart = { steps: s.rows, mode: task === 'columns' ? 'split' : 'last', windows: 0, leftOut, noTarget: 0 };
    spans.forEach(({ from, T }, k) => {
      const out = sequence(T, inputs.length, targets.length);
      for (let t = 0; t < T; t++) {
        const row = s.values.subarray((from + t) * width, (from + t + 1) * width);
        inputs.forEach((c, j) => (out.inputs[t * inputs.length + j] = row[c]));
        const filled = targets.filter((c) => !Number.isNaN(row[c])).length;
        const isTarget = task === 'columns' ? filled === targets.length : t === T - 1;
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
        // The first window must have a target (it is what the analysis of a sequence shows); a later one is only left out.
        if (k > 0) return void part.noTarget++;
        fail(file, { line: s.firstLine, column: 1 }, `${label(s.id, n)} has no target values in the ${T} steps analyzed`, `fill the target column${targets.length > 1 ? 's' : ''} (${targetNames.join(', ')}) for some rows, or raise "window"`);
      }
      if (s.rows > T) out.originalT = s.rows;
      sequences.push(out);
      part.windows++;
    });
    parts.push(part);
  });
  if (partial.count > 0) {
    warnings.push({ ref: { file, at: partial.at ?? table.end }, message: `${partial.count} step(s) have some but not all target values; they count as steps without a target` });
  }
  return {
    dataset: { task, loss: 'mse', inputSize: inputs.length, outputSize: targets.length, sequences, inputNames, targetNames, notes: [] },
    parts,
    inputs: inputNames,
    targets: targetNames,
    warnings,
  };
}

/** Series (npy, JSON lists): next-step, split into windows. */
export function fromSeries(series: { values: Float64Array; T: number; at: Position }[], D: number, file: string, window: number): BuiltData {
  const ones = new Ones();
  const split = series.map((s, n) => {
    if (s.T < 2) fail(file, s.at, `${label('', n)} has a single step; next-step prediction needs at least two`, 'give it more steps');
    return nextStepWindows(s.values, s.T, D, window, n === 0, ones);
  });
  return { dataset: { task: 'next-step', loss: 'mse', inputSize: D, outputSize: D, sequences: split.flatMap((w) => w.sequences), notes: [] }, parts: split.map((w) => w.part), warnings: [] };
}

export function fromNpy(array: NpyArray, file: string, window: number): BuiltData {
  const [N, T, D] = array.shape.length === 3 ? array.shape : array.shape.length === 2 ? [1, ...array.shape] : [1, array.shape[0], 1];
  if (N === 0 || T === 0 || D === 0) fail(file, { line: 1, column: 1 }, `the array has shape (${array.shape.join(', ')}): nothing to analyze`, 'save an array with at least two steps');
  const series = Array.from({ length: N }, (_, n) => ({ values: array.data.subarray(n * T * D, (n + 1) * T * D), T, at: { line: 1, column: 1 } }));
  return fromSeries(series, D, file, window);
}

/**
 * JSON { inputs, targets }: a target per step (null = none), split into windows; or one target for the last step
 * (seq-to-one, or a single target for a longer sequence), where the last `window` steps are kept.
 */
export function fromPairs(data: Extract<JsonData, { kind: 'pairs' }>, file: string, task: 'columns' | 'seq-to-one', window: number): BuiltData {
  const { D, O } = data;
  const sequences: SequenceData[] = [];
  const parts = data.sequences.map((s: PairSequence, n): SequencePart => {
    const lastOnly = task === 'seq-to-one' || (s.targets.length === 1 && s.inputs.T > 1);
    const steps = s.inputs.T;
    const kept = Math.min(steps, window);
    const { spans, leftOut } = lastOnly ? { spans: [{ from: steps - kept, T: kept }], leftOut: 0 } : windowSpans(steps, window);
    const part: SequencePart = { steps, mode: lastOnly ? 'last' : 'split', windows: 0, leftOut, noTarget: 0 };
    spans.forEach(({ from, T }, k) => {
      const out = sequence(T, D, O);
      out.inputs.set(s.inputs.values.subarray(from * D, (from + T) * D));
      for (let t = 0; t < T; t++) {
        const target = lastOnly ? (t === T - 1 ? s.targets[s.targets.length - 1] : null) : s.targets[from + t];
        if (target) {
          out.mask[t] = 1;
          out.targets.set(target, t * O);
        }
      }
      if (!out.mask.includes(1)) {
        if (k > 0) return void part.noTarget++;
        fail(file, s.at, `${label('', n)} has no target in the ${T} steps analyzed`, lastOnly ? 'the last entry of "targets" must not be null' : 'give a target for some steps, or raise "window"');
      }
      if (steps > T) out.originalT = steps;
      sequences.push(out);
      part.windows++;
    });
    return part;
  });
  return { dataset: { task, loss: 'mse', inputSize: D, outputSize: O, sequences, notes: [] }, parts, warnings: [] };
}

/** One-hot inputs of characters [from, from+T), targets the indices of characters [from+1, from+T+1). */
function oneHot(ids: CharIndices, from: number, T: number, V: number): { inputs: Float64Array; targets: Float64Array } {
  const inputs = new Float64Array(T * V);
  const targets = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    inputs[t * V + ids[from + t]] = 1;
    targets[t] = ids[from + t + 1];
  }
  return { inputs, targets };
}

/** Keeps the most recently built windows' arrays up to a byte budget and lets the oldest go. */
class Recent {
  private readonly held: { bytes: number; release(): void }[] = [];
  private bytes = 0;
  constructor(private readonly budget: number) {}
  hold(bytes: number, release: () => void): void {
    this.held.push({ bytes, release });
    this.bytes += bytes;
    while (this.bytes > this.budget && this.held.length > 1) {
      const old = this.held.shift()!;
      this.bytes -= old.bytes;
      old.release();
    }
  }
}

/**
 * A char-lm training window whose one-hot inputs (T × V numbers) and targets are built when first read and let go
 * when newer windows need the room: a whole text as one-hot rows would take 8·V bytes per character. The trainer
 * reads a batch's inputs once (into its own buffer) and the targets during the pass, so each is built about once
 * per epoch; targets have their own, smaller budget so a large vocabulary never evicts them mid-batch.
 */
class CharWindow implements SequenceData {
  private x: Float64Array | undefined;
  private y: Float64Array | undefined;
  constructor(
    readonly T: number,
    readonly mask: Uint8Array,
    readonly originalT: number | undefined,
    private readonly ids: CharIndices,
    private readonly from: number,
    private readonly V: number,
    private readonly recentInputs: Recent,
    private readonly recentTargets: Recent,
  ) {}
  get inputs(): Float64Array {
    if (!this.x) {
      this.x = oneHot(this.ids, this.from, this.T, this.V).inputs;
      this.recentInputs.hold(this.x.byteLength, () => (this.x = undefined));
    }
    return this.x;
  }
  get targets(): Float64Array {
    if (!this.y) {
      const y = new Float64Array(this.T);
      for (let t = 0; t < this.T; t++) y[t] = this.ids[this.from + t + 1];
      this.y = y;
      this.recentTargets.hold(y.byteLength, () => (this.y = undefined));
    }
    return this.y;
  }
}

const CHAR_INPUT_BUDGET = 64 * 1024 * 1024;
const CHAR_TARGET_BUDGET = 16 * 1024 * 1024;

/** Character-level LM: one-hot input of character t, target the index of character t+1; the text split into windows. */
export function fromText(corpus: TextCorpus, window: number): BuiltData {
  const V = corpus.vocab.length;
  const steps = corpus.totalChars - 1;
  const { spans, leftOut } = windowSpans(steps, window);
  const ones = new Ones();
  const recentInputs = new Recent(CHAR_INPUT_BUDGET);
  const recentTargets = new Recent(CHAR_TARGET_BUDGET);
  const sequences = spans.map(({ from, T }, k): SequenceData => {
    const originalT = steps > T ? steps : undefined;
    if (k > 0) return new CharWindow(T, ones.get(T), originalT, corpus.ids, from, V, recentInputs, recentTargets);
    // The analyzed window: plain arrays, built now.
    const out: SequenceData = { T, ...oneHot(corpus.ids, from, T, V), mask: new Uint8Array(T).fill(1) };
    if (originalT !== undefined) out.originalT = originalT;
    return out;
  });
  return {
    dataset: { task: 'char-lm', loss: 'xent', inputSize: V, outputSize: V, sequences, vocab: corpus.vocab, notes: [] },
    parts: [{ steps, mode: 'split', windows: sequences.length, leftOut, noTarget: 0 }],
    characters: corpus.totalChars,
    warnings: [],
  };
}
