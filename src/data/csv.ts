// CSV/TSV with a header row, parsed by papaparse as the file streams in: only numbers are kept, every row in one
// growing array with its sequence's number beside it (grouped by sequence at the end), so a large file never sits in
// memory as text plus a parsed copy, and a sequence costs a few numbers, not an object.
import { parse as papaParse } from 'papaparse';
import { refuseBinary, Utf8ChunkDecoder } from './bytes';
import { fail, formatBytes, listNames, quote, type Position } from './errors';
import { grown } from './growing';

export interface CsvOptions {
  /** Force a delimiter (tab for .tsv); undefined detects one of `,` `;` tab from the first chunk. */
  delimiter?: string;
  /** Rows kept per sequence (absent: all of them); the rest are checked and counted. */
  keepRows?: number;
  /** Keep the first rows (the usual window) or the last ones (seq-to-one keeps its target). */
  keep: 'first' | 'last';
  /**
   * Columns that together hold one class per row (a cross-entropy target): on every row either all empty, or all 0
   * but a single 1. A row that is not is refused at its cell. Names not in the header are left to the caller.
   */
  oneHot?: string[];
}

/** The sequences of a table, in order of first appearance: one entry each in flat arrays. */
export interface CsvSequences {
  /** Values of the sequence column ('' without one). */
  ids: string[];
  /** Rows each has in the file. */
  rows: Int32Array;
  /** Rows kept (≤ keepRows), and the row of the table's `values` where they start. */
  keptRows: Int32Array;
  start: Int32Array;
  /** Lines of each one's first and last rows, for problems about a whole sequence. */
  firstLine: Int32Array;
  lastLine: Int32Array;
}

export interface CsvTable {
  /** Header names of the value columns (everything but the sequence column). */
  columns: string[];
  /** Where each value column's header cell is. */
  columnPositions: Position[];
  sequenceColumn?: string;
  /** The kept rows of every sequence, grouped by sequence, row-major over the value columns; NaN marks an empty cell. */
  values: Float64Array;
  sequences: CsvSequences;
  /** Per value column: the first empty cell, if any (empty is fine for targets, an error for inputs). */
  firstEmpty: (Position | undefined)[];
  /** Where the file ends, for problems about the file as a whole. */
  end: Position;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NOT_FINITE = /^[+-]?(nan|inf|infinity)$/i;
const SEQUENCE_NAMES = ['sequence', 'id'];

/** Read a CSV/TSV from its bytes (or chunks of them) into per-sequence numeric rows. Throws InputError. */
export async function readCsv(
  input: Uint8Array | AsyncIterable<Uint8Array>,
  file: string,
  options: CsvOptions,
): Promise<CsvTable> {
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
  // papaparse turns a piece of text into an array of rows of strings at once: small pieces keep that garbage small.
  // It also keeps an unfinished row and parses it again with every piece, so a row that never ends (a quote that
  // never closes) is refused once it passes MAX_ROW_CHARS, instead of being carried to the end of the file.
  let unfinished = 0;
  const push = (text: string) => {
    for (let from = 0; from < text.length; from += PIECE_CHARS) {
      const rows = table.rowsSeen;
      const piece = text.slice(from, from + PIECE_CHARS);
      feed.emit('data', piece);
      if (failure !== undefined) throw failure;
      unfinished = table.rowsSeen > rows ? 0 : unfinished + piece.length;
      if (unfinished > MAX_ROW_CHARS) {
        fail(
          file,
          table.nextRowStart,
          `this row runs on for more than ${formatBytes(MAX_ROW_CHARS)} without ending, probably from a double quote that never closes`,
          'close the quote (or double a quote that is part of the text: ""), or break the line',
        );
      }
    }
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
const PIECE_CHARS = 1 << 16;
/** A row longer than this is refused (a header of 100,000 columns is about 2 MB; rows of numbers are far shorter). */
const MAX_ROW_CHARS = 4 * 1024 * 1024;

/**
 * The delimiter that splits the first lines into the same number (> 1) of fields, preferring more fields.
 * (papaparse's own guess counts a trailing blank line and so misses `;` in a three-line file.)
 */
function guessDelimiter(firstChunk: string): string {
  const lines = firstChunk
    .split(/\r\n|\n|\r/)
    .filter((l) => l.trim() !== '')
    .slice(0, 10);
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

/** Numbers per block of rows: a block is half a megabyte however wide the rows. */
const BLOCK_NUMBERS = 1 << 16;

/**
 * Every row of the file as it comes, in blocks that are never copied while streaming (a growing array would hold
 * twice the rows for a moment), with the number of its sequence beside each row.
 */
class Rows {
  private readonly blocks: { values: Float64Array; sequence: Int32Array }[] = [];
  private readonly perBlock: number;
  private fill: number;
  count = 0;
  constructor(private readonly width: number) {
    this.perBlock = Math.max(1, Math.floor(BLOCK_NUMBERS / width));
    this.fill = this.perBlock;
  }
  add(row: Float64Array, sequence: number): void {
    if (this.fill === this.perBlock) {
      this.blocks.push({
        values: new Float64Array(this.perBlock * this.width),
        sequence: new Int32Array(this.perBlock),
      });
      this.fill = 0;
    }
    const block = this.blocks[this.blocks.length - 1];
    block.values.set(row, this.fill * this.width);
    block.sequence[this.fill++] = sequence;
    this.count++;
  }
  /** Every row in file order: its sequence, and its numbers at values[at…]. */
  forEach(each: (sequence: number, values: Float64Array, at: number) => void): void {
    this.blocks.forEach((block, b) => {
      const rows = b === this.blocks.length - 1 ? this.fill : this.perBlock;
      for (let r = 0; r < rows; r++) each(block.sequence[r], block.values, r * this.width);
    });
  }
}

/** Per sequence, in order of first appearance. */
class SequenceIndex {
  readonly ids: string[] = [];
  private readonly byId = new Map<string, number>();
  private rows: Int32Array = new Int32Array(16);
  private firstLine: Int32Array = new Int32Array(16);
  private lastLine: Int32Array = new Int32Array(16);
  /** The number of the sequence `id`, counting a row of it at `line`. */
  row(id: string, line: number): number {
    let n = this.byId.get(id);
    if (n === undefined) {
      n = this.ids.length;
      this.byId.set(id, n);
      this.ids.push(id);
      if (n === this.rows.length) {
        this.rows = grown(this.rows, 2 * n);
        this.firstLine = grown(this.firstLine, 2 * n);
        this.lastLine = grown(this.lastLine, 2 * n);
      }
      this.firstLine[n] = line;
    }
    this.rows[n]++;
    this.lastLine[n] = line;
    return n;
  }

  /** The rows grouped by sequence, each cut to its first or last `keepRows` rows. */
  finish(
    all: Rows,
    width: number,
    keepRows: number,
    keepLast: boolean,
  ): { values: Float64Array; sequences: CsvSequences } {
    const N = this.ids.length;
    const rows = this.rows.slice(0, N);
    const keptRows = rows.map((r) => Math.min(r, keepRows));
    const start = new Int32Array(N);
    for (let n = 1; n < N; n++) start[n] = start[n - 1] + keptRows[n - 1];
    const total = N > 0 ? start[N - 1] + keptRows[N - 1] : 0;
    // Row k of sequence n (0-based in the file) goes to start[n] + k − (rows[n] − keptRows[n]) when keeping the last.
    const values = new Float64Array(total * width);
    const seen = new Int32Array(N);
    all.forEach((n, row, from) => {
      const k = seen[n]++;
      const at = keepLast ? k - (rows[n] - keptRows[n]) : k;
      if (at >= 0 && at < keptRows[n]) values.set(row.subarray(from, from + width), (start[n] + at) * width);
    });
    return {
      values,
      sequences: {
        ids: this.ids,
        rows,
        keptRows,
        start,
        firstLine: this.firstLine.slice(0, N),
        lastLine: this.lastLine.slice(0, N),
      },
    };
  }
}

class TableBuilder {
  private header: string[] | undefined;
  private columnPositions: Position[] = [];
  private sequenceIndex = -1;
  private readonly sequences = new SequenceIndex();
  private rows: Rows | undefined;
  private firstEmpty: (Position | undefined)[] = [];
  /** Where the next row starts. */
  private next: Position = { line: 1, column: 1 };
  private lastRowEnd: Position = { line: 1, column: 1 };
  private delimiter = ',';
  private scratch = new Float64Array(0);
  /** Header index and value index of each one-hot column. */
  private oneHot: { index: number; value: number }[] = [];

  constructor(
    private readonly file: string,
    private readonly options: CsvOptions,
  ) {}

  /** Rows parsed so far, and where the next one starts. */
  rowsSeen = 0;
  get nextRowStart(): Position {
    return this.next;
  }

  addChunk(results: ChunkResults): void {
    this.rowsSeen += results.data.length;
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
      fail(
        this.file,
        at,
        `${quoteError.message.replace(/\.$/, '')} (a double quote opens a field that never closes properly)`,
        'close the quote, or double a quote that is part of the text ("")',
      );
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
      fail(
        this.file,
        where,
        `this row has ${row.length} fields, the header has ${width}`,
        row.length < width
          ? 'add the missing values (an empty field is written as two delimiters in a row)'
          : `remove the extra fields, or quote values that contain "${this.delimiter}"`,
      );
    }
    // One scratch row for the whole file: SequenceRows copies what it keeps.
    if (this.scratch.length !== width - (this.sequenceIndex >= 0 ? 1 : 0))
      this.scratch = new Float64Array(width - (this.sequenceIndex >= 0 ? 1 : 0));
    const values = this.scratch;
    let v = 0;
    for (let j = 0; j < width; j++) {
      if (j === this.sequenceIndex) continue;
      values[v] = this.parseCell(row[j], j, v, at);
      v++;
    }
    if (this.oneHot.length > 0) this.checkOneHot(values, at);
    const id = this.sequenceIndex >= 0 ? row[this.sequenceIndex].trim() : '';
    this.rows ??= new Rows(values.length);
    this.rows.add(values, this.sequences.row(id, rowStart.line));
  }

  private checkOneHot(values: Float64Array, at: (index: number) => Position): void {
    const cols = this.oneHot;
    const names = () => cols.map((c) => this.header![c.index]).join(', ');
    const filled = cols.filter((c) => !Number.isNaN(values[c.value]));
    if (filled.length === 0) return;
    const hint = `with "loss": "xent" the target columns (${names()}) hold one class per row: a 1 in its column, 0 in the others, or all empty for a step without a target`;
    if (filled.length < cols.length) {
      const empty = cols.find((c) => Number.isNaN(values[c.value]))!;
      fail(
        this.file,
        at(empty.index),
        `empty cell in target column ${quote(this.header![empty.index])} while other target cells of this row are filled`,
        hint,
      );
    }
    let ones = 0;
    for (const c of cols) {
      const v = values[c.value];
      if (v !== 0 && v !== 1)
        fail(
          this.file,
          at(c.index),
          `${v} in target column ${quote(this.header![c.index])} is not 0 or 1: the row is not one-hot`,
          hint,
        );
      if (v === 1 && ++ones > 1)
        fail(
          this.file,
          at(c.index),
          `a second 1 in target column ${quote(this.header![c.index])}: the row is not one-hot`,
          hint,
        );
    }
    if (ones === 0)
      fail(this.file, at(cols[0].index), `every target cell of this row is 0: the row is not one-hot`, hint);
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
      fail(
        this.file,
        at(index),
        `${quote(cell)} is too large for a 64-bit float (column ${quote(name)})`,
        'rescale the column',
      );
    }
    if (NOT_FINITE.test(cell)) {
      fail(
        this.file,
        at(index),
        `${cell} in column ${quote(name)}: NaN and Infinity cannot be analyzed`,
        'fill the gap (e.g. with the previous value) or drop the row',
      );
    }
    const decimalComma = this.delimiter !== ',' && /^[+-]?\d+,\d+$/.test(cell);
    fail(
      this.file,
      at(index),
      `${quote(cell)} is not a number (column ${quote(name)})`,
      decimalComma
        ? 'write decimals with a point: 1.5, not 1,5'
        : `every column except ${SEQUENCE_NAMES.map((n) => `"${n}"`).join('/')} must hold numbers`,
    );
  }

  private readHeader(row: string[], at: (index: number) => Position): void {
    const names = row.map((n) => n.trim());
    if (names.every((n) => n === '' || NUMBER.test(n) || NOT_FINITE.test(n))) {
      fail(
        this.file,
        at(0),
        'the first row holds numbers, not column names: a CSV file needs a header row',
        `add a first line naming the columns, e.g. ${listNames(
          names.map((_, i) => `x${i + 1}`),
          this.delimiter,
        )}`,
      );
    }
    const columnOf = new Map<string, number>();
    names.forEach((n, i) => {
      if (n === '') fail(this.file, at(i), `column ${i + 1} has no name`, 'give every column a name in the header row');
      const earlier = columnOf.get(n);
      if (earlier !== undefined)
        fail(
          this.file,
          at(i),
          `column name ${quote(n)} appears twice (columns ${earlier + 1} and ${i + 1})`,
          'rename one of them',
        );
      columnOf.set(n, i);
    });
    this.sequenceIndex = names.findIndex((n) => SEQUENCE_NAMES.includes(n.toLowerCase()));
    this.header = names;
    const valueIndex = (i: number) => i - (this.sequenceIndex >= 0 && i > this.sequenceIndex ? 1 : 0);
    this.oneHot = (this.options.oneHot ?? [])
      .map((n) => names.indexOf(n))
      .filter((i) => i >= 0 && i !== this.sequenceIndex)
      .map((index) => ({ index, value: valueIndex(index) }));
    this.columnPositions = names.map((_, i) => at(i)).filter((_, i) => i !== this.sequenceIndex);
    if (this.columnPositions.length === 0)
      fail(this.file, at(0), 'there is no value column besides the sequence column', 'add at least one numeric column');
  }

  finish(): CsvTable {
    if (!this.header)
      fail(
        this.file,
        { line: 1, column: 1 },
        'the file is empty',
        'a CSV file needs a header row and at least two data rows',
      );
    if (!this.rows)
      fail(
        this.file,
        this.lastRowEnd,
        'the file has a header but no data rows',
        'add rows of numbers below the header',
      );
    const columns = this.header.filter((_, i) => i !== this.sequenceIndex);
    const { values, sequences } = this.sequences.finish(
      this.rows,
      columns.length,
      this.options.keepRows ?? Infinity,
      this.options.keep === 'last',
    );
    this.rows = undefined;
    return {
      columns,
      columnPositions: this.columnPositions,
      sequenceColumn: this.sequenceIndex >= 0 ? this.header[this.sequenceIndex] : undefined,
      values,
      sequences,
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
