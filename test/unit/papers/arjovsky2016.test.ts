// Arjovsky, Shah & Bengio 2016: ‖∂C/∂h_t‖ against t at initialization on the adding problem (an orthogonal W_hh
// keeps the gradient far longer than a random one), and the baselines a model must beat: mean squared error 0.167
// on the adding problem (predict 1, the mean of the sum of two U(0, 1)), cross-entropy 10·log 8/(T + 20) on copy.
import assert from 'node:assert/strict';
import { ADDING_SEQUENCES, ADDING_STEPS, COPY_BLANKS, COPY_SEQUENCES } from '../../../src/data/paperExamples';
import { sequencesOf } from '../data/helpers';
import { analyzePaper, firstBelow, lastFlowRow, loadPaper } from './helpers';

describe('paper: Arjovsky, Shah & Bengio 2016', () => {
  it('orthogonal init: W_hh·W_hhᵀ = I (to 1e-12), so every singular value is 1', async () => {
    const { params } = await loadPaper('paper-arjovsky2016', 'paper-arjovsky2016.adding.orthogonal.unroll.json');
    const W = params.get('rnn.weight_hh_l0')!.data, H = 100;
    for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) {
      let s = 0;
      for (let k = 0; k < H; k++) s += W[i * H + k] * W[j * H + k];
      assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-12);
    }
  });

  it('‖∂C/∂h_t‖ at initialization: the orthogonal W_hh keeps the gradient far longer than the random one', async () => {
    const random = await analyzePaper('paper-arjovsky2016', 'paper-arjovsky2016.adding.random.unroll.json');
    const orthogonal = await analyzePaper('paper-arjovsky2016', 'paper-arjovsky2016.adding.orthogonal.unroll.json');
    const [r, o] = [lastFlowRow(random), lastFlowRow(orthogonal)];
    const T = ADDING_STEPS - 1;
    // The loss is at the last step only, so ∂C/∂h_t is the last flow row.
    for (const [res, row] of [[random, r], [orthogonal, o]] as const) {
      for (let t = 0; t <= T; t++) {
        let s = 0;
        for (let i = 0; i < 100; i++) s += res.dLdh.data[t * 100 + i] ** 2;
        assert.ok(Math.abs(Math.sqrt(s) - row[t]) <= 1e-12 * row[t]);
      }
    }
    const dRandom = firstBelow(r, 1e-3)!, dOrthogonal = firstBelow(o, 1e-3) ?? ADDING_STEPS;
    assert.ok(dRandom <= 15, `random: 1e-3 at d = ${dRandom}`);
    assert.ok(dOrthogonal > 100, `orthogonal: 1e-3 at d = ${dOrthogonal}, random at ${dRandom}`);
    // 100 steps back the random init's gradient is gone; the orthogonal one's still counts.
    assert.ok(o[T - 100] / o[T] > 1e-3 && r[T - 100] / r[T] < 1e-15, `d = 100: orthogonal ${o[T - 100] / o[T]}, random ${r[T - 100] / r[T]}`);
  });

  it('adding data in the paper\'s form: U(0, 1) values, one marker in each half, the target is their sum', async () => {
    const { loaded } = await loadPaper('paper-arjovsky2016', 'paper-arjovsky2016.adding.random.unroll.json');
    const sequences = sequencesOf(loaded.dataset);
    assert.equal(sequences.length, ADDING_SEQUENCES);
    for (const s of sequences) {
      assert.equal(s.T, ADDING_STEPS);
      const marked = [...Array(s.T).keys()].filter((t) => s.inputs[t * 2 + 1] === 1);
      assert.equal(marked.length, 2);
      assert.ok(marked[0] < ADDING_STEPS / 2 && marked[1] >= ADDING_STEPS / 2);
      assert.ok(Math.abs(s.targets[(s.T - 1)] - s.inputs[marked[0] * 2] - s.inputs[marked[1] * 2]) < 1e-9);
      assert.deepEqual([...s.mask.keys()].filter((t) => s.mask[t]), [s.T - 1]);
    }
  });

  it('adding baseline: predicting 1 has mean squared error 1/6 ≈ 0.167 on this data, within sampling error', async () => {
    const { loaded } = await loadPaper('paper-arjovsky2016', 'paper-arjovsky2016.adding.random.unroll.json');
    const errors = sequencesOf(loaded.dataset).map((s) => (s.targets[s.T - 1] - 1) ** 2);
    const mse = errors.reduce((a, b) => a + b, 0) / errors.length;
    // For S = U₁ + U₂: E[(S − 1)²] = 1/6, E[(S − 1)⁴] = 1/15, so one sequence's squared error has sd √(1/15 − 1/36).
    const sd = Math.sqrt(1 / 15 - 1 / 36) / Math.sqrt(errors.length);
    assert.ok(Math.abs(1 / 6 - 0.167) < 5e-4);
    assert.ok(Math.abs(mse - 1 / 6) < 3 * sd, `MSE ${mse}, paper 0.167 ± ${3 * sd}`);
  });

  it(`copy data in the paper's form (T = ${COPY_BLANKS}): 10 symbols from a_0…a_7, blanks a_8, the delimiter a_9 at step T + 10, the symbols back at the end`, async () => {
    const { loaded } = await loadPaper('paper-arjovsky2016', 'paper-arjovsky2016.copy.unroll.json');
    const sequences = sequencesOf(loaded.dataset);
    assert.equal(sequences.length, COPY_SEQUENCES);
    assert.deepEqual([loaded.model.inputSize, loaded.model.outputSize], [10, 9]);
    const category = (v: Float64Array, t: number, n: number) => {
      const row = Array.from(v.subarray(t * n, (t + 1) * n));
      assert.equal(row.reduce((a, b) => a + b, 0), 1, 'one-hot');
      return row.indexOf(1);
    };
    for (const s of sequences) {
      const T = COPY_BLANKS;
      assert.equal(s.T, T + 20);
      assert.ok(s.mask.every((m) => m === 1), 'a target at every step');
      for (let t = 0; t < s.T; t++) {
        const x = category(s.inputs, t, 10), y = category(s.targets, t, 9);
        if (t < 10) assert.ok(x < 8);
        else assert.equal(x, t === T + 9 ? 9 : 8, `input at ${t}`);
        if (t < T + 10) assert.equal(y, 8, `target at ${t}`);
        else assert.equal(y, category(s.inputs, t - T - 10, 10));
      }
    }
  });

  it('copy baseline: blanks, then a uniform guess among 8, costs 10·log 8/(T + 20) per step; the symbols are uniform on this data', async () => {
    const { loaded } = await loadPaper('paper-arjovsky2016', 'paper-arjovsky2016.copy.unroll.json');
    const T = COPY_BLANKS;
    const counts = new Array(9).fill(0);
    let crossEntropy = 0, steps = 0;
    for (const s of sequencesOf(loaded.dataset)) {
      for (let t = 0; t < s.T; t++) {
        const y = Array.from(s.targets.subarray(t * 9, t * 9 + 9)).indexOf(1);
        if (t >= T + 10) counts[y]++;
        // The memoryless strategy: probability 1 on the blank before the recall, 1/8 on each symbol during it.
        crossEntropy += t < T + 10 ? -Math.log(y === 8 ? 1 : 0) : -Math.log(y < 8 ? 1 / 8 : 0);
        steps++;
      }
    }
    assert.ok(Math.abs(crossEntropy / steps - (10 * Math.log(8)) / (T + 20)) < 1e-12);
    // Symbols drawn uniformly from 8: Pearson's χ² with 7 degrees of freedom, below its 0.999 quantile 24.32.
    const n = COPY_SEQUENCES * 10;
    const chi2 = counts.slice(0, 8).reduce((a, c) => a + (c - n / 8) ** 2 / (n / 8), 0);
    assert.equal(counts[8], 0);
    assert.ok(chi2 < 24.32, `χ² = ${chi2}`);
  });
});
