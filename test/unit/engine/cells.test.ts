// The cell modules on their own (src/engine/cells): each cell's backward step against central finite differences of
// its forward step (random inputs, with and without biases, LSTM with and without a projection), and each cell's
// step-Jacobian coefficients against finite differences of s_t with respect to s_{t−1} (s = h, or (h, c) for LSTM).
// Also the network with bias=False (no bias tensors) and the AnalysisCache that replaced the module-level caches.
import assert from 'node:assert/strict';
import { cellOf, type Cell, type CellDims, type CellWeights, type Tape } from '../../../src/engine/cells';
import { gemmNT, transpose } from '../../../src/engine/linalg';
import { Rng } from '../../../src/engine/rng';
import { analyze } from '../../../src/engine/analyze';
import { AnalysisCache } from '../../../src/engine/cache';
import { initParams } from '../../../src/engine/params';
import type { ParamSet } from '../../../src/engine/types';
import { model, randomSeq } from './helpers';

const EPS = 1e-6;

interface Case {
  name: string;
  cell: Cell;
  dims: CellDims;
  bias: boolean;
}

const CASES: Case[] = [];
for (const bias of [true, false]) {
  CASES.push({ name: `rnn tanh, bias ${bias}`, cell: cellOf('rnn'), dims: { H: 5, P: 5 }, bias });
  CASES.push({ name: `rnn relu, bias ${bias}`, cell: cellOf('rnn', 'relu'), dims: { H: 5, P: 5 }, bias });
  CASES.push({ name: `lstm, bias ${bias}`, cell: cellOf('lstm'), dims: { H: 4, P: 4 }, bias });
  CASES.push({ name: `lstm proj_size 3, bias ${bias}`, cell: cellOf('lstm'), dims: { H: 4, P: 3 }, bias });
  CASES.push({ name: `gru, bias ${bias}`, cell: cellOf('gru'), dims: { H: 4, P: 4 }, bias });
}

/** One step (t = 0) of B rows: its inputs (pre, hh, h_{−1}, c_{−1}) and weights, all random. */
function setup(c: Case, B: number, seed: number) {
  const rng = new Rng(seed);
  const { H, P } = c.dims;
  const GH = c.cell.G * H;
  const rand = (n: number, s = 1) => new Float64Array(n).map(() => s * rng.range(-1, 1));
  const layout = c.cell.tape(c.dims);
  const tape: Tape = {
    B,
    pre: rand(B * GH),
    Hs: new Float64Array(2 * B * P),
    Cs: layout.cellState ? new Float64Array(2 * B * H) : null,
    acts: layout.acts ? new Float64Array(B * GH) : null,
    aux: layout.aux ? new Float64Array(B * H) : null,
    M: layout.projected ? new Float64Array(B * H) : null,
  };
  tape.Hs.set(rand(B * P));
  tape.Cs?.set(rand(B * H, 2));
  const whr = layout.projected ? rand(P * H) : null;
  let whrT: Float64Array | null = null;
  if (whr) {
    whrT = new Float64Array(H * P);
    transpose(P, H, whr, 0, whrT, 0);
  }
  const w: CellWeights = { bhh: c.bias ? rand(GH) : null, whr, whrT };
  const hh = rand(B * GH);
  return { tape, w, hh, rand };
}

/** f = a·h_t + b·c_t for fixed random a, b: its gradient with respect to h_t and c_t is (a, b). */
function objective(c: Case, tape: Tape, a: Float64Array, b: Float64Array): number {
  const { H, P } = c.dims;
  const B = tape.B;
  let f = 0;
  for (let i = 0; i < B * P; i++) f += a[i] * tape.Hs[B * P + i];
  if (tape.Cs) for (let i = 0; i < B * H; i++) f += b[i] * tape.Cs[B * H + i];
  return f;
}

function close(actual: number, expected: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= 1e-7 * (1 + Math.abs(expected)),
    `${what}: ${actual} vs finite difference ${expected}`,
  );
}

describe('cells: backward step against finite differences of the forward step', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const B = 2;
      const { H, P } = c.dims;
      const GH = c.cell.G * H;
      const { tape, w, hh, rand } = setup(c, B, 7);
      const a = rand(B * P),
        b = rand(B * H);
      const work = new Float64Array(hh.length); // forward may overwrite its hh (it adds b_hh there)
      const f = () => {
        work.set(hh);
        c.cell.forward(tape, 0, work, w, c.dims);
        return objective(c, tape, a, b);
      };
      f();
      const dIh = new Float64Array(B * GH);
      const out = {
        dIh,
        dHh: c.cell.separateHh ? new Float64Array(B * GH) : dIh,
        dhPrev: new Float64Array(B * P),
        dcPrev: new Float64Array(B * H),
        scratch: new Float64Array(B * H),
      };
      c.cell.backward(tape, 0, a, b, w, c.dims, out);
      const fd = (x: Float64Array, i: number) => {
        const keep = x[i];
        x[i] = keep + EPS;
        const up = f();
        x[i] = keep - EPS;
        const down = f();
        x[i] = keep;
        return (up - down) / (2 * EPS);
      };
      for (let i = 0; i < B * GH; i++) close(out.dIh[i], fd(tape.pre, i), `∂f/∂pre_ih[${i}]`);
      for (let i = 0; i < B * GH; i++) close(out.dHh[i], fd(hh, i), `∂f/∂pre_hh[${i}]`);
      if (w.bhh) {
        // b_hh enters every row: its gradient is the sum of the rows' ∂/∂pre_hh
        for (let j = 0; j < GH; j++) {
          let s = 0;
          for (let r = 0; r < B; r++) s += out.dHh[r * GH + j];
          close(s, fd(w.bhh, j), `∂f/∂b_hh[${j}]`);
        }
      }
      // h_{t−1} outside W_hh h_{t−1}: only a cell with a direct term depends on it
      for (let i = 0; i < B * P; i++)
        close(c.cell.directPrev ? out.dhPrev[i] : 0, fd(tape.Hs, i), `direct ∂f/∂h_{t−1}[${i}]`);
      if (tape.Cs) for (let i = 0; i < B * H; i++) close(out.dcPrev[i], fd(tape.Cs, i), `∂f/∂c_{t−1}[${i}]`);
    });
  }
});

describe('cells: step-Jacobian coefficients against finite differences of s_t in s_{t−1}', () => {
  for (const c of CASES.filter((k) => k.dims.P === k.dims.H)) {
    it(c.name, () => {
      const { H } = c.dims;
      const G = c.cell.G,
        GH = G * H;
      const n = c.cell.stateWidth(H);
      const { tape, w, rand } = setup(c, 1, 11);
      const W = rand(GH * H, 0.8); // W_hh
      const hh = new Float64Array(GH);
      // the state after the step, as a function of the state before it
      const state = () => {
        gemmNT(1, GH, H, tape.Hs, 0, W, 0, hh, 0, false);
        c.cell.forward(tape, 0, hh, w, c.dims);
        const s = new Float64Array(n);
        s.set(tape.Hs.subarray(H, 2 * H));
        if (n > H) s.set(tape.Cs!.subarray(H, 2 * H), H);
        return s;
      };
      const prev = (j: number) => (j < H ? { x: tape.Hs, i: j } : { x: tape.Cs!, i: j - H });
      const J = new Float64Array(n * n); // J[i][j] = ∂s_t[i]/∂s_{t−1}[j], by central differences
      for (let j = 0; j < n; j++) {
        const { x, i } = prev(j);
        const keep = x[i];
        x[i] = keep + EPS;
        const up = state();
        x[i] = keep - EPS;
        const down = state();
        x[i] = keep;
        for (let r = 0; r < n; r++) J[r * n + j] = (up[r] - down[r]) / (2 * EPS);
      }
      state();
      const C = c.cell.jacobianWidth;
      const coef = new Float64Array(C * H);
      c.cell.jacobian(tape, 0, 0, H, coef, 0);
      // J q for each unit vector q: column j
      const y = new Float64Array(GH),
        u = new Float64Array(n),
        x = new Float64Array(GH),
        q = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        q.fill(0);
        q[j] = 1;
        gemmNT(1, GH, H, q, 0, W, 0, y, 0, false);
        c.cell.jv(coef, 0, H, y, 0, q, 0, u, 0, x, 0);
        for (let r = 0; r < n; r++) close(u[r], J[r * n + j], `J[${r}][${j}]`);
      }
      // JᵀJ q = W_hhᵀ x + the direct terms, with x from jv (what the step gain's Lanczos multiplies by), random q
      q.set(rand(n));
      gemmNT(1, GH, H, q, 0, W, 0, y, 0, false);
      const Jq = new Float64Array(n);
      c.cell.jv(coef, 0, H, y, 0, q, 0, Jq, 0, x, 0);
      const JtJq = new Float64Array(n);
      for (let i = 0; i < H; i++) for (let r = 0; r < GH; r++) JtJq[i] += W[r * H + i] * x[r];
      c.cell.jtDirect(coef, 0, H, Jq, 0, JtJq, 0);
      for (let j = 0; j < n; j++) {
        let expected = 0;
        for (let r = 0; r < n; r++) expected += J[r * n + j] * Jq[r];
        close(JtJq[j], expected, `(JᵀJq)[${j}]`);
      }
      // the h path (c_{t−1} held fixed): row i of ∂h_t/∂h_{t−1} = Σ_g rows[g][i] W_g[i] + rows[G][i] e_i
      const rows = new Float64Array((G + 1) * H);
      c.cell.hPath(coef, 0, H, rows);
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < H; j++) {
          let v = i === j ? rows[G * H + i] : 0;
          for (let g = 0; g < G; g++) v += rows[g * H + i] * W[(g * H + i) * H + j];
          close(v, J[i * n + j], `∂h_t/∂h_{t−1}[${i}][${j}]`);
        }
      }
    });
  }
});

describe('network without biases (bias=False)', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    it(`${cell}: no bias tensors runs as zero biases, and leaves no bias gradients`, () => {
      const m = model({ cell, hidden: 4 });
      const withBias = initParams(m);
      const zeroBias: ParamSet = new Map();
      const noBias: ParamSet = new Map();
      for (const [name, t] of withBias) {
        const isBias = name.startsWith('rnn.bias_');
        zeroBias.set(name, isBias ? { shape: t.shape, data: new Float64Array(t.data.length) } : t);
        if (!isBias) noBias.set(name, t);
      }
      const seq = randomSeq(m, 6, 3);
      const meta = { dataFile: 'x', originalSteps: 6, sequence: 0, sequences: 1, notes: [] };
      const a = analyze(m, zeroBias, seq, { meta });
      const b = analyze(m, noBias, seq, { meta });
      assert.equal(b.loss, a.loss);
      assert.deepEqual(
        Object.keys(b.grads).filter((k) => k.startsWith('rnn.bias_')),
        [],
      );
      for (const name of Object.keys(b.grads)) assert.deepEqual(b.grads[name].data, a.grads[name].data, name);
    });
  }
});

describe('AnalysisCache', () => {
  const meta = { dataFile: 'x', originalSteps: 8, sequence: 0, sequences: 1, notes: [] };
  it('reuses the network for the same shapes and ρ/σ_max for the same weights, and gives the uncached result', () => {
    const m = model({ cell: 'lstm', hidden: 6 });
    const p = initParams(m);
    const seq = randomSeq(m, 8, 5);
    const cache = new AnalysisCache();
    const first = analyze(m, p, seq, { meta, cache });
    const again = analyze(m, p, seq, { meta, cache });
    assert.deepEqual(cache.made, { networks: 1, spectra: 1, spectraFromSource: 0 });
    const fresh = analyze(m, p, seq, { meta });
    for (const r of [first, again]) {
      assert.equal(r.loss, fresh.loss);
      assert.deepEqual(r.spectral, fresh.spectral);
      assert.deepEqual(r.grads['rnn.weight_hh_l0'].data, fresh.grads['rnn.weight_hh_l0'].data);
    }
  });

  it('recomputes ρ/σ_max when one bit of the reported block changes, and builds a new network for new shapes', () => {
    const m = model({ cell: 'gru', hidden: 6 });
    const p = initParams(m);
    const seq = randomSeq(m, 8, 5);
    const cache = new AnalysisCache();
    analyze(m, p, seq, { meta, cache });
    const W = p.get('rnn.weight_hh_l0')!.data;
    const i = 2 * 36 + 7; // inside the n block
    const bits = new Uint32Array(W.buffer, W.byteOffset + 8 * i, 2);
    bits[0] ^= 1; // the lowest mantissa bit
    const changed = analyze(m, p, seq, { meta, cache });
    assert.deepEqual(cache.made, { networks: 1, spectra: 2, spectraFromSource: 0 });
    assert.deepEqual(changed.spectral, analyze(m, p, seq, { meta }).spectral);
    const wider = model({ cell: 'gru', hidden: 7 });
    analyze(wider, initParams(wider), randomSeq(wider, 8, 5), { meta, cache });
    assert.deepEqual(cache.made, { networks: 2, spectra: 3, spectraFromSource: 0 });
  });
});
