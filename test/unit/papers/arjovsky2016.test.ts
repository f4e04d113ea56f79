// Arjovsky, Shah & Bengio 2016: ‖∂C/∂h_t‖ against t at initialization on the adding problem (an orthogonal W_hh
// keeps the gradient far longer than a random one), and the baselines a model must beat: mean squared error 0.167
// on the adding problem (predict 1, the mean of the sum of two U(0, 1)), cross-entropy 10·log 8/(T + 20) on copy.
import assert from 'node:assert/strict';
import { ADDING_SEQUENCES, ADDING_STEPS, COPY_BLANKS, COPY_SEQUENCES } from '../../../src/data/paperExamples';
import { lossBaseline } from '../../../src/engine';
import { sequencesOf } from '../data/helpers';
import { analyzePaper, firstBelow, lastFlowRow, loadPaper } from './helpers';

describe('paper: Arjovsky, Shah & Bengio 2016', () => {
  it('orthogonal init: W_hh·W_hhᵀ = I (to 1e-12), so every singular value is 1', async () => {
    const { params } = await loadPaper('paper-arjovsky2016', 'paper-arjovsky2016.adding.orthogonal.unroll.json');
    const W = params.get('rnn.weight_hh_l0')!.data,
      H = 100;
    for (let i = 0; i < H; i++)
      for (let j = 0; j < H; j++) {
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
    for (const [res, row] of [
      [random, r],
      [orthogonal, o],
    ] as const) {
      for (let t = 0; t <= T; t++) {
        let s = 0;
        for (let i = 0; i < 100; i++) s += res.dLdh.data[t * 100 + i] ** 2;
        assert.ok(Math.abs(Math.sqrt(s) - row[t]) <= 1e-12 * row[t]);
      }
    }
    const dRandom = firstBelow(r, 1e-3)!,
      dOrthogonal = firstBelow(o, 1e-3) ?? ADDING_STEPS;
    assert.ok(dRandom <= 15, `random: 1e-3 at d = ${dRandom}`);
    assert.ok(dOrthogonal > 100, `orthogonal: 1e-3 at d = ${dOrthogonal}, random at ${dRandom}`);
    // 100 steps back the random init's gradient is gone; the orthogonal one's still counts.
    assert.ok(
      o[T - 100] / o[T] > 1e-3 && r[T - 100] / r[T] < 1e-15,
      `d = 100: orthogonal ${o[T - 100] / o[T]}, random ${r[T - 100] / r[T]}`,
    );
  });

  it("adding data in the paper's form: U(0, 1) values, one marker in each half, the target is their sum", async () => {
    const { loaded } = await loadPaper('paper-arjovsky2016', 'paper-arjovsky2016.adding.random.unroll.json');
    const sequences = sequencesOf(loaded.dataset);
    assert.equal(sequences.length, ADDING_SEQUENCES);
    for (const s of sequences) {
      assert.equal(s.T, ADDING_STEPS);
      const marked = [...Array(s.T).keys()].filter((t) => s.inputs[t * 2 + 1] === 1);
      assert.equal(marked.length, 2);
      assert.ok(marked[0] < ADDING_STEPS / 2 && marked[1] >= ADDING_STEPS / 2);
      assert.ok(Math.abs(s.targets[s.T - 1] - s.inputs[marked[0] * 2] - s.inputs[marked[1] * 2]) < 1e-9);
      assert.deepEqual(
        [...s.mask.keys()].filter((t) => s.mask[t]),
        [s.T - 1],
      );
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
    assert.deepEqual([loaded.model.inputSize, loaded.model.outputSize, loaded.model.loss], [10, 9, 'xent']);
    const category = (v: Float64Array, t: number, n: number) => {
      const row = Array.from(v.subarray(t * n, (t + 1) * n));
      assert.equal(
        row.reduce((a, b) => a + b, 0),
        1,
        'one-hot',
      );
      return row.indexOf(1);
    };
    for (const s of sequences) {
      const T = COPY_BLANKS;
      assert.equal(s.T, T + 20);
      assert.ok(
        s.mask.every((m) => m === 1),
        'a target at every step',
      );
      for (let t = 0; t < s.T; t++) {
        // With "loss": "xent" the one-hot target columns are read as the class index.
        const x = category(s.inputs, t, 10),
          y = s.targets[t];
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
    let crossEntropy = 0,
      steps = 0;
    for (const s of sequencesOf(loaded.dataset)) {
      for (let t = 0; t < s.T; t++) {
        const y = s.targets[t];
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

  describe("Unroll's baseline (the trivial predictor training reports) on this data", () => {
    /** Unroll's baseline as training computes it: statistics of the training split, loss on the held-out split. */
    async function unrollBaseline(modelFile: string) {
      const { loaded } = await loadPaper('paper-arjovsky2016', modelFile);
      const { split, model } = loaded;
      const train = { sequences: loaded.dataset.sequences, indices: split.train };
      assert.ok(split.heldOut, 'the paper examples hold out a fraction of their sequences');
      const baseline = lossBaseline(model.loss, model.outputSize, train, split.heldOut, split.aligned);
      return { baseline, trainN: split.train.length, heldN: split.heldOut.indices.length };
    }

    it('adding: predicting the mean target has MSE 0.167 on the held-out sequences, within their sampling error', async () => {
      const { baseline, trainN, heldN } = await unrollBaseline('paper-arjovsky2016.adding.random.unroll.json');
      assert.equal(baseline.kind, 'mean');
      // Expected (S − m̂)² = 1/6 + Var(m̂) with m̂ the mean of trainN sums; sd of a mean of heldN squared errors.
      const expected = (1 / 6) * (1 + 1 / trainN);
      const sd = Math.sqrt((1 / 15 - 1 / 36) / heldN);
      assert.ok(
        Math.abs(baseline.loss - expected) < 3 * sd,
        `baseline ${baseline.loss}, paper 0.167, expected ${expected} ± ${3 * sd} (${heldN} held out)`,
      );
      assert.ok(Math.abs(expected - 0.167) < 0.01);
      // What the model file's comment says: 13 of 64 held out, 0.17 ± 0.06, 0.26 on these.
      assert.deepEqual([heldN, trainN + heldN], [13, 64]);
      assert.ok(Math.abs(sd - 0.055) < 0.005 && Math.abs(baseline.loss - 0.26) < 0.005);
    });

    it('copy: blanks, then the training frequencies at each step: 10·log 8/(T + 20) plus the cost of estimating 8 frequencies per step from the training sequences', async () => {
      const { baseline, trainN: N, heldN: M } = await unrollBaseline('paper-arjovsky2016.copy.unroll.json');
      assert.equal(baseline.kind, 'unigram');
      assert.match(
        baseline.what,
        /at that step/,
        "per step, as the paper's memoryless strategy knows when the recall comes",
      );
      // Krichevsky–Trofimov's ½ pseudo-count per step, spread over the O classes.
      const SMOOTHING_TOTAL = 0.5;
      const T = COPY_BLANKS,
        O = 9,
        alpha = SMOOTHING_TOTAL / O;
      // Under the paper's data (symbols uniform on 8, blanks certain): a step's smoothed training frequency of class y
      // is (C_y + α)/(N + ½), C_y ~ Binomial(N, 1/8) for a symbol step and C_y = N for a blank one.
      const g = (c: number, n: number) => -Math.log((c + alpha) / (n + SMOOTHING_TOTAL));
      const expectation = (n: number, withCross: boolean) => {
        const logFact = [0];
        for (let i = 1; i <= n; i++) logFact.push(logFact[i - 1] + Math.log(i));
        const binom = (c: number) =>
          Math.exp(logFact[n] - logFact[c] - logFact[n - c] + c * Math.log(1 / 8) + (n - c) * Math.log(7 / 8));
        let mu = 0,
          second = 0,
          cross = 0;
        for (let c = 0; c <= n; c++) {
          mu += binom(c) * g(c, n);
          second += binom(c) * g(c, n) ** 2;
          // Two different classes' counts at one step: multinomial (c, d, rest).
          for (let d = 0; withCross && c + d <= n; d++) {
            const p = Math.exp(
              logFact[n] -
                logFact[c] -
                logFact[d] -
                logFact[n - c - d] +
                (c + d) * Math.log(1 / 8) +
                (n - c - d) * Math.log(6 / 8),
            );
            cross += p * g(c, n) * g(d, n);
          }
        }
        return { mu, second, cross, blank: g(n, n) };
      };
      const { mu, second, cross, blank } = expectation(N, true);
      const expected = ((T + 10) * blank + 10 * mu) / (T + 20);
      // A step's mean over M held-out symbols shares the training counts: Var = v/M + (1 − 1/M)·Cov, where two held-out
      // symbols are the same class with probability 1/8. The 10 symbol steps are independent.
      const v = second - mu * mu;
      const cov = second / 8 + (7 / 8) * cross - mu * mu;
      const sd = (10 / (T + 20)) * Math.sqrt((v / M + (1 - 1 / M) * cov) / 10);
      const paper = (10 * Math.log(8)) / (T + 20);
      assert.ok(
        Math.abs(baseline.loss - expected) < 3 * sd,
        `baseline ${baseline.loss}, expected ${expected} ± ${3 * sd} (N = ${N}, M = ${M}), paper ${paper}`,
      );
      // What the model file's comment says: 0.21 ± 0.01 from 26 training sequences.
      assert.ok(N === 26 && Math.abs(expected - 0.21) < 0.005 && Math.abs(sd - 0.01) < 0.002);
      // With enough training sequences the estimate is the paper's number.
      const large = expectation(4000, false);
      assert.ok(Math.abs(((T + 10) * large.blank + 10 * large.mu) / (T + 20) - paper) < 2e-3);
    });
  });
});
