// Weights and JSON nesting under hostile input: safetensors as strict as the reference implementation (the Rust
// safetensors crate), no NaN or Infinity weight loaded, deep nesting refused with a position instead of a crash,
// and a header of many tensors read in linear time.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../src/data/errors';
import { readJsonWeights } from '../../src/data/jsonWeights';
import { readSafetensors } from '../../src/data/safetensors';
import type { Problem } from '../../src/protocol/messages';
import { assertLinearGrowth, runCli, useTempDir } from './helpers';

const utf8 = (text: string) => new TextEncoder().encode(text);

/** A safetensors file from a header written as given (names, offsets, duplicates and all) and its data bytes. */
function safetensors(header: string, data: Uint8Array): Uint8Array {
  const json = utf8(header);
  const bytes = new Uint8Array(8 + json.length + data.length);
  new DataView(bytes.buffer).setUint32(0, json.length, true);
  bytes.set(json, 8);
  bytes.set(data, 8 + json.length);
  return bytes;
}

const f32 = (...xs: number[]) => new Uint8Array(new Float32Array(xs).buffer);
const entry = (name: string, dtype: string, shape: number[], start: number, end: number) =>
  `${JSON.stringify(name)}: { "dtype": "${dtype}", "shape": [${shape.join(', ')}], "data_offsets": [${start}, ${end}] }`;

/** The one problem an action throws. */
function theProblem(action: () => unknown): Problem {
  try {
    action();
  } catch (e) {
    if (e instanceof InputError && e.problems.length === 1) return e.problems[0];
    throw e;
  }
  return assert.fail('expected one problem; the file was read');
}

describe('weights under hostile input', function () {
  this.timeout(600_000);

  it('a safetensors header with many tensors is read in linear time (no scan of the file per tensor)', async () => {
    const file = (n: number) =>
      safetensors(
        `{ ${Array.from({ length: n }, (_, i) => entry(`t${i}`, 'F32', [1], 4 * i, 4 * i + 4)).join(', ')} }`,
        new Uint8Array(4 * n),
      );
    const files = new Map([2_000, 20_000].map((n) => [n, file(n)]));
    await assertLinearGrowth('safetensors tensors', (n) => readSafetensors(files.get(n)!, 'w.safetensors'), 2_000);
  });

  describe('safetensors as strict as the reference', () => {
    // Where each problem must point: an offset in the header, which starts at byte 8 (column 9 in a file without line breaks).
    const name = (n: string) => (h: string) => h.lastIndexOf(`"${n}"`);
    const cases: [string, string, Uint8Array, RegExp, (header: string) => number][] = [
      [
        'overlapping data_offsets',
        `{ ${entry('a', 'F32', [2], 0, 8)}, ${entry('b', 'F32', [2], 4, 12)} }`,
        f32(1, 2, 3),
        /tensor "b": data_offsets \[4, 12\] overlap those of "a" \[0, 8\]/,
        name('b'),
      ],
      [
        'a gap between tensors',
        `{ ${entry('a', 'F32', [1], 0, 4)}, ${entry('b', 'F32', [1], 8, 12)} }`,
        f32(1, 2, 3),
        /tensor "b": data_offsets start at 8, but "a" ends at 4: 4 bytes belong to no tensor/,
        name('b'),
      ],
      [
        'bytes after the last tensor',
        `{ ${entry('a', 'F32', [1], 0, 4)} }`,
        f32(1, 2),
        /the tensors cover 4 of the 8 data bytes/,
        name('a'),
      ],
      [
        'a duplicate tensor name',
        `{ ${entry('a', 'F32', [1], 0, 4)}, ${entry('a', 'F32', [1], 4, 8)} }`,
        f32(1, 2),
        /tensor "a" appears twice in the header/,
        name('a'),
      ],
      [
        '__metadata__ that is not a map of strings',
        `{ "__metadata__": { "epoch": 3 }, ${entry('a', 'F32', [1], 0, 4)} }`,
        f32(1),
        /__metadata__ must map names to strings/,
        name('__metadata__'),
      ],
      [
        'a NaN weight (F32)',
        `{ ${entry('w', 'F32', [2, 2], 0, 16)} }`,
        f32(1, 2, NaN, 4),
        /tensor "w": element 2 \(index \[1, 0\]\) is NaN/,
        name('w'),
      ],
      [
        'an infinite weight (F64)',
        `{ ${entry('w', 'F64', [3], 0, 24)} }`,
        new Uint8Array(new Float64Array([0, 0, -Infinity]).buffer),
        /tensor "w": element 2 \(index \[2\]\) is -Infinity/,
        name('w'),
      ],
      [
        'an infinite weight (F16)',
        `{ ${entry('w', 'F16', [1, 2], 0, 4)} }`,
        new Uint8Array([0x00, 0x3c, 0x00, 0x7c]),
        /tensor "w": element 1 \(index \[0, 1\]\) is Infinity/,
        name('w'),
      ],
      // The root object is level 1, so the 64th "[" opens level 65.
      [
        'nesting past the depth limit',
        `{ "__metadata__": ${'['.repeat(100)}${']'.repeat(100)} }`,
        new Uint8Array(0),
        /nests deeper than 64 levels/,
        (h) => h.indexOf('[') + 63,
      ],
    ];
    for (const [what, header, data, message, offset] of cases) {
      it(`refuses ${what}, with a position`, () => {
        const p = theProblem(() => readSafetensors(safetensors(header, data), 'w.safetensors'));
        assert.match(p.message, message);
        assert.deepEqual({ line: p.line, column: p.column }, { line: 1, column: 9 + offset(header) });
      });
    }
  });

  it('JSON weights name the tensor, the element and its index for a value out of range', () => {
    const p = theProblem(() => readJsonWeights('{ "fc.weight": [[1, 2], [3, 1e999]] }', 'w.json'));
    assert.match(p.message, /tensor "fc\.weight": element 3 \(index \[1, 1\]\) is Infinity, not a finite number/);
    assert.deepEqual({ line: p.line, column: p.column }, { line: 1, column: 29 });
  });

  describe('JSON nested 5,000 deep', () => {
    const dir = useTempDir();
    const deep = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;

    it('in a model file: exit 2 at the first bracket past the limit, not a stack overflow', async () => {
      writeFileSync(path.join(dir(), 'm.unroll.json'), `{ "data": "a.csv",\n  "seed": ${deep} }`);
      const { code, stderr } = await runCli(['analyze', 'm.unroll.json'], dir());
      assert.equal(code, 2, stderr);
      // "seed" is at depth 1, so the 64th bracket of its value opens level 65.
      assert.match(stderr, /^m\.unroll\.json:2:74: the JSON nests deeper than 64 levels here/);
    });

    it('in a JSON weights file: exit 2 with the position', async () => {
      writeFileSync(path.join(dir(), 'd.csv'), 'x\n1\n2\n3\n');
      writeFileSync(path.join(dir(), 'w.json'), `{ "fc.bias": ${deep} }`);
      const { code, stderr } = await runCli(['analyze', 'd.csv', '--weights', 'w.json'], dir());
      assert.equal(code, 2, stderr);
      assert.match(stderr, /^w\.json:1:77: the JSON nests deeper than 64 levels here/);
    });
  });
});
