// Readers under hostile input: small files built to be slow (many columns, keys or tensors, long names) must
// cost time linear in their size, and what the user is told stays short however large the file.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { readCsv } from '../../src/data/csv';
import { didYouMean, InputError } from '../../src/data/errors';
import { parseModelFile } from '../../src/data/modelFile';
import { assertLinearGrowth, runCli, useTempDir } from './helpers';

const utf8 = (text: string) => new TextEncoder().encode(text);

/** The problems an action throws (it must throw an InputError). */
function problemsOf(action: () => unknown) {
  try {
    action();
  } catch (e) {
    if (e instanceof InputError) return e.problems;
    throw e;
  }
  return assert.fail('expected an InputError');
}

/** A model file with `n` fields it does not know, one per line. */
const unknownKeys = (n: number) =>
  `{ "data": "a.csv",\n${Array.from({ length: n }, (_, i) => `  "unknownKey${i}": ${i}`).join(',\n')}\n}\n`;

describe('readers under hostile input', function () {
  // Before the fixes the large runs below took seconds to minutes; a quadratic step fails on the ratio.
  this.timeout(600_000);

  describe('linear time', () => {
    it('a CSV header with many columns (one position index per row, not a scan per cell)', async () => {
      const csv = (columns: number) => {
        const header = Array.from({ length: columns }, (_, i) => `c${i}`).join(',');
        // Empty cells in the first data row: each one records where it is.
        const empty = ','.repeat(columns - 1);
        const row = Array.from({ length: columns }, (_, i) => i % 10).join(',');
        return utf8(`${header}\n${empty}\n${row}\n`);
      };
      const files = new Map([2_000, 20_000].map((n) => [n, csv(n)]));
      await assertLinearGrowth('CSV columns', (n) => readCsv(files.get(n)!, 'wide.csv', { keep: 'first' }), 2_000);
    });

    it('a model file with many unknown or repeated keys (no stringify of the file, no scan per problem)', async () => {
      const texts = new Map([1_000, 10_000].map((n) => [n, unknownKeys(n)]));
      await assertLinearGrowth(
        'unknown model fields',
        (n) => problemsOf(() => parseModelFile(texts.get(n)!, 'm.unroll.json')),
        1_000,
      );
      const repeated = (n: number) =>
        `{ "data": "a.csv",\n${Array.from({ length: n }, () => '  "seed": 1').join(',\n')}\n}\n`;
      const repeats = new Map([1_000, 10_000].map((n) => [n, repeated(n)]));
      await assertLinearGrowth(
        'repeated model fields',
        (n) => problemsOf(() => parseModelFile(repeats.get(n)!, 'm.unroll.json')),
        1_000,
      );
    });

    it('a 60,000-character near miss in "did you mean" (banded edit distance that gives up early)', async () => {
      const names = (n: number) => ({
        typed: `${'x'.repeat(n)}a`,
        candidates: ['hidden', `${'x'.repeat(n)}b`, 'y'.repeat(n)],
      });
      const inputs = new Map([6_000, 60_000].map((n) => [n, names(n)]));
      await assertLinearGrowth(
        'did you mean',
        (n) => didYouMean(inputs.get(n)!.typed, inputs.get(n)!.candidates),
        6_000,
      );
      assert.equal(
        didYouMean(inputs.get(6_000)!.typed, inputs.get(6_000)!.candidates),
        inputs.get(6_000)!.candidates[1],
      );
    });
  });

  describe('bounded error text', () => {
    const dir = useTempDir();

    // README: at most 30 lines, the 30th counting the rest when there are more.
    it('lists at most 30 problems, then one line that counts the rest', async () => {
      writeFileSync(path.join(dir(), 'm.unroll.json'), unknownKeys(10_000));
      const { code, stderr } = await runCli(['analyze', 'm.unroll.json'], dir());
      const lines = stderr.trimEnd().split('\n');
      assert.equal(code, 2);
      assert.equal(lines.length, 30);
      assert.match(lines[0], /^m\.unroll\.json:2:3: unknown field "unknownKey0"/);
      assert.match(
        lines[29],
        /^m\.unroll\.json:31:3: and 9,971 more problems \(hint: fix the ones listed and run again to see the rest\)$/,
      );
      // Exactly 30 fit: all listed, nothing counted.
      writeFileSync(path.join(dir(), 'm.unroll.json'), unknownKeys(30));
      const thirty = (await runCli(['analyze', 'm.unroll.json'], dir())).stderr.trimEnd().split('\n');
      assert.equal(thirty.length, 30);
      assert.match(thirty[29], /^m\.unroll\.json:31:3: unknown field "unknownKey29"/);
    });

    it('quotes at most about 80 characters of a cell or a name, on one line', async () => {
      const huge = '9'.repeat(3_000_000); // under the 4 MB row limit, so the cell itself is what is reported
      writeFileSync(path.join(dir(), 'cell.csv'), `x,y\n1,2\n${huge},3\n`);
      const cell = await runCli(['analyze', 'cell.csv'], dir());
      assert.equal(cell.code, 2);
      assert.ok(cell.stderr.length < 400, `${cell.stderr.length} characters of error text`);
      assert.match(cell.stderr, /^cell\.csv:3:1: "9{79}…" is too large for a 64-bit float \(column "x"\)/);
      const columns = Array.from({ length: 100_000 }, (_, i) => `c${i}`);
      writeFileSync(path.join(dir(), 'wide.csv'), `${columns.join(',')}\n${columns.map(() => 1).join(',')}\n`);
      writeFileSync(
        path.join(dir(), 'wide.unroll.json'),
        JSON.stringify({ data: 'wide.csv', task: 'columns', inputs: ['c1'], targets: ['nope'] }),
      );
      const hint = await runCli(['analyze', 'wide.unroll.json'], dir());
      assert.equal(hint.code, 2);
      assert.match(hint.stderr, /its columns are c0, c1, .*, c11, … \(and 99,988 more\)\)$/m);
      assert.ok(hint.stderr.length < 400, `${hint.stderr.length} characters of error text`);
      const name = `bad\n${'n'.repeat(1_000_000)}`;
      writeFileSync(path.join(dir(), 'name.unroll.json'), JSON.stringify({ data: 'a.csv', [name]: 1 }));
      const key = await runCli(['analyze', 'name.unroll.json'], dir());
      assert.equal(key.code, 2);
      assert.equal(key.stderr.trimEnd().split('\n').length, 1);
      assert.ok(key.stderr.length < 600, `${key.stderr.length} characters of error text`);
    });
  });
});
