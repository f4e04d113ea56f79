// Issue 10, family 5: peak memory stays within a small multiple of the file size. Sequences live in flat typed arrays
// with offsets (views made on demand), not one object each. Measured in a child process whose heap is capped, so
// garbage that V8 would merely keep around does not count, but anything an input really holds on the heap does.
//
// The floor: a CSV or JSON number takes 2–12 bytes of text and 8 as a float64, kept once as the file's rows; a run
// adds the grouped copy of those rows, the window offsets (16 bytes a window) and the analysis. 10× the file size
// leaves room for that and for the fixed cost of reading (a chunk of text, the parser's rows of one chunk).
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { readJsonData } from '../../src/data';
import { runCli, runCliMeasured, useTempDir } from './helpers';

const FILE_BYTES = 16 * 1024 * 1024;
const HEAP_CAP = ['--max-old-space-size=96'];
const MAX_GROWTH = 10;

/** A CSV of sequences of three rows each ("sequence,x"), about `bytes` long. */
function shortSequencesCsv(bytes: number): string {
  const lines = ['sequence,x'];
  let length = 11;
  for (let r = 0; length < bytes; r++) {
    const line = `${Math.floor(r / 3)},${((r % 97) / 97).toFixed(3)}`;
    lines.push(line);
    length += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

/** A float64 .npy array of shape (N, 2, 1): N sequences of two steps, about `bytes` long. */
function shortSequencesNpy(bytes: number): Uint8Array {
  const N = Math.floor(bytes / 16);
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${N}, 2, 1), }`;
  header += `${' '.repeat(63 - ((10 + header.length) % 64))}\n`;
  const out = new Uint8Array(10 + header.length + 16 * N);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  const data = new Float64Array(out.buffer, 10 + header.length, 2 * N);
  for (let i = 0; i < data.length; i++) data[i] = (i % 89) / 89;
  return out;
}

/** A JSON list of sequences of three one-number steps, about `bytes` long. */
function shortSequencesJson(bytes: number): string {
  const parts: string[] = [];
  let length = 2;
  for (let k = 0; length < bytes; k++) {
    const part = `[[${(k % 7) / 7}],[${(k % 5) / 5}],[${(k % 3) / 3}]]`;
    parts.push(part);
    length += part.length + 1;
  }
  return `[${parts.join(',')}]`;
}

describe('memory: a small multiple of the file size', () => {
  const dir = useTempDir();

  const cases: { name: string; file: string; make: () => string | Uint8Array }[] = [
    { name: 'a CSV of many three-row sequences', file: 'many.csv', make: () => shortSequencesCsv(FILE_BYTES) },
    { name: 'an .npy array of many two-step sequences', file: 'many.npy', make: () => shortSequencesNpy(FILE_BYTES) },
    { name: 'a JSON list of many three-step sequences', file: 'many.json', make: () => shortSequencesJson(FILE_BYTES) },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const file = path.join(dir(), c.file);
      writeFileSync(file, c.make());
      const size = statSync(file).size;
      const run = runCliMeasured(['analyze', c.file], dir(), HEAP_CAP);
      assert.equal(run.code, 0, run.stderr);
      const ratio = run.growthBytes / size;
      console.log(
        `      ${(size / 2 ** 20).toFixed(0)} MB file: peak grew ${(run.growthBytes / 2 ** 20).toFixed(0)} MB (${ratio.toFixed(1)}× the file)`,
      );
      assert.ok(ratio <= MAX_GROWTH, `peak memory grew ${ratio.toFixed(1)}× the file size`);
    });
  }
});

describe('JSON data: an iterative reader', () => {
  const dir = useTempDir();

  it('refuses data nested 5,000 deep with exit 2 and the position where it passes the limit', async () => {
    writeFileSync(path.join(dir(), 'deep.json'), `${'['.repeat(5000)}${']'.repeat(5000)}`);
    const run = await runCli(['analyze', 'deep.json'], dir());
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^deep\.json:1:65: the JSON is nested more than 64 levels deep/);
  });

  it('reads plain lists as the tree reader does (a trailing comma sends them through the tree)', () => {
    for (const list of [
      '[1, 2, 3.5e-3, -4]',
      '[[1, 2], [3, 4], [5, 6]]',
      '// comment\n[[[1], [2]], [[3], [4], [5]]]',
      '[[[1, 2]], [[3, 4], [5, 6]]]',
    ]) {
      const scanned = readJsonData(list, 's.json');
      const tree = readJsonData(list.replace(/]$/, ',]'), 's.json');
      assert.ok(scanned.kind === 'series' && tree.kind === 'series');
      assert.deepEqual(
        [scanned.D, Array.from(scanned.values), Array.from(scanned.starts), scanned.at(0)],
        [tree.D, Array.from(tree.values), Array.from(tree.starts), tree.at(0)],
        list,
      );
    }
  });
});

describe('CSV: a quote that never closes', () => {
  const dir = useTempDir();

  it('is refused once its row passes 4 MB, not carried through a 40 MB file', () => {
    const body = '0.123456\n'.repeat(Math.ceil((40 * 1024 * 1024) / 9));
    writeFileSync(path.join(dir(), 'quote.csv'), `x\n1\n2\n"3\n${body}`);
    const size = statSync(path.join(dir(), 'quote.csv')).size;
    const run = runCliMeasured(['analyze', 'quote.csv'], dir(), HEAP_CAP);
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /^quote\.csv:4:1: this row runs on for more than 4\.0 MB without ending, probably from a double quote that never closes/,
    );
    const ratio = run.growthBytes / size;
    console.log(
      `      ${(size / 2 ** 20).toFixed(0)} MB file: peak grew ${(run.growthBytes / 2 ** 20).toFixed(0)} MB (${ratio.toFixed(1)}× the file)`,
    );
    assert.ok(ratio <= 3, `peak memory grew ${ratio.toFixed(1)}× the file size`);
  });
});
