// The diagnostics against definitions: flow entries and W_hh parts by finite differences, step Jacobians,
// spectral routines on matrices with known answers, and hand-computed LSTM/GRU steps.
import assert from 'node:assert/strict';
import { initParams } from '../../../src/engine/params';
import {
  DEFAULT_FLOW_BUDGET,
  analyze,
  flowStepBudget,
  passMultiplyAdds,
  stepGainStepBudget,
} from '../../../src/engine/analyze';
import { orthogonalFromNormals } from '../../../src/engine/linalg';
import { eigenvalues, sigmaMax, spectralRadius } from '../../../src/engine/eigen';
import { OuterSums, chooseFlowRows, stepGainSteps, stepGainWorkPerStep } from '../../../src/engine/diagnostics';
import manifest from '../../../package.json';
import { resultFromJson, resultToJson } from '../../../src/protocol/json';
import { Rng } from '../../../src/engine/rng';
import type { ParamSet } from '../../../src/engine/types';
import { model, randomSeq, refLosses } from './helpers';

const meta = { dataFile: 'x', originalSteps: 0, sequence: 0, sequences: 1, notes: [] };
const close = (a: number, b: number, tol = 1e-6) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));

describe('flow matrix ‖∂ℓ_t/∂h_k‖', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    it(`matches finite differences of ℓ_t in h_k (${cell})`, () => {
      const m = model({ cell, hidden: 3 });
      const p = initParams(m);
      const seq = randomSeq(m, 6, 11);
      const r = analyze(m, p, seq, { meta });
      assert.equal(r.flow.exact, true);
      const base = refLosses(m, p, seq).states;
      const eps = 1e-6;
      for (let row = 0; row < r.flow.steps.length; row++) {
        const t = r.flow.steps[row];
        // k = t is ‖fcᵀ ∂ℓ_t/∂o_t‖, checked by the gradient tests; the frozen-state trick starts after h_t.
        for (let k = 0; k < t; k++) {
          let n2 = 0;
          for (let i = 0; i < m.hidden; i++) {
            const at = (delta: number) => {
              const s = base[k + 1];
              const h = s.h.map((v) => [...v]);
              h[0][i] += delta;
              return refLosses(m, p, seq, k + 1, { h, c: s.c }).losses[t];
            };
            n2 += ((at(eps) - at(-eps)) / (2 * eps)) ** 2;
          }
          assert.ok(
            close(r.flow.matrix[row][k], Math.sqrt(n2), 1e-5),
            `t=${t} k=${k}: ${r.flow.matrix[row][k]} vs ${Math.sqrt(n2)}`,
          );
        }
      }
    });
  }

  it('shows the truncation cut: zero k steps back and beyond', () => {
    const m = model({ bptt: { truncate: 3 } });
    const r = analyze(m, initParams(m), randomSeq(m, 8, 2), { meta });
    const row = r.flow.matrix[r.flow.steps.indexOf(7)];
    assert.ok(row[7] > 0 && row[6] > 0 && row[5] > 0);
    assert.deepEqual(Array.from(row.subarray(0, 5)), [0, 0, 0, 0, 0]);
    assert.equal(r.flow.truncate, 3);
    assert.equal(r.flow.decay.distance.length, 3);
  });

  it('takes an evenly spaced subset of rows, always the last, within the budget', () => {
    const steps = Array.from({ length: 100 }, (_, t) => t);
    const { rows, exact } = chooseFlowRows(steps, null, 500);
    assert.equal(exact, false);
    assert.equal(rows[rows.length - 1], 99);
    assert.ok(rows.reduce((a, t) => a + t + 1, 0) <= 500);
    assert.deepEqual(chooseFlowRows(steps.slice(0, 10), null, 500), { rows: steps.slice(0, 10), exact: true });
  });

  it('counts the multiply-adds of forward + BPTT per layer, gate and output', () => {
    // RNN D=64 H=128 O=64: forward 128·(64+128) + 64·128, backward 128·(256+64) + 2·64·128, per step
    const big = model({ inputSize: 64, hidden: 128, outputSize: 64 });
    assert.equal(passMultiplyAdds(big, 256), 256 * (128 * 192 + 128 * 320 + 3 * 64 * 128));
    // a second LSTM layer reads H inputs and also sends ∂x down: 4H·(H+H) + 4H·(2H+H) + 4H·H
    const two = model({ cell: 'lstm', layers: 2, inputSize: 5, hidden: 6, outputSize: 2 });
    const perStep = 3 * 2 * 6 + 24 * (5 + 6) + 24 * (12 + 5) + 24 * 12 + 24 * 18 + 24 * 6;
    assert.equal(passMultiplyAdds(two, 10), 10 * perStep);
  });

  it('spends at most the budget × the pass on the flow rows at T=256, H=128, and every row when they fit', () => {
    const big = model({ inputSize: 64, hidden: 128, outputSize: 64 });
    const steps = Array.from({ length: 256 }, (_, t) => t);
    const budget = flowStepBudget(big, 256, 1);
    const { rows, exact } = chooseFlowRows(steps, null, budget);
    assert.equal(exact, false);
    assert.ok(rows.length >= 8, `${rows.length} rows`);
    assert.ok(rows.reduce((a, t) => a + t + 1, 0) * 128 ** 2 <= passMultiplyAdds(big, 256));
    // a pass is 1408 step products here, and every row costs T(T+1)/2 = 32896 of them: 23.4 passes
    assert.equal(budget, 1408);
    assert.equal(chooseFlowRows(steps, null, flowStepBudget(big, 256, 24)).exact, true);
    assert.equal(chooseFlowRows(steps, null, flowStepBudget(big, 256, 23)).exact, false);
  });

  it('gives small models every row within the floor, and the budget counts gate blocks', () => {
    const small = model({ cell: 'gru', hidden: 16 });
    // The floor README documents, 2^24 multiply-adds, in GRU step products of 3·16² each: 16777216 / 768 = 21845.3.
    assert.equal(flowStepBudget(small, 100, 0), 21845);
    const steps = Array.from({ length: 100 }, (_, t) => t);
    assert.equal(chooseFlowRows(steps, null, flowStepBudget(small, 100, 1)).exact, true);
  });

  it('the extension and CLI default of unroll.flowBudget is the engine default, 1 as README says', () => {
    assert.equal(manifest.contributes.configuration.properties['unroll.flowBudget'].default, DEFAULT_FLOW_BUDGET);
    assert.equal(DEFAULT_FLOW_BUDGET, 1);
  });

  it('‖Σ_r a_r b_{k_r}ᵀ‖²_F (by the Gram identity, or the sum formed) equals the explicit sum, in the kernel and in JavaScript', () => {
    const rng = new Rng(4);
    for (const [R, m, n, first] of [
      [1, 3, 2, 0],
      [2, 5, 7, 1],
      [7, 16, 9, 2],
      [16, 128, 128, 3],
      // many rows of a small state: the sum is formed instead (rows·m·n below rows²/2·(m+n))
      [40, 5, 5, 3],
      [60, 36, 12, 0],
      [300, 128, 128, 250],
    ]) {
      const Bm = Float64Array.from({ length: 20 * n }, () => rng.normal());
      const Am = Float64Array.from({ length: R * m }, () => rng.normal());
      const ks = Array.from({ length: R }, () => rng.int(20)); // any order, repeats allowed
      let expected = 0;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let r = first; r < R; r++) s += Am[r * m + i] * Bm[ks[r] * n + j];
          expected += s * s;
        }
      }
      for (const inKernel of [true, false]) {
        const sums = new OuterSums(R, m, Bm, n, inKernel);
        sums.A.set(Am);
        sums.k.set(ks);
        const got = sums.normSq(first);
        assert.ok(
          Math.abs(got - expected) <= 1e-12 * expected,
          `kernel ${inKernel} ${R}×${m}×${n}: ${got} vs ${expected}`,
        );
      }
    }
  });
});

describe('analyze', () => {
  it('reuses one network for analyses of the same shapes without touching an earlier Result', () => {
    for (const cell of ['rnn', 'lstm', 'gru'] as const) {
      const m = model({ cell, hidden: 5 });
      const seq = randomSeq(m, 7, 3);
      const first = analyze(m, initParams(m), seq, { meta });
      const snapshot = JSON.stringify(resultToJson(first));
      const other = analyze(m, initParams({ ...m, seed: 99 }), randomSeq(m, 7, 4), { meta });
      assert.notEqual(JSON.stringify(resultToJson(other)), snapshot, 'the second analysis differs');
      assert.equal(JSON.stringify(resultToJson(first)), snapshot, 'the first Result is unchanged');
      // and a network that served other weights gives the same bytes as a fresh run would
      assert.equal(
        JSON.stringify(resultToJson(analyze(m, initParams(m), seq, { meta }))).replace(/"elapsedMs":[^,}]*/, ''),
        snapshot.replace(/"elapsedMs":[^,}]*/, ''),
      );
    }
  });

  it('carries the analyzed inputs and targets, NaN where a step has no target, through the JSON form', () => {
    for (const loss of ['mse', 'xent'] as const) {
      const m = model({ loss, outputSize: 3 });
      const seq = randomSeq(m, 6, 5, 3);
      const r = analyze(m, initParams(m), seq, { meta });
      assert.deepEqual([r.input!.rows, r.input!.cols], [6, 3]);
      assert.deepEqual(Array.from(r.input!.data), Array.from(seq.inputs));
      const O = loss === 'xent' ? 1 : 3;
      assert.deepEqual([r.target!.rows, r.target!.cols], [6, O]);
      for (let t = 0; t < 6; t++) {
        for (let j = 0; j < O; j++) {
          const v = r.target!.data[t * O + j];
          if (seq.mask[t]) assert.equal(v, seq.targets[t * O + j], `target (${t}, ${j})`);
          else assert.ok(Number.isNaN(v), `step ${t} has no target`);
        }
      }
      const back = resultFromJson(JSON.parse(JSON.stringify(resultToJson(r))));
      assert.deepEqual(Array.from(back.input!.data), Array.from(r.input!.data));
      assert.deepEqual(Array.from(back.target!.data).map(String), Array.from(r.target!.data).map(String));
    }
  });
});

describe('parts of ∂L/∂W_hh by distance', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const)
    it(`equal finite differences through a per-step copy of W_hh (${cell})`, () => {
      const m = model({ cell, hidden: 3 });
      const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
      const p = initParams(m);
      const seq = randomSeq(m, 5, 9);
      const r = analyze(m, p, seq, { meta });
      const H = m.hidden,
        T = seq.T;
      const W = p.get('rnn.weight_hh_l0')!.data;
      // ∂ℓ_t/∂W^{(j)}: perturb W only where step j uses it, by running step j onward from frozen states.
      const base = refLosses(m, p, seq).states;
      const parts = Array.from({ length: T }, () => new Float64Array(G * H * H));
      const eps = 1e-6;
      for (let j = 0; j < T; j++) {
        for (let e = 0; e < G * H * H; e++) {
          const lossesWith = (delta: number) => {
            const q: ParamSet = new Map(p);
            const Wq = Float64Array.from(W);
            Wq[e] += delta;
            q.set('rnn.weight_hh_l0', { shape: [G * H, H], data: Wq });
            // step j with the perturbed W, then the rest with the original W
            const first = refLosses(m, q, { ...seq, T: j + 1 }, j, j > 0 ? base[j] : undefined);
            const rest =
              j + 1 < T
                ? refLosses(m, p, seq, j + 1, first.states[j] ? stateAfter(m, q, seq, j, base) : undefined).losses
                : [];
            return Array.from({ length: T }, (_, t) => (t === j ? first.losses[t] : t > j ? rest[t] : 0));
          };
          const up = lossesWith(eps),
            down = lossesWith(-eps);
          for (let t = j; t < T; t++) parts[t - j][e] += (up[t] - down[t]) / (2 * eps);
        }
      }
      for (let d = 0; d < T; d++) {
        const norm = Math.sqrt(parts[d].reduce((a, v) => a + v * v, 0));
        assert.ok(close(r.whhByDistance[d], norm, 1e-5), `d=${d}: ${r.whhByDistance[d]} vs ${norm}`);
      }
      // Their sum is the whole gradient.
      const total = new Float64Array(G * H * H);
      for (const part of parts) part.forEach((v, i) => (total[i] += v));
      total.forEach((v, i) => assert.ok(close(v, r.grads['rnn.weight_hh_l0'].data[i], 1e-5)));
    });
});

/** The state after step j when step j runs with params q from the unperturbed state entering j. */
function stateAfter(
  m: ReturnType<typeof model>,
  q: ParamSet,
  seq: ReturnType<typeof randomSeq>,
  j: number,
  base: { h: number[][]; c: number[][] }[],
) {
  const run = refLosses(m, q, { ...seq, T: j + 2 }, j, j > 0 ? base[j] : undefined);
  return run.states[j + 1];
}

describe('step Jacobian ‖∂h_t/∂h_{t−1}‖_F', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    it(`matches finite differences (${cell})`, () => {
      const m = model({ cell, hidden: 3 });
      const p = initParams(m);
      const seq = randomSeq(m, 5, 1);
      const r = analyze(m, p, seq, { meta });
      const states = refLosses(m, p, seq).states;
      const eps = 1e-6;
      for (let t = 1; t < seq.T; t++) {
        let f2 = 0;
        for (let k = 0; k < m.hidden; k++) {
          const hAt = (delta: number) => {
            const s = states[t];
            const h = s.h.map((v) => [...v]);
            h[0][k] += delta;
            return refLosses(m, p, { ...seq, T: t + 2 }, t, { h, c: s.c }).states[t + 1].h[0];
          };
          const up = hAt(eps),
            down = hAt(-eps);
          for (let i = 0; i < m.hidden; i++) f2 += ((up[i] - down[i]) / (2 * eps)) ** 2;
        }
        assert.ok(close(r.stepJacobian[t], Math.sqrt(f2), 1e-6), `t=${t}: ${r.stepJacobian[t]} vs ${Math.sqrt(f2)}`);
      }
    });
  }
});

/** σ_max of an n×n matrix by long power iteration on AᵀA from a seeded random start: the test's own computation. */
function powerSigma(A: number[][], seed: number): number {
  const n = A.length,
    rng = new Rng(seed);
  let v = Array.from({ length: n }, () => rng.normal());
  let sigma = 0;
  for (let it = 0; it < 5000; it++) {
    const norm = Math.hypot(...v);
    v = v.map((x) => x / norm);
    const u = A.map((row) => row.reduce((s, a, j) => s + a * v[j], 0));
    sigma = Math.hypot(...u);
    v = v.map((_, j) => u.reduce((s, ui, i) => s + A[i][j] * ui, 0));
  }
  return sigma;
}

describe('measured step gain (geometric mean of ‖∂s_t/∂s_{t−1}‖₂)', () => {
  // hidden 3: the Lanczos run spans the whole state (exact); hidden 16 (LSTM 10, a state of 20): it does not, and an
  // orthogonal W_hh puts the singular values of diag(f′) W_hh close together, the slow case for a Krylov method
  for (const [cell, hidden, tol] of [
    ['rnn', 3, 1e-6],
    ['lstm', 3, 1e-6],
    ['gru', 3, 1e-6],
    ['rnn', 16, 1e-3],
    ['lstm', 10, 1e-3],
    ['gru', 16, 1e-3],
  ] as const) {
    it(`matches finite differences of the full step + the test's own power iteration (${cell}, H=${hidden})`, () => {
      const m = model({ cell, hidden, init: { kind: 'orthogonal', spectralRadius: 1.4 } });
      const p = initParams(m);
      const seq = randomSeq(m, 6, 4);
      const r = analyze(m, p, seq, { meta });
      const states = refLosses(m, p, seq).states;
      const H = m.hidden,
        eps = 1e-6;
      // the state s is h, and (h, c) for LSTM: its gradient travels back through both
      const stateOf = (s: { h: number[][]; c: number[][] }) => (cell === 'lstm' ? [...s.h[0], ...s.c[0]] : [...s.h[0]]);
      const n = cell === 'lstm' ? 2 * H : H;
      let logSum = 0;
      for (let t = 1; t < seq.T; t++) {
        const J = Array.from({ length: n }, () => new Array<number>(n).fill(0));
        for (let k = 0; k < n; k++) {
          const at = (delta: number) => {
            const s = states[t];
            const h = s.h.map((v) => [...v]),
              c = s.c.map((v) => [...v]);
            if (k < H) h[0][k] += delta;
            else c[0][k - H] += delta;
            return stateOf(refLosses(m, p, { ...seq, T: t + 2 }, t, { h, c }).states[t + 1]);
          };
          const up = at(eps),
            down = at(-eps);
          for (let i = 0; i < n; i++) J[i][k] = (up[i] - down[i]) / (2 * eps);
        }
        logSum += Math.log(powerSigma(J, t));
      }
      const expected = Math.exp(logSum / (seq.T - 1));
      assert.ok(
        r.spectral.stepGain !== null && close(r.spectral.stepGain, expected, tol),
        `${r.spectral.stepGain} vs ${expected}`,
      );
    });
  }

  it('never exceeds γσ_max for a vanilla RNN (Pascanu et al. 2013), tanh and relu, small and large W_hh', () => {
    for (const nonlinearity of ['tanh', 'relu'] as const) {
      for (const radius of [0.5, 1, 3]) {
        const m = model({ nonlinearity, hidden: 12, init: { kind: 'orthogonal', spectralRadius: radius } });
        const p = initParams(m);
        // break the orthogonality so that σ_max > ρ and the bound is not the trivial one
        const W = p.get('rnn.weight_hh_l0')!.data;
        const rng = new Rng(radius * 10);
        for (let i = 0; i < W.length; i++) W[i] += 0.3 * rng.normal();
        const r = analyze(m, p, randomSeq(m, 20, 3), { meta });
        const { stepGain, gamma, sigmaMax: sigma } = r.spectral;
        assert.ok(stepGain !== null && stepGain > 0, `${stepGain}`);
        assert.ok(
          stepGain <= gamma * sigma * (1 + 1e-12),
          `${nonlinearity} ρ=${radius}: ${stepGain} > γσ_max = ${gamma * sigma}`,
        );
      }
    }
  });

  it('spends at most its share of the pass: H=128, T=256 measures a subset; a small model every step', () => {
    for (const cell of ['rnn', 'lstm', 'gru'] as const) {
      const big = model({ cell, inputSize: 64, hidden: 128, outputSize: 64 });
      const steps = stepGainStepBudget(big, 256);
      assert.ok(steps < 255, `${cell}: ${steps}`);
      // README: measured on a subset when every step would cost more than a quarter of the pass (counted by hand in
      // the test above). Each step's 12 Lanczos iterations multiply by W_hh (G·H × H) and its transpose: at least
      // 24·G·H² multiply-adds, however the rest is counted.
      const G = { rnn: 1, lstm: 4, gru: 3 }[cell];
      assert.ok(steps * 24 * G * 128 ** 2 <= 0.25 * passMultiplyAdds(big, 256), cell);
      assert.ok(steps * stepGainWorkPerStep(cell, 128) <= 0.25 * passMultiplyAdds(big, 256), cell);
      assert.ok(stepGainStepBudget(model({ cell, hidden: 8 }), 100) >= 99, cell);
    }
  });

  it('is null with a single step, and measures an evenly spaced subset of steps when the budget is short', () => {
    const m = model();
    assert.equal(analyze(m, initParams(m), randomSeq(m, 1, 1), { meta }).spectral.stepGain, null);
    assert.deepEqual(stepGainSteps(1, 10), []);
    assert.deepEqual(stepGainSteps(5, 10), [1, 2, 3, 4]);
    const some = stepGainSteps(101, 5);
    assert.deepEqual(some, [1, 26, 51, 75, 100]);
  });
});

describe('spectral routines', () => {
  it('finds complex eigenvalue pairs and real ones', () => {
    // 0.9·rotation(0.3) ⊕ diag(−1.2, 0.5): |λ| = 0.9, 0.9, 1.2, 0.5
    const c = 0.9 * Math.cos(0.3),
      s = 0.9 * Math.sin(0.3);
    const A = Float64Array.from([c, -s, 0, 0, s, c, 0, 0, 0, 0, -1.2, 0, 0, 0, 0, 0.5]);
    // A similarity transform hides the structure from the algorithm.
    const rng = new Rng(3);
    const Q = orthogonalFromNormals(
      Float64Array.from({ length: 16 }, () => rng.normal()),
      4,
    );
    const M = mul(mul(Q, A, 4), transpose(Q, 4), 4);
    const { re, im } = eigenvalues(M, 4);
    const mods = Array.from(re, (v, i) => Math.hypot(v, im[i])).sort();
    [0.5, 0.9, 0.9, 1.2].forEach((v, i) => assert.ok(close(mods[i], v, 1e-10), `${mods}`));
    assert.ok(close(spectralRadius(M, 4), 1.2, 1e-10));
  });

  it('on a random 64×64 matrix, Σλ = trace(A) and Σλ² = trace(A²)', () => {
    const n = 64,
      rng = new Rng(9);
    const A = Float64Array.from({ length: n * n }, () => rng.normal());
    const { re, im } = eigenvalues(A, n);
    let s1 = 0,
      s2 = 0,
      imSum = 0,
      tr = 0,
      tr2 = 0;
    for (let i = 0; i < n; i++) {
      s1 += re[i];
      s2 += re[i] * re[i] - im[i] * im[i];
      imSum += im[i];
      tr += A[i * n + i];
      for (let k = 0; k < n; k++) tr2 += A[i * n + k] * A[k * n + i];
    }
    assert.ok(
      Math.abs(s1 - tr) < 1e-9 && Math.abs(s2 - tr2) < 1e-8 && Math.abs(imSum) < 1e-9,
      `${s1} vs ${tr}, ${s2} vs ${tr2}`,
    );
  });

  it('gets the roots of a companion matrix and σ_max of a scaled orthogonal matrix', () => {
    // x³ − 6x² + 11x − 6 = (x−1)(x−2)(x−3)
    const C = Float64Array.from([6, -11, 6, 1, 0, 0, 0, 1, 0]);
    const { re } = eigenvalues(C, 3);
    assert.deepEqual(
      Array.from(re)
        .sort()
        .map((v) => Math.round(v * 1e9) / 1e9),
      [1, 2, 3],
    );
    const rng = new Rng(5);
    const n = 32;
    const Q = orthogonalFromNormals(
      Float64Array.from({ length: n * n }, () => rng.normal()),
      n,
    );
    const QtQ = mul(transpose(Q, n), Q, n);
    QtQ.forEach((v, i) => assert.ok(Math.abs(v - (i % (n + 1) === 0 ? 1 : 0)) < 1e-12));
    assert.ok(
      close(
        sigmaMax(
          Q.map((v) => 2.5 * v),
          n,
          n,
        ),
        2.5,
        1e-10,
      ),
    );
    assert.ok(
      close(
        spectralRadius(
          Q.map((v) => 2.5 * v),
          n,
        ),
        2.5,
        1e-9,
      ),
    );
  });

  it('rescales W_hh to the requested spectral radius at initialization', () => {
    for (const cell of ['rnn', 'lstm'] as const) {
      const m = model({ cell, hidden: 16, init: { kind: 'orthogonal', spectralRadius: 1.5 } });
      const p = initParams(m);
      const W = p.get('rnn.weight_hh_l0')!.data;
      const G = cell === 'lstm' ? 4 : 1;
      for (let g = 0; g < G; g++) assert.ok(close(spectralRadius(W.subarray(g * 256, (g + 1) * 256), 16), 1.5, 1e-9));
      const r = analyze(m, p, randomSeq(m, 4, 1), { meta });
      assert.ok(close(r.spectral.radius, 1.5, 1e-9));
      assert.ok(r.spectral.sigmaMax >= r.spectral.radius - 1e-12);
    }
  });
});

describe('cells, hand-computed', () => {
  it('LSTM one step: i,f,o = σ(1), g = tanh(1), c = i·g, h = o·tanh(c)', () => {
    const m = model({ cell: 'lstm', inputSize: 1, hidden: 1, outputSize: 1 });
    const p = initParams(m);
    for (const t of p.values()) t.data.fill(0);
    p.get('rnn.weight_ih_l0')!.data.fill(1);
    p.get('fc.weight')!.data.fill(1);
    const seq = { T: 1, inputs: Float64Array.of(1), targets: Float64Array.of(0), mask: Uint8Array.of(1) };
    const r = analyze(m, p, seq, { meta });
    const s = 1 / (1 + Math.exp(-1)),
      g = Math.tanh(1),
      c = s * g,
      h = s * Math.tanh(c);
    assert.ok(close(r.cell!.data[0], c, 1e-15) && close(r.hidden.data[0], h, 1e-15));
    assert.ok(close(r.loss, h * h, 1e-15));
    assert.ok(close(r.gates!.f!.data[0], s, 1e-15));
  });

  it("GRU one step uses PyTorch's equations: n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))", () => {
    const m = model({ cell: 'gru', inputSize: 1, hidden: 1, outputSize: 1 });
    const p = initParams(m);
    for (const t of p.values()) t.data.fill(0);
    p.get('rnn.weight_ih_l0')!.data.fill(1);
    p.get('rnn.bias_hh_l0')!.data.set([0, 0, 0.5]);
    p.get('fc.weight')!.data.fill(1);
    const seq = { T: 1, inputs: Float64Array.of(1), targets: Float64Array.of(0), mask: Uint8Array.of(1) };
    const r = analyze(m, p, seq, { meta });
    const s = 1 / (1 + Math.exp(-1));
    const n = Math.tanh(1 + s * 0.5);
    assert.ok(close(r.hidden.data[0], (1 - s) * n, 1e-15), `${r.hidden.data[0]} vs ${(1 - s) * n}`);
  });
});

function mul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) c[i * n + j] += a[i * n + k] * b[k * n + j];
  return c;
}

function transpose(a: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j];
  return t;
}
