// Readers under hostile input: small files built to be slow (many columns, keys or tensors, long names) must
// cost time linear in their size, and what the user is told stays short however large the file.
import assert from 'node:assert/strict';
import { readCsv } from '../../src/data/csv';
import { didYouMean } from '../../src/data/errors';
import { assertLinearGrowth } from './helpers';

const utf8 = (text: string) => new TextEncoder().encode(text);

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

    it('a 60,000-character near miss in "did you mean" (banded edit distance that gives up early)', async () => {
      const names = (n: number) => ({ typed: `${'x'.repeat(n)}a`, candidates: ['hidden', `${'x'.repeat(n)}b`, 'y'.repeat(n)] });
      const inputs = new Map([6_000, 60_000].map((n) => [n, names(n)]));
      await assertLinearGrowth('did you mean', (n) => didYouMean(inputs.get(n)!.typed, inputs.get(n)!.candidates), 6_000);
      assert.equal(didYouMean(inputs.get(6_000)!.typed, inputs.get(6_000)!.candidates), inputs.get(6_000)!.candidates[1]);
    });
  });
});
