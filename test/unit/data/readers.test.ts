import assert from 'node:assert/strict';
import { readJsonData, readNpy, readText } from '../../../src/data';
import { expectProblem, fixture, utf8 } from './helpers';

describe('text reader', () => {
  it('builds a sorted vocabulary of whole characters, including ones outside the BMP', async () => {
    const corpus = await readText(utf8('ba😀a\nb😀'), 't.txt');
    assert.deepEqual(corpus.vocab, ['\n', 'a', 'b', '😀']);
    assert.deepEqual(
      Array.from(corpus.ids, (i) => corpus.vocab[i]),
      ['b', 'a', '😀', 'a', '\n', 'b', '😀'],
    );
    assert.equal(corpus.totalChars, 7);
  });

  it("orders the vocabulary by Unicode code point, as Python's sorted(set(text)) does (not by UTF-16 unit or locale)", async () => {
    // U+FF21 (Ａ) < U+1F600 (😀) by code point; by UTF-16 units 😀 (0xD83D…) would come first; a locale sort mixes a/B/é.
    const corpus = await readText(utf8('é😀ＡbBa '), 't.txt');
    assert.deepEqual(corpus.vocab, [' ', 'B', 'a', 'b', 'é', 'Ａ', '😀']);
  });

  it('keeps the whole text as vocabulary indices, however the bytes are cut into chunks', async () => {
    const text = 'abcabcxyz é😀'.repeat(3000);
    const bytes = utf8(text);
    async function* pieces(size: number): AsyncIterable<Uint8Array> {
      for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
    }
    for (const size of [1, 7, 4096, bytes.length]) {
      const corpus = await readText(pieces(size), 't.txt');
      assert.equal(corpus.totalChars, [...text].length);
      assert.equal(corpus.ids.length, corpus.totalChars);
      assert.deepEqual(corpus.vocab, [' ', 'a', 'b', 'c', 'x', 'y', 'z', 'é', '😀']);
      assert.equal(Array.from(corpus.ids, (i) => corpus.vocab[i]).join(''), text, `chunks of ${size} bytes`);
    }
  });

  it('stores indices in the narrowest array the vocabulary allows', async () => {
    assert.ok((await readText(utf8('abc'), 't.txt')).ids instanceof Uint8Array);
    const wide = Array.from({ length: 300 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('');
    const corpus = await readText(utf8(wide), 't.txt');
    assert.ok(corpus.ids instanceof Uint16Array);
    assert.equal(corpus.vocab[corpus.ids[299]], String.fromCodePoint(0x4e00 + 299));
  });

  it('refuses empty, single-character, binary and non-UTF-8 files', async () => {
    await expectProblem(() => readText(utf8(''), 't.txt'), { line: 1, column: 1, message: /empty/ });
    await expectProblem(() => readText(utf8('x'), 't.txt'), { line: 1, column: 1, message: /single character/ });
    await expectProblem(() => readText(new Uint8Array([0x68, 0x0a, 0x69, 0x00]), 't.txt'), {
      line: 2,
      column: 2,
      message: /binary data/,
    });
    await expectProblem(() => readText(new Uint8Array([0x68, 0x69, 0x0a, 0x68, 0xe2, 0x82]), 't.txt'), {
      line: 2,
      column: 4,
      message: /not valid UTF-8/,
    });
  });
});

describe('JSON sequence reader', () => {
  it('reads a list of numbers as one sequence with one feature', () => {
    const data = readJsonData('[1, 2, 3]', 's.json');
    assert.equal(data.kind, 'series');
    assert.equal(data.D, 1);
    assert.deepEqual(data.kind === 'series' && [Array.from(data.values), Array.from(data.starts)], [
      [1, 2, 3],
      [0, 3],
    ]);
  });

  it('reads a list of vectors, and a list of sequences of different lengths', () => {
    const one = readJsonData('[[1, 2], [3, 4], [5, 6]]', 's.json');
    assert.equal(one.kind === 'series' && one.starts.length - 1, 1);
    assert.equal(one.D, 2);
    const many = readJsonData('// two sequences\n[[[1], [2]], [[3], [4], [5]]]', 's.json');
    assert.equal(many.kind === 'series' && Array.from(many.starts).join(), '0,2,5');
  });

  it('reads { inputs, targets } with null for steps without a target, alone or in a list', () => {
    const single = readJsonData('{ "inputs": [[1], [2]], "targets": [null, [3]] }', 's.json');
    assert.ok(single.kind === 'pairs');
    assert.equal(single.O, 1);
    assert.deepEqual(
      single.sequences[0].targets.map((t) => t && Array.from(t)),
      [null, [3]],
    );
    const list = readJsonData('[{ "inputs": [1, 2], "targets": [5] }, { "inputs": [3, 4], "targets": [7] }]', 's.json');
    assert.ok(list.kind === 'pairs');
    assert.equal(list.sequences.length, 2);
  });

  it('points at the offending value', async () => {
    await expectProblem(() => readJsonData('[1, 2,', 's.json'), { line: 1, column: 7, message: /invalid JSON/ });
    await expectProblem(() => readJsonData('', 's.json'), { line: 1, column: 1, message: /empty/ });
    await expectProblem(() => readJsonData('[]', 's.json'), { line: 1, column: 1, message: /list is empty/ });
    await expectProblem(() => readJsonData('[[1, 2],\n [3]]', 's.json'), {
      line: 2,
      column: 2,
      message: /expected a list of 2/,
    });
    await expectProblem(() => readJsonData('[1, "x"]', 's.json'), { line: 1, column: 5, message: /expected a number/ });
    await expectProblem(() => readJsonData('"hello"', 's.json'), { line: 1, column: 1, message: /found a string/ });
    await expectProblem(() => readJsonData('{ "inputs": [1, 2, 3], "targets": [1, 2] }', 's.json'), {
      line: 1,
      column: 35,
      message: /"targets" has 2 entries, "inputs" has 3 steps/,
    });
    await expectProblem(() => readJsonData('{ "inputs": [1], "outputs": [1] }', 's.json'), {
      line: 1,
      column: 18,
      message: /unknown field "outputs"/,
    });
    await expectProblem(() => readJsonData('{ "inputs": [1, 2], "targets": [null, null] }', 's.json'), {
      line: 1,
      column: 1,
      message: /no targets/,
    });
    await expectProblem(() => readJsonData('[[[1, 2]], [[3]]]', 's.json'), {
      line: 1,
      column: 12,
      message: /1 features per step, the first has 2/,
    });
  });
});

describe('.npy reader', () => {
  const matrix = [0.5, -1.25, 2, 3.5, 4, 1e-3];
  const f32 = (xs: number[]) => Array.from(new Float32Array(xs));

  it('reads version 1, 2 and 3 headers, float32 and float64, little- and big-endian', () => {
    const cases: [string, number[], number[]][] = [
      ['v1-f8-2d.npy', [3, 2], matrix],
      ['v1-f4-1d.npy', [4], [1.5, 2.5, -3, 4.25]],
      ['v1-f8-big-endian.npy', [3, 2], matrix],
      ['v1-f4-big-endian.npy', [3, 2], f32(matrix)],
      ['v2-f8-3d.npy', [2, 3, 2], Array.from({ length: 12 }, (_, i) => i / 4)],
      ['v3-f4-2d.npy', [3, 2], f32(matrix)],
    ];
    for (const [name, shape, values] of cases) {
      const array = readNpy(fixture(name), name);
      assert.deepEqual(array.shape, shape, name);
      assert.deepEqual(Array.from(array.data), values, name);
    }
  });

  it('explains what is wrong with unsupported or damaged arrays', async () => {
    await expectProblem(() => readNpy(fixture('int64.npy'), 'a.npy'), {
      line: 1,
      column: 12,
      message: /dtype '<i8' \(int64\) is not supported/,
      hint: /astype/,
    });
    await expectProblem(() => readNpy(fixture('fortran.npy'), 'a.npy'), {
      line: 1,
      column: 28,
      message: /Fortran/,
      hint: /ascontiguousarray/,
    });
    await expectProblem(() => readNpy(fixture('truncated.npy'), 'a.npy'), {
      line: 2,
      column: 44,
      message: /truncated: shape \(3, 2\) needs 48 data bytes, the file has 43/,
    });
    await expectProblem(() => readNpy(fixture('4d.npy'), 'a.npy'), { line: 1, column: 52, message: /4 dimensions/ });
    await expectProblem(() => readNpy(fixture('nan.npy'), 'a.npy'), {
      line: 2,
      column: 9,
      message: /element \[1\] is NaN/,
    });
    await expectProblem(() => readNpy(utf8('x,y\n1,2\n'), 'a.npy'), { line: 1, column: 1, message: /not a NumPy/ });
    await expectProblem(() => readNpy(fixture('v1-f8-2d.npy').subarray(0, 9), 'a.npy'), {
      line: 1,
      column: 1,
      message: /truncated/,
    });
    await expectProblem(() => readNpy(fixture('v1-f8-2d.npy').subarray(0, 40), 'a.npy'), {
      line: 1,
      column: 41,
      message: /truncated: its header says/,
    });
  });
});
