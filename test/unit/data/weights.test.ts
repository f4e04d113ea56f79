import assert from 'node:assert/strict';
import { readJsonWeights, readSafetensors, writeJsonWeights, writeSafetensors } from '../../../src/data';
import type { Tensor } from '../../../src/protocol/result';
import { expectProblem, fixture, utf8 } from './helpers';

const f32 = (xs: number[]) => Array.from(new Float32Array(xs));

function params(): Map<string, Tensor> {
  return new Map<string, Tensor>([
    ['rnn.weight_ih_l0', { shape: [2, 1], data: new Float64Array([0.5, -0.25]) }],
    ['rnn.weight_hh_l0', { shape: [2, 2], data: new Float64Array([0.1, 0.2, 0.3, -0.4]) }],
    ['rnn.bias_ih_l0', { shape: [2], data: new Float64Array([0.01, 0.02]) }],
    ['rnn.bias_hh_l0', { shape: [2], data: new Float64Array([-0.01, 0.03]) }],
    ['fc.weight', { shape: [1, 2], data: new Float64Array([1.5, -2]) }],
    ['fc.bias', { shape: [1], data: new Float64Array([0.125]) }],
  ]);
}

function headerOf(bytes: Uint8Array): {
  length: number;
  json: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
} {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return { length, json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) };
}

describe('safetensors', () => {
  it('reads files written by the reference safetensors library (F32 and F64, with padding and __metadata__)', () => {
    // The F64 fixture was cast from the same float32 values, so both hold float32-rounded numbers.
    for (const name of ['rnn-h2-reference-f32.safetensors', 'rnn-h2-reference-f64.safetensors']) {
      const tensors = readSafetensors(fixture(name), name);
      assert.deepEqual([...tensors.keys()].sort(), [...params().keys()].sort());
      for (const [key, expected] of params()) {
        assert.deepEqual(tensors.get(key)!.shape, expected.shape, key);
        assert.deepEqual(Array.from(tensors.get(key)!.data), f32(Array.from(expected.data)), key);
      }
    }
  });

  it('reads F16 written by the reference library', () => {
    const half = readSafetensors(fixture('f16-reference.safetensors'), 'f16.safetensors').get('half')!;
    assert.deepEqual(Array.from(half.data), [1, -2.5, 65504, 6.103515625e-5]);
  });

  it('reads BF16 (the top half of a float32)', () => {
    const header = utf8(JSON.stringify({ b: { dtype: 'BF16', shape: [2], data_offsets: [0, 4] } }));
    const bytes = new Uint8Array(8 + header.length + 4);
    new DataView(bytes.buffer).setUint32(0, header.length, true);
    bytes.set(header, 8);
    // 1.5f = 0x3FC00000 and -2f = 0xC0000000: their top 16 bits, little-endian.
    bytes.set([0xc0, 0x3f, 0x00, 0xc0], 8 + header.length);
    assert.deepEqual(Array.from(readSafetensors(bytes, 'b.safetensors').get('b')!.data), [1.5, -2]);
  });

  for (const dtype of ['F32', 'F64'] as const) {
    it(`round-trips ${dtype}, with the data starting on an 8-byte boundary and offsets aligned to the item size`, () => {
      const bytes = writeSafetensors(params(), dtype);
      const { length, json } = headerOf(bytes);
      assert.equal((8 + length) % 8, 0);
      const item = dtype === 'F32' ? 4 : 8;
      let expectedStart = 0;
      for (const [name, t] of params()) {
        assert.equal(json[name].dtype, dtype);
        assert.deepEqual(json[name].shape, t.shape);
        assert.deepEqual(json[name].data_offsets, [expectedStart, expectedStart + t.data.length * item]);
        assert.equal(json[name].data_offsets[0] % item, 0);
        expectedStart += t.data.length * item;
      }
      assert.equal(bytes.length, 8 + length + expectedStart);
      const back = readSafetensors(bytes, 'w.safetensors');
      for (const [name, t] of params()) {
        assert.deepEqual(
          Array.from(back.get(name)!.data),
          dtype === 'F32' ? f32(Array.from(t.data)) : Array.from(t.data),
        );
      }
    });
  }

  it('writes the bytes a hand-built file has: length prefix, space-padded header, little-endian values', () => {
    const one = new Map<string, Tensor>([['fc.bias', { shape: [2], data: new Float64Array([1, -2]) }]]);
    const header =
      '{"__metadata__":{"format":"pt","writer":"unroll"},"fc.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
    const expected = new Uint8Array([
      ...[padded.length, 0, 0, 0, 0, 0, 0, 0],
      ...utf8(padded),
      ...[0x00, 0x00, 0x80, 0x3f], // 1.0f
      ...[0x00, 0x00, 0x00, 0xc0], // -2.0f
    ]);
    assert.deepEqual(writeSafetensors(one, 'F32'), expected);
  });

  it('refuses bad bytes with a clear problem', async () => {
    await expectProblem(() => readSafetensors(new Uint8Array(3), 'w.safetensors'), {
      line: 1,
      column: 1,
      message: /too short/,
    });
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setUint32(0, 1000, true);
    await expectProblem(() => readSafetensors(huge, 'w.safetensors'), {
      line: 1,
      column: 1,
      message: /header length .* does not fit/,
    });
    const notJson = new Uint8Array([4, 0, 0, 0, 0, 0, 0, 0, ...utf8('{oops')].slice(0, 12));
    await expectProblem(() => readSafetensors(notJson, 'w.safetensors'), {
      line: 1,
      column: 9,
      message: /not valid JSON/,
    });
    const build = (entry: unknown, data = 0) => {
      const h = utf8(JSON.stringify({ t: entry }));
      const b = new Uint8Array(8 + h.length + data);
      new DataView(b.buffer).setUint32(0, h.length, true);
      b.set(h, 8);
      return b;
    };
    await expectProblem(
      () => readSafetensors(build({ dtype: 'I64', shape: [1], data_offsets: [0, 8] }, 8), 'w.safetensors'),
      { line: 1, column: 10, message: /tensor "t" has dtype "I64"/ },
    );
    await expectProblem(
      () => readSafetensors(build({ dtype: 'F32', shape: [4], data_offsets: [0, 16] }, 8), 'w.safetensors'),
      { line: 1, column: 10, message: /data_offsets \[0,16\] fall outside the 8 data bytes/ },
    );
    await expectProblem(
      () => readSafetensors(build({ dtype: 'F32', shape: [3], data_offsets: [0, 8] }, 8), 'w.safetensors'),
      { line: 1, column: 10, message: /shape \[3\] of F32 needs 12 bytes/ },
    );
  });
});

describe('JSON weights', () => {
  it('round-trips every tensor with its shape', () => {
    const back = readJsonWeights(writeJsonWeights(params()), 'w.json');
    for (const [name, t] of params()) assert.deepEqual(back.get(name), { shape: t.shape, data: t.data }, name);
  });

  it('points at the ragged row, the non-number and the duplicate', async () => {
    await expectProblem(() => readJsonWeights('{\n  "fc.weight": [[1, 2], [3]]\n}', 'w.json'), {
      line: 2,
      column: 25,
      message: /expected a list of 2 here .* found a list of 1/,
    });
    await expectProblem(() => readJsonWeights('{ "fc.bias": [1, "2"] }', 'w.json'), {
      line: 1,
      column: 18,
      message: /expected a number here, found a string/,
    });
    await expectProblem(() => readJsonWeights('{ "a": [1], "a": [2] }', 'w.json'), {
      line: 1,
      column: 13,
      message: /appears twice/,
    });
    await expectProblem(() => readJsonWeights('[1, 2]', 'w.json'), {
      line: 1,
      column: 1,
      message: /must be an object/,
    });
    await expectProblem(() => readJsonWeights('{ "a": [1e999] }', 'w.json'), {
      line: 1,
      column: 9,
      message: /not a finite number/,
    });
  });
});
