// One-hot inputs: the gather and scatter-add of oneHot.ts against the dense products they replace, bit for bit (−0
// included), in both precisions, and a network on one-hot inputs against the same network made to take the dense path.
import assert from 'node:assert/strict';
import { gemmNT, gemmTNAcc } from '../../../src/engine/linalg';
import { ONE_HOT_SLICE, oneHotIndices, oneHotProjection, oneHotWeightGrad } from '../../../src/engine/oneHot';
import { Network } from '../../../src/engine/network';
import { initParams } from '../../../src/engine/params';
import { Rng } from '../../../src/engine/rng';
import type { SequenceData } from '../../../src/engine/types';
import type { Precision } from '../../../src/protocol/result';
import { model } from './helpers';

const PRECISIONS: Precision[] = ['float64', 'float32'];

function sameBits(actual: Float64Array, expected: Float64Array, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++)
    if (!Object.is(actual[i], expected[i])) assert.fail(`${what}[${i}]: ${actual[i]} ≠ ${expected[i]}`);
}

function oneHotRows(R: number, D: number, rng: Rng): { X: Float64Array; ids: Int32Array } {
  const X = new Float64Array(R * D);
  const ids = new Int32Array(R);
  for (let r = 0; r < R; r++) {
    ids[r] = rng.int(D);
    X[r * D + ids[r]] = 1;
  }
  return { X, ids };
}

/** Values over many magnitudes (so the grouping of a sum shows in its bits), with exact and negative zeros. */
function wide(n: number, rng: Rng): Float64Array {
  return new Float64Array(n).map((_, i) =>
    i % 11 === 3 ? 0 : i % 11 === 7 ? -0 : rng.range(-1, 1) * Math.pow(10, rng.range(-6, 6)),
  );
}

describe('one-hot products', () => {
  it('oneHotIndices accepts rows of one 1 and +0s, and refuses −0, a 2, two 1s and an empty row', () => {
    const ids = new Int32Array(3);
    assert.equal(oneHotIndices(3, 3, Float64Array.from([0, 1, 0, 1, 0, 0, 0, 0, 1]), 0, ids), true);
    assert.deepEqual(Array.from(ids), [1, 0, 2]);
    for (const bad of [
      [0, 1, -0],
      [0, 2, 0],
      [1, 1, 0],
      [0, 0, 0],
      [0, 1, NaN],
    ])
      assert.equal(oneHotIndices(1, 3, Float64Array.from(bad), 0, ids), false, `[${bad.join(', ')}]`);
  });

  for (const precision of PRECISIONS) {
    it(`the gather equals gemmNT + bias bit for bit (${precision}, −0 weights, N off the panels)`, () => {
      const rng = new Rng(1);
      const R = 600,
        N = 21,
        D = 7;
      const { X, ids } = oneHotRows(R, D, rng);
      const W = wide(N * D, rng);
      W[5] = precision === 'float32' ? 3.3e38 : 1e300; // large, still finite in the precision
      const bias = wide(N, rng);
      const dense = new Float64Array(R * N);
      gemmNT(R, N, D, X, 0, W, 0, dense, 0, false, precision);
      for (let r = 0; r < R; r++) for (let j = 0; j < N; j++) dense[r * N + j] += bias[j];
      const pre = new Float64Array(R * N);
      assert.equal(oneHotProjection(R, N, D, ids, W, bias, pre, precision, new Float64Array(D * N)), true);
      sameBits(pre, dense, 'pre');
      // without a bias too (bias=False)
      gemmNT(R, N, D, X, 0, W, 0, dense, 0, false, precision);
      assert.equal(oneHotProjection(R, N, D, ids, W, null, pre, precision, new Float64Array(D * N)), true);
      sameBits(pre, dense, 'pre without bias');
      // a weight that is (or rounds to) ∞ is refused, and pre is left alone
      W[9] = precision === 'float32' ? 1e39 : Infinity;
      pre.fill(7);
      assert.equal(oneHotProjection(R, N, D, ids, W, bias, pre, precision, new Float64Array(D * N)), false);
      assert.ok(pre.every((v) => v === 7));
    });

    it(`the scatter-add equals gemmTNAcc bit for bit over several slices (${precision})`, () => {
      const rng = new Rng(2);
      const R = 2 * ONE_HOT_SLICE + 77,
        N = 13, // 3 runs of four lanes and a tail of one
        D = 5;
      const { X, ids } = oneHotRows(R, D, rng);
      const A = wide(R * N, rng);
      const start = wide(N * D, rng);
      const dense = start.slice();
      gemmTNAcc(N, D, R, A, 0, X, 0, dense, 0, precision);
      // on the WebAssembly kernels and in JavaScript
      const startCols = wide(N, rng),
        colsRef = startCols.slice();
      for (let r = 0; r < R; r++) for (let j = 0; j < N; j++) colsRef[j] += A[r * N + j];
      for (const useKernels of [true, false]) {
        const where = useKernels ? 'kernels' : 'JavaScript';
        const C = start.slice();
        assert.equal(
          oneHotWeightGrad(N, D, R, A, 0, ids, C, precision, new Float64Array(D * N), null, useKernels),
          true,
        );
        sameBits(C, dense, `C (${where})`);
        // with the column sums of A (a bias gradient) in the same pass: float64 sums row after row
        const cols = startCols.slice();
        const C2 = start.slice();
        assert.equal(
          oneHotWeightGrad(N, D, R, A, 0, ids, C2, precision, new Float64Array(D * N), cols, useKernels),
          true,
        );
        sameBits(C2, dense, `C beside the column sums (${where})`);
        sameBits(cols, colsRef, `column sums (${where})`);
      }
      // The test can tell the grouping: one sum over all rows (no slices) differs from the product somewhere.
      const unsliced = start.slice();
      const f = precision === 'float32' ? Math.fround : (x: number) => x;
      for (let j = 0; j < N; j++)
        for (let c = 0; c < D; c++) {
          let s = 0;
          for (let r = 0; r < R; r++) if (ids[r] === c) s = f(s + f(A[r * N + j]));
          unsliced[j * D + c] += s;
        }
      assert.ok(
        unsliced.some((v, i) => !Object.is(v, dense[i])),
        'an unsliced sum should differ from the product',
      );
      // A non-finite entry of A: refused (the dense product spreads NaN over the row of C).
      A[3 * N + 4] = Infinity;
      for (const useKernels of [true, false])
        assert.equal(
          oneHotWeightGrad(N, D, R, A, 0, ids, start.slice(), precision, new Float64Array(D * N), null, useKernels),
          false,
        );
    });

    it(`an LSTM on one-hot inputs gives the dense path's loss and gradients bit for bit (${precision})`, () => {
      const V = 9;
      const m = model({
        cell: 'lstm',
        inputSize: V,
        outputSize: V,
        hidden: 6,
        layers: 2,
        loss: 'xent',
        task: 'char-lm',
        precision,
      });
      const rng = new Rng(3);
      const T = 70,
        B = 5; // 350 rows: two slices of the weight-gradient sum
      const batch: SequenceData[] = [];
      for (let b = 0; b < B; b++) {
        const { X } = oneHotRows(T, V, rng);
        const targets = new Float64Array(T).map(() => rng.int(V));
        batch.push({ T, inputs: X, targets, mask: new Uint8Array(T).fill(1) });
      }
      // The same numbers with one +0 made −0: no longer one-hot, so the network takes the dense products.
      const denseBatch = batch.map((s) => ({ ...s, inputs: s.inputs.slice() }));
      denseBatch[0].inputs[denseBatch[0].inputs.indexOf(0)] = -0;
      const params = initParams(m);
      const run = (b: SequenceData[]) => {
        const net = new Network(m, params);
        const loss = net.forward(b);
        net.backward(null);
        const ids = (net as unknown as { inputIds: Int32Array | null }).inputIds;
        return { net, loss, oneHot: ids !== null };
      };
      const fast = run(batch),
        dense = run(denseBatch);
      assert.equal(fast.oneHot, true);
      assert.equal(dense.oneHot, false);
      assert.ok(Object.is(fast.loss, dense.loss), `loss ${fast.loss} ≠ ${dense.loss}`);
      for (const [name, g] of fast.net.grads) sameBits(g.data, dense.net.grads.get(name)!.data, `∂L/∂${name}`);
      for (let l = 0; l < m.layers; l++) sameBits(fast.net.layers[l].dH, dense.net.layers[l].dH, `dH (layer ${l})`);
    });
  }
});
