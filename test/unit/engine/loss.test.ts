// The output layer's softmax cross-entropy (src/engine/loss.ts) on the WebAssembly kernel against the JavaScript rows:
// within a few units in the last place (only the exponentials differ), rows without a target left at dOut 0 with
// their loss untouched, a target logit far above or below the others, subnormal exponentials, non-finite logits
// giving a non-finite loss in the same rows; and in a Network, a non-finite loss flagged at the first target step.
import assert from 'node:assert/strict';
import { softmaxXent } from '../../../src/engine/loss';
import { kernels } from '../../../src/engine/wasm';
import { Network } from '../../../src/engine/network';
import { initParams } from '../../../src/engine/params';
import { Rng } from '../../../src/engine/rng';
import { model } from './helpers';

const EPS = Number.EPSILON;

interface Case {
  R: number;
  O: number;
  B: number;
  out: Float64Array;
  bias: Float64Array;
  ys: Int32Array;
}

function run(c: Case, useKernels: boolean) {
  const out = c.out.slice();
  const dOut = new Float64Array(c.R * c.O).fill(7); // every entry must be written
  const rowLoss = new Float64Array(c.R).fill(-5); // rows without a target keep it
  softmaxXent(c.R, c.O, out, c.bias, c.ys, c.B, dOut, rowLoss, useKernels);
  return { out, dOut, rowLoss };
}

/** Random logits of spread `scale` with some rows edited by `edit`, a class per row, every third row without one. */
function randomCase(R: number, O: number, B: number, seed: number, scale = 4): Case {
  const rng = new Rng(seed);
  const out = new Float64Array(R * O).map(() => rng.range(-scale, scale));
  const bias = new Float64Array(O).map(() => rng.range(-1, 1));
  const ys = new Int32Array(R).map((_, r) => (r % 3 === 2 ? -1 : rng.int(O)));
  return { R, O, B, out, bias, ys };
}

/** Kernel and JavaScript within a few units in the last place (the target entry of dOut: p_y − 1, absolutely). */
function assertClose(c: Case, what: string): void {
  const js = run(c, false),
    wasm = run(c, true);
  assert.deepEqual(wasm.out, js.out, `${what}: logits with the bias`);
  for (let r = 0; r < c.R; r++) {
    const y = c.ys[r];
    if (y < 0) {
      assert.equal(wasm.rowLoss[r], -5, `${what}: row ${r} has no target, its loss is left alone`);
      assert.equal(js.rowLoss[r], -5);
      for (let j = 0; j < c.O; j++)
        assert.ok(Object.is(wasm.dOut[r * c.O + j], 0), `${what}: dOut of a row without target`);
      continue;
    }
    const a = wasm.rowLoss[r],
      b = js.rowLoss[r];
    let m = -Infinity;
    for (let j = 0; j < c.O; j++) m = Math.max(m, js.out[r * c.O + j]);
    const lossTol = 8 * EPS * (1 + Math.abs(m) + Math.abs(js.out[r * c.O + y]));
    assert.ok(Math.abs(a - b) <= lossTol, `${what}: loss of row ${r}: ${a} vs ${b}`);
    for (let j = 0; j < c.O; j++) {
      const u = wasm.dOut[r * c.O + j],
        v = js.dOut[r * c.O + j];
      const tol = 8 * EPS * Math.max(Math.abs(u), Math.abs(v)) + (j === y ? (8 * EPS) / c.B : 0) + 4 * Number.MIN_VALUE;
      assert.ok(Math.abs(u - v) <= tol, `${what}: dOut[${r}][${j}]: ${u} vs ${v}`);
    }
  }
}

describe('softmax cross-entropy rows', () => {
  it('run on the WebAssembly kernel here (the JavaScript rows are the fallback)', () => {
    assert.ok(kernels(), 'WebAssembly SIMD is missing: the comparisons below test the fallback only');
  });

  for (const [R, O, B] of [
    [1600, 60, 16],
    [37, 8, 3],
    [41, 9, 5],
    [23, 61, 7],
    [10, 17, 1],
  ])
    it(`kernel within a few ulps of JavaScript: ${R} rows of ${O} logits, batch ${B}, rows without a target`, () => {
      assertClose(randomCase(R, O, B, R * 31 + O), `${R}×${O}`);
      assertClose(randomCase(R, O, B, R * 37 + O, 40), `${R}×${O} spread 40`);
    });

  it('a target logit far above the others: loss 0 and dOut 0 exactly; far below: dOut_y = −1/B', () => {
    const O = 12,
      B = 4;
    const c: Case = {
      R: 2,
      O,
      B,
      out: new Float64Array(2 * O),
      bias: new Float64Array(O),
      ys: Int32Array.from([3, 5]),
    };
    c.out[3] = 1000; // e^{−1000} underflows: p_y = 1 exactly
    c.out[O + 5] = -1000; // p_y = 0
    for (const k of [false, true]) {
      const { dOut, rowLoss } = run(c, k);
      assert.equal(rowLoss[0], 0);
      for (let j = 0; j < O; j++) assert.equal(dOut[j], 0);
      assert.equal(dOut[O + 5], -1 / B);
      assert.ok(Math.abs(rowLoss[1] - (1000 + Math.log(O - 1))) < 1e-12, `loss ${rowLoss[1]}`);
      assert.equal(dOut[O], 1 / (O - 1) / B);
    }
    assertClose(c, 'far logits');
  });

  it('exponentials near and below the smallest normal float64 (−700 … −746 from the largest logit)', () => {
    const O = 24;
    const out = new Float64Array(O).map((_, j) => -700 - 2 * j); // −700 … −746
    out[0] = 0;
    const c: Case = { R: 1, O, B: 2, out, bias: new Float64Array(O), ys: Int32Array.from([O - 1]) };
    assertClose(c, 'subnormal');
    const { dOut } = run(c, true);
    assert.ok(dOut[20] > 0 && dOut[20] < 2 ** -1022, 'e^{−740} is subnormal, not 0');
  });

  it('non-finite logits give a non-finite loss and dOut in the same rows, and only there', () => {
    const c = randomCase(12, 10, 4, 5);
    c.ys.fill(1);
    c.out[2 * 10 + 4] = Infinity;
    c.out[5 * 10 + 0] = NaN;
    c.out[7 * 10 + 9] = -Infinity; // a −∞ logit is a probability of 0: finite
    c.ys[9] = -1;
    c.out[9 * 10 + 3] = NaN; // no target in that row: no loss
    for (const k of [false, true]) {
      const { dOut, rowLoss } = run(c, k);
      for (let r = 0; r < 12; r++) {
        const bad = r === 2 || r === 5;
        assert.equal(Number.isFinite(rowLoss[r]), !bad, `row ${r} (kernels ${k}): loss ${rowLoss[r]}`);
        if (r !== 9) assert.equal(dOut.subarray(r * 10, r * 10 + 10).every(Number.isFinite), !bad, `row ${r} dOut`);
      }
      assert.equal(rowLoss[9], -5);
      assert.equal(dOut[7 * 10 + 9], 0);
    }
  });

  it('refuses a class outside the outputs (the kernel would write past its rows)', () => {
    const c = randomCase(4, 8, 1, 2);
    c.ys[1] = 8;
    assert.throws(() => run(c, true), /class 8 of row 1/);
  });
});

describe('a network with cross-entropy', () => {
  it('flags a non-finite loss at the first step with a target, after steps without one', () => {
    const m = model({ cell: 'lstm', inputSize: 3, hidden: 8, outputSize: 10, loss: 'xent', task: 'columns' });
    const params = initParams(m);
    const net = new Network(m, params);
    const T = 6;
    const seq = (shift: number) => ({
      T,
      inputs: new Float64Array(T * 3).map((_, i) => Math.sin(i + shift)),
      targets: new Float64Array(T).map((_, t) => (t + shift) % 10),
      mask: Uint8Array.from([0, 0, 1, 1, 0, 1]),
    });
    const batch = [seq(0), seq(1), seq(2)];
    const finite = net.forward(batch);
    assert.ok(Number.isFinite(finite));
    assert.deepEqual(
      Array.from(net.lossPerStep, (l) => l > 0),
      [false, false, true, true, false, true],
    );
    for (let t = 0; t < T; t++)
      for (let j = 0; j < 30; j++) if (!batch[0].mask[t]) assert.equal(net.dOut[t * 30 + j], 0);
    params.get('fc.bias')!.data[4] = Infinity; // every logit row has +∞: every loss is NaN
    const loss = net.forward(batch);
    assert.ok(Number.isNaN(loss));
    assert.deepEqual(net.nonFinite, { step: 2, what: 'loss ℓ_t is not finite', tensor: 'loss ℓ_t' });
    assert.deepEqual(Array.from(net.lossPerStep, Number.isNaN), [false, false, true, true, false, true]);
  });

  it('refuses a target that is not a class index', () => {
    const m = model({ cell: 'rnn', inputSize: 2, hidden: 4, outputSize: 9, loss: 'xent', task: 'columns' });
    const net = new Network(m, initParams(m));
    const s = { T: 2, inputs: new Float64Array(4), targets: Float64Array.from([1, 9]), mask: Uint8Array.from([1, 1]) };
    assert.throws(() => net.forward([s]), /step 2 is 9/);
    s.mask[1] = 0; // a step without a target may hold anything
    assert.ok(Number.isFinite(net.forward([s])));
  });
});
