import assert from 'node:assert/strict';
import { readCsv } from '../../../src/data';
import type { CsvOptions } from '../../../src/data/csv';
import { expectProblem, tableSequences, utf8 } from './helpers';

const keepAll: CsvOptions = { keepRows: 1000, keep: 'first' };
const read = (text: string | Uint8Array, options: Partial<CsvOptions> = {}) =>
  readCsv(typeof text === 'string' ? utf8(text) : text, 'd.csv', { ...keepAll, ...options });
const rows = (values: Float64Array, width: number) =>
  Array.from({ length: values.length / width }, (_, r) => Array.from(values.subarray(r * width, (r + 1) * width)));

async function* pieces(bytes: Uint8Array, cuts: number[]): AsyncIterable<Uint8Array> {
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    yield bytes.subarray(from, cut);
    from = cut;
  }
}

describe('CSV reader', () => {
  it('reads a header and numeric columns', async () => {
    const table = await read('a,b\n1,2\n3.5,-4e-2\n');
    assert.deepEqual(table.columns, ['a', 'b']);
    assert.equal(tableSequences(table).length, 1);
    assert.deepEqual(rows(tableSequences(table)[0].values, 2), [
      [1, 2],
      [3.5, -0.04],
    ]);
  });

  it('detects ";" and tab delimiters, and reads .tsv with a forced tab', async () => {
    assert.deepEqual(rows(tableSequences(await read('a;b\n1;2\n3;4\n'))[0].values, 2), [
      [1, 2],
      [3, 4],
    ]);
    assert.deepEqual(rows(tableSequences(await read('a\tb\n1\t2\n3\t4\n'))[0].values, 2), [
      [1, 2],
      [3, 4],
    ]);
    assert.deepEqual((await read('a,b\tc\n1\t2\n', { delimiter: '\t' })).columns, ['a,b', 'c']);
  });

  it('handles quoted fields, CRLF line ends and a byte-order mark', async () => {
    const table = await read('\uFEFF"a","b ""x"""\r\n"1",2\r\n3,"4"\r\n');
    assert.deepEqual(table.columns, ['a', 'b "x"']);
    assert.deepEqual(rows(tableSequences(table)[0].values, 2), [
      [1, 2],
      [3, 4],
    ]);
  });

  it('splits sequences by a "sequence" or "id" column, in order of first appearance', async () => {
    const table = await read('id,x\nb,1\nb,2\na,3\nb,4\n');
    assert.equal(table.sequenceColumn, 'id');
    assert.deepEqual(table.columns, ['x']);
    assert.deepEqual(
      tableSequences(table).map((s) => [s.id, Array.from(s.values)]),
      [
        ['b', [1, 2, 4]],
        ['a', [3]],
      ],
    );
    assert.equal(tableSequences(await read('Sequence,x\n1,1\n2,2\n')).length, 2);
  });

  it('keeps the first or last rows of each sequence and counts them all', async () => {
    const text = 'x\n' + Array.from({ length: 300 }, (_, i) => i).join('\n') + '\n';
    const first = await read(text, { keepRows: 5 });
    assert.deepEqual(Array.from(tableSequences(first)[0].values), [0, 1, 2, 3, 4]);
    assert.equal(tableSequences(first)[0].rows, 300);
    const last = await read(text, { keepRows: 5, keep: 'last' });
    assert.deepEqual(Array.from(tableSequences(last)[0].values), [295, 296, 297, 298, 299]);
  });

  it('keeps every row when keepRows is not given (several blocks while streaming, one array at the end)', async () => {
    const text =
      'id,x,y\n' + Array.from({ length: 5000 }, (_, i) => `${i % 3 === 2 ? 'b' : 'a'},${i},${-i}`).join('\n') + '\n';
    const bytes = utf8(text);
    const table = await readCsv(pieces(bytes, [1000, 20000, 20001, 50000]), 'd.csv', { keep: 'first' });
    const [a, b] = tableSequences(table);
    const ids = Array.from({ length: 5000 }, (_, i) => i);
    assert.deepEqual([a.rows, a.keptRows, b.rows, b.keptRows], [3334, 3334, 1666, 1666]);
    assert.deepEqual(
      rows(a.values, 2),
      ids.filter((i) => i % 3 !== 2).map((i) => [i, i === 0 ? 0 : -i]),
    );
    assert.deepEqual(
      rows(b.values, 2),
      ids.filter((i) => i % 3 === 2).map((i) => [i, i === 0 ? 0 : -i]),
    );
    assert.equal(a.values.length, 3334 * 2);
  });

  it('gives the same table however the bytes are cut into chunks (multi-byte characters included)', async () => {
    const bytes = utf8('"naïve ✓",b\n1,2\n"3",4\n5,6\n');
    const whole = await read(bytes);
    for (let cut = 1; cut < bytes.length; cut++) {
      const chunked = await readCsv(pieces(bytes, [cut]), 'd.csv', keepAll);
      assert.deepEqual(chunked, whole, `cut at ${cut}`);
    }
  });

  it('marks empty cells as NaN and remembers where the first one is', async () => {
    const table = await read('x,y\n1,\n2,3\n');
    assert.ok(Number.isNaN(tableSequences(table)[0].values[1]));
    assert.deepEqual(table.firstEmpty, [undefined, { line: 2, column: 3 }]);
  });

  describe('bad input: one problem with a position and a hint', () => {
    it('empty file', () => expectProblem(() => read(''), { line: 1, column: 1, message: /empty/, hint: /header/ }));
    it('header only', () =>
      expectProblem(() => read('a,b\n'), { line: 1, column: 4, message: /header but no data rows/ }));
    it('header only, blank lines after it', () =>
      expectProblem(() => read('a,b\n\n\n'), { line: 1, column: 4, message: /no data rows/ }));
    it('numbers in the first row', () =>
      expectProblem(() => read('1,2\n3,4\n'), { line: 1, column: 1, message: /needs a header row/, hint: /x1,x2/ }));
    it('ragged row, too few fields', () =>
      expectProblem(() => read('a,b,c\n1,2,3\n4,5\n'), { line: 3, column: 4, message: /2 fields, the header has 3/ }));
    it('ragged row, too many fields', () =>
      expectProblem(() => read('a,b\n1,2\n3,4,5\n'), { line: 3, column: 5, message: /3 fields, the header has 2/ }));
    it('non-numeric cell', () =>
      expectProblem(() => read('a,b\n1,2\n3,abc\n'), {
        line: 3,
        column: 3,
        message: /"abc" is not a number \(column "b"\)/,
      }));
    it('decimal comma in a ";" file', () =>
      expectProblem(() => read('a;b\n1;2,5\n'), {
        line: 2,
        column: 3,
        message: /not a number/,
        hint: /1\.5, not 1,5/,
      }));
    it('NaN cell', () =>
      expectProblem(() => read('a,b\n1,NaN\n'), { line: 2, column: 3, message: /NaN in column "b"/ }));
    it('Inf cell', () =>
      expectProblem(() => read('a,b\n-inf,1\n'), { line: 2, column: 1, message: /-inf in column "a"/ }));
    it('number too large', () => expectProblem(() => read('a\n1e999\n'), { line: 2, column: 1, message: /too large/ }));
    it('duplicate column name', () =>
      expectProblem(() => read('a,b,a\n1,2,3\n'), { line: 1, column: 5, message: /"a" appears twice/ }));
    it('unnamed column', () =>
      expectProblem(() => read('a,,c\n1,2,3\n'), { line: 1, column: 3, message: /column 2 has no name/ }));
    it('unclosed quote', () => expectProblem(() => read('a,b\n1,2\n"3,4\n'), { line: 3, column: 1, message: /quote/ }));
    it('binary data renamed .csv', () =>
      expectProblem(() => read(new Uint8Array([0x61, 0x2c, 0x62, 0x0a, 0x31, 0x00, 0x02])), {
        line: 2,
        column: 2,
        message: /binary data \(a zero byte at offset 5\)/,
      }));
    it('an Excel workbook renamed .csv', () =>
      expectProblem(() => read(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00])), {
        line: 1,
        column: 1,
        message: /zip archive/,
        hint: /export the sheet as CSV/,
      }));
    it('a .npy renamed .csv', () =>
      expectProblem(() => read(new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0])), {
        line: 1,
        column: 1,
        message: /NumPy/,
        hint: /\.npy/,
      }));
    it('invalid UTF-8', () =>
      expectProblem(() => read(new Uint8Array([...utf8('a,b\n1,2\n3,'), 0xff, 0x0a])), {
        line: 3,
        column: 3,
        message: /not valid UTF-8/,
      }));
    it('invalid UTF-8 in a later chunk', () =>
      expectProblem(
        () => readCsv(pieces(new Uint8Array([...utf8('a,b\n1,2\n3,4'), 0xc3, 0x28, 0x0a]), [5, 9]), 'd.csv', keepAll),
        { line: 3, column: 4, message: /not valid UTF-8/ },
      ));
  });
});
