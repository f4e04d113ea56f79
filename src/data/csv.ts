// CSV/TSV with a header row, parsed by papaparse as the file streams in: only numbers are kept (in blocks while
// streaming, one exact array at the end), so a large file never sits in memory as text plus a parsed copy; rows
// beyond `keepRows` are validated and counted but not stored.
import { parse as papaParse } from 'papaparse';
import { refuseBinary, Utf8ChunkDecoder } from './bytes';
import { fail, listNames, quote, type Position } from './errors';

export interface CsvOptions {
  /** Force a delimiter (tab for .tsv); undefined detects one of `,` `;` tab from the first chunk. */
  delimiter?: string;
  /** Rows kept per sequence (absent: all of them); the rest are checked and counted. */
  keepRows?: number;
  /** Keep the first rows (the usual window) or the last ones (seq-to-one keeps its target). */
  keep: 'first' | 'last';
}

export interface CsvSequence {
  id: string;
  /** Rows the sequence has in the file. */
  rows: number;
  /** Rows kept (≤ keepRows); `values` holds them row-major over the value columns; NaN marks an empty cell. */
  keptRows: number;
  values: Float64Array;
  /** Lines of the sequence's first and last rows, for problems about the whole sequence. */
  firstLine: number;
  lastLine: number;
}

export interface CsvTable {
  /** Header names of the value columns (everything but the sequence column). */
  columns: string[];
  /** Where each value column's header cell is. */
  columnPositions: Position[];
  sequenceColumn?: string;
  sequences: CsvSequence[];
  /** Per value column: the first empty cell, if any (empty is fine for targets, an error for inputs). */
  firstEmpty: (Position | undefined)[];
  /** Where the file ends, for problems about the file as a whole. */
  end: Position;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NOT_FINITE = /^[+-]?(nan|inf|infinity)$/i;
const SEQUENCE_NAMES = ['sequence', 'id'];

/** Read a CSV/TSV from its bytes (or chunks of them) into per-sequence numeric rows. Throws InputError. */
export async function readCsv(input: Uint8Array | AsyncIterable<Uint8Array>, file: string, options: CsvOptions): Promise<CsvTable> {
  const chunks = input instanceof Uint8Array ? [input] : input;
  const decoder = new Utf8ChunkDecoder(file);
  const table = new TableBuilder(file, options);
  const feed = new TextFeed();
  let failure: unknown;
  const config = {
    delimiter: options.delimiter ?? guessDelimiter,
    header: false,
    skipEmptyLines: false,
    chunk: (results: ChunkResults) => table.addChunk(results),
    error: (e: unknown) => (failure ??= e),
  };
  (papaParse as unknown as (input: TextFeed, config: object) => void)(feed, config);
  const push = (text: string) => {
    if (text) feed.emit('data', text);
    if (failure !== undefined) throw failure;
  };
  let first = true;
  for await (const chunk of chunks) {
    if (first && chunk.length > 0) {
      refuseBinary(chunk.subarray(0, 8192), file, 'a CSV file');
      first = false;
    }
    push(decoder.decode(chunk, false));
  }
  push(decoder.decode(new Uint8Array(0), true));
  feed.emit('end');
  if (failure !== undefined) throw failure;
  return table.finish();
}

const DELIMITERS = [',', ';', '\t'];

/**
 * The delimiter that splits the first lines into the same number (> 1) of fields, preferring more fields.
 * (papaparse's own guess counts a trailing blank line and so misses `;` in a three-line file.)
 */
function guessDelimiter(firstChunk: string): string {
  const lines = firstChunk.split(/\r\n|\n|\r/).filter((l) => l.trim() !== '').slice(0, 10);
  if (firstChunk.length > 0 && !/[\r\n]/.test(firstChunk.slice(-1)) && lines.length > 1) lines.pop();
  let best = ',';
  let bestFields = 1;
  for (const d of DELIMITERS) {
    const counts = lines.map((l) => l.split(d).length);
    if (counts.length > 0 && counts.every((c) => c === counts[0]) && counts[0] > bestFields) {
      best = d;
      bestFields = counts[0];
    }
  }
  return best;
}

interface ChunkResults {
  data: string[][];
  errors: { code: string; row?: number; message: string }[];
  meta: { delimiter: string; linebreak: string };
}

/** The shape of a Node readable stream that papaparse's stream input needs, fed by our decoder instead of fs. */
class TextFeed {
  readonly readable = true;
  private readonly listeners = new Map<string, (x?: string) => void>();
  read(): null {
    return null;
  }
  on(event: string, listener: (x?: string) => void): void {
    this.listeners.set(event, listener);
  }
  removeListener(event: string): void {
    this.listeners.delete(event);
  }
  pause(): void {}
  resume(): void {}
  emit(event: 'data' | 'end', text?: string): void {
    this.listeners.get(event)?.(text);
  }
}

/** Rows of the first block; later blocks double up to BLOCK_ROWS_MAX (a small file stays small, a big one has few blocks). */
const BLOCK_ROWS_MIN = 64;
const BLOCK_ROWS_MAX = 65536;

class SequenceRows {
  rows = 0;
  keptRows = 0;
  lastLine: number;
  /** keep 'first': the rows so far, in blocks that are never copied while streaming. */
  private readonly blocks: Float64Array[] = [];
  private blockFill = 0;
  /** keep 'last': a window of up to 2 × keepRows rows that slides. */
  private values: Float64Array;
  constructor(
    readonly id: string,
    readonly firstLine: number,
    private readonly width: number,
    private readonly keepRows: number,
    private readonly keepLast: boolean,
  ) {
    this.values = new Float64Array(keepLast ? width * Math.min(keepRows, 64) : 0);
    this.lastLine = firstLine;
  }

  add(row: Float64Array, line: number): void {
    this.rows++;
    this.lastLine = line;
    if (this.keepLast) this.addLast(row);
    else if (this.keptRows < this.keepRows) this.addFirst(row);
  }

  private addFirst(row: Float64Array): void {
    const width = this.width;
    let block = this.blocks[this.blocks.length - 1];
    if (!block || this.blockFill * width === block.length) {
      const rows = Math.min(BLOCK_ROWS_MAX, BLOCK_ROWS_MIN * 2 ** this.blocks.length, this.keepRows - this.keptRows);
      block = new Float64Array(rows * width);
      this.blocks.push(block);
      this.blockFill = 0;
    }
    block.set(row, this.blockFill * width);
    this.blockFill++;
    this.keptRows++;
  }

  private addLast(row: Float64Array): void {
    if (this.keptRows === 2 * this.keepRows) {
      // Slide the newest keepRows rows to the front: amortized O(1) per row for "keep the last rows".
      this.values.copyWithin(0, this.keepRows * this.width, this.keptRows * this.width);
      this.keptRows = this.keepRows;
    }
    if ((this.keptRows + 1) * this.width > this.values.length) {
      const grown = new Float64Array(Math.max(this.values.length * 2, this.width * 4));
      grown.set(this.values);
      this.values = grown;
    }
    this.values.set(row, this.keptRows * this.width);
    this.keptRows++;
  }

  finish(): CsvSequence {
    const kept = Math.min(this.keptRows, this.keepRows);
    let values: Float64Array;
    if (this.keepLast) {
      const from = this.keptRows - kept;
      values = this.values.slice(from * this.width, (from + kept) * this.width);
    } else if (this.blocks.length === 1) {
      values = this.blocks[0].subarray(0, kept * this.width);
    } else {
      // One exact array for the whole sequence (for a moment next to the blocks, which are then let go).
      values = new Float64Array(kept * this.width);
      let at = 0;
      for (let b = 0; b < this.blocks.length; b++) {
        const used = b === this.blocks.length - 1 ? this.blocks[b].subarray(0, this.blockFill * this.width) : this.blocks[b];
        values.set(used, at);
        at += used.length;
      }
      this.blocks.length = 0;
    }
    return { id: this.id, rows: this.rows, keptRows: kept, values, firstLine: this.firstLine, lastLine: this.lastLine };
  }
}

class TableBuilder {
  private header: string[] | undefined;
  private columnPositions: Position[] = [];
  private sequenceIndex = -1;
  private readonly sequences = new Map<string, SequenceRows>();
  private firstEmpty: (Position | undefined)[] = [];
  /** Where the next row starts. */
  private next: Position = { line: 1, column: 1 };
  private lastRowEnd: Position = { line: 1, column: 1 };
  private delimiter = ',';
  private scratch = new Float64Array(0);

  constructor(
    private readonly file: string,
    private readonly options: CsvOptions,
  ) {}

  addChunk(results: ChunkResults): void {
    this.delimiter = results.meta.delimiter;
    // Lines are counted at '\n' (as in the byte-level positions); a file broken by lone '\r' stays on one line.
    const breaksLine = results.meta.linebreak.includes('\n');
    const rowStarts: Position[] = [];
    const rowEnds: Position[] = [];
    let next = this.next;
    for (const row of results.data) {
      rowStarts.push(next);
      const end = this.cellPosition(row, next, row.length);
      rowEnds.push(end);
      next = breaksLine ? { line: end.line + 1, column: 1 } : { line: end.line, column: end.column + 1 };
    }
    const quoteError = results.errors.find((e) => e.code === 'MissingQuotes' || e.code === 'InvalidQuotes');
    if (quoteError) {
      const at = rowStarts[quoteError.row ?? 0] ?? this.next;
      fail(this.file, at, `${quoteError.message.replace(/\.$/, '')} (a double quote opens a field that never closes properly)`, 'close the quote, or double a quote that is part of the text ("")');
    }
    results.data.forEach((row, i) => this.addRow(row, rowStarts[i], rowEnds[i]));
    this.next = next;
  }

  /** Where field `index` of a row starts (index === row.length: where the row ends). Quotes are not in the fields, so a quoted row's columns come out a little early. */
  private cellPosition(row: string[], start: Position, index: number): Position {
    let at = start;
    for (let k = 0; k < index && k < row.length; k++) at = this.afterField(row, k, at);
    return at;
  }

  /** Where every field of a row starts, found in one pass (a lookup per cell made a 100,000-column header quadratic). */
  private cellPositions(row: string[], start: Position): Position[] {
    const starts = [start];
    for (let k = 0; k < row.length; k++) starts.push(this.afterField(row, k, starts[k]));
    return starts;
  }

  /** The position after field `k` of a row and the delimiter that follows it (every field but the last has one). */
  private afterField(row: string[], k: number, at: Position): Position {
    const field = row[k];
    const lastBreak = field.lastIndexOf('\n');
    let { line, column } = at;
    if (lastBreak === -1) column += field.length;
    else {
      line += count(field, '\n');
      column = field.length - lastBreak;
    }
    if (k < row.length - 1) column += this.delimiter.length;
    return { line, column };
  }

  private addRow(row: string[], rowStart: Position, rowEnd: Position): void {
    if (row.length === 1 && row[0].trim() === '') return;
    this.lastRowEnd = rowEnd;
    let positions: Position[] | undefined;
    const at = (index: number) => (positions ??= this.cellPositions(row, rowStart))[Math.min(index, row.length)];
    if (!this.header) {
      this.readHeader(row, at);
      return;
    }
    const width = this.header.length;
    if (row.length !== width) {
      const where = row.length < width ? at(row.length) : at(width);
      fail(this.file, where, `this row has ${row.length} fields, the header has ${width}`, row.length < width ? 'add the missing values (an empty field is written as two delimiters in a row)' : `remove the extra fields, or quote values that contain "${this.delimiter}"`);
    }
    // One scratch row for the whole file: SequenceRows copies what it keeps.
    if (this.scratch.length !== width - (this.sequenceIndex >= 0 ? 1 : 0)) this.scratch = new Float64Array(width - (this.sequenceIndex >= 0 ? 1 : 0));
    const values = this.scratch;
    let v = 0;
    for (let j = 0; j < width; j++) {
      if (j === this.sequenceIndex) continue;
      values[v] = this.parseCell(row[j], j, v, at);
      v++;
    }
    const id = this.sequenceIndex >= 0 ? row[this.sequenceIndex].trim() : '';
    let sequence = this.sequences.get(id);
    if (!sequence) {
      sequence = new SequenceRows(id, rowStart.line, values.length, this.options.keepRows ?? Infinity, this.options.keep === 'last');
      this.sequences.set(id, sequence);
    }
    sequence.add(values, rowStart.line);
  }

  private parseCell(raw: string, index: number, column: number, at: (index: number) => Position): number {
    const cell = raw.trim();
    const name = this.header![index];
    if (cell === '') {
      this.firstEmpty[column] ??= at(index);
      return NaN;
    }
    if (NUMBER.test(cell)) {
      const value = parseFloat(cell);
      if (Number.isFinite(value)) return value;
      fail(this.file, at(index), `${quote(cell)} is too large for a 64-bit float (column ${quote(name)})`, 'rescale the column');
    }
    if (NOT_FINITE.test(cell)) {
      fail(this.file, at(index), `${cell} in column ${quote(name)}: NaN and Infinity cannot be analyzed`, 'fill the gap (e.g. with the previous value) or drop the row');
    }
    const decimalComma = this.delimiter !== ',' && /^[+-]?\d+,\d+$/.test(cell);
    fail(
      this.file,
      at(index),
      `${quote(cell)} is not a number (column ${quote(name)})`,
      decimalComma ? 'write decimals with a point: 1.5, not 1,5' : `every column except ${SEQUENCE_NAMES.map((n) => `"${n}"`).join('/')} must hold numbers`,
    );
  }

  private readHeader(row: string[], at: (index: number) => Position): void {
    const names = row.map((n) => n.trim());
    if (names.every((n) => n === '' || NUMBER.test(n) || NOT_FINITE.test(n))) {
      fail(this.file, at(0), 'the first row holds numbers, not column names: a CSV file needs a header row', `add a first line naming the columns, e.g. ${listNames(names.map((_, i) => `x${i + 1}`), this.delimiter)}`);
    }
    const columnOf = new Map<string, number>();
    names.forEach((n, i) => {
      if (n === '') fail(this.file, at(i), `column ${i + 1} has no name`, 'give every column a name in the header row');
      const earlier = columnOf.get(n);
      if (earlier !== undefined) fail(this.file, at(i), `column name ${quote(n)} appears twice (columns ${earlier + 1} and ${i + 1})`, 'rename one of them');
      columnOf.set(n, i);
    });
    this.sequenceIndex = names.findIndex((n) => SEQUENCE_NAMES.includes(n.toLowerCase()));
    this.header = names;
    this.columnPositions = names.map((_, i) => at(i)).filter((_, i) => i !== this.sequenceIndex);
    if (this.columnPositions.length === 0) fail(this.file, at(0), 'there is no value column besides the sequence column', 'add at least one numeric column');
  }

  finish(): CsvTable {
    if (!this.header) fail(this.file, { line: 1, column: 1 }, 'the file is empty', 'a CSV file needs a header row and at least two data rows');
    if (this.sequences.size === 0) fail(this.file, this.lastRowEnd, 'the file has a header but no data rows', 'add rows of numbers below the header');
    const columns = this.header.filter((_, i) => i !== this.sequenceIndex);
    return {
      columns,
      columnPositions: this.columnPositions,
      sequenceColumn: this.sequenceIndex >= 0 ? this.header[this.sequenceIndex] : undefined,
      sequences: [...this.sequences.values()].map((s) => s.finish()),
      firstEmpty: columns.map((_, i) => this.firstEmpty[i]),
      end: this.lastRowEnd,
    };
  }
}

function count(text: string, char: string): number {
  let n = 0;
  for (let i = text.indexOf(char); i !== -1; i = text.indexOf(char, i + 1)) n++;
  return n;
}
