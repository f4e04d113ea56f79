// Bengio, Simard & Frasconi 1994, section III: a tanh unit with self-weight w > 1 has a stable fixed point
// x̄ = tanh(w·x̄) ≠ 0 (it latches a bit), and there the gradient is multiplied by w(1 − x̄²) < 1 at every step.
import assert from 'node:assert/strict';
import { BENGIO_STEPS, BENGIO_WEIGHTS } from '../../../src/data/paperExamples';
import { analyzePaper, lastFlowRow } from './helpers';

/** The positive root of x = tanh(w·x) for w > 1, by Newton's method on f(x) = x − tanh(w·x) from x = 1. */
function latch(w: number): number {
  let x = 1;
  for (let i = 0; i < 100; i++) {
    const th = Math.tanh(w * x);
    const step = (x - th) / (1 - w * (1 - th * th));
    x -= step;
    if (Math.abs(step) < 1e-17) break;
  }
  assert.ok(Math.abs(x - Math.tanh(w * x)) < 1e-15, `x̄ = tanh(${w}·x̄) solved`);
  return x;
}

/** From this step on both examples have settled at x̄ (checked below, not assumed). */
const LATCHED = 60;

describe('paper: Bengio, Simard & Frasconi 1994 (latching)', () => {
  it('the root solved here is the known one: x̄ ≈ 0.8586 for w = 1.5, ≈ 0.9575 for w = 2', () => {
    assert.ok(Math.abs(latch(1.5) - 0.8586) < 1e-4);
    assert.ok(Math.abs(latch(2) - 0.9575) < 1e-4);
  });

  for (const w of BENGIO_WEIGHTS) {
    describe(`w = ${w}`, () => {
      const xbar = latch(w);
      const gain = w * (1 - xbar * xbar);

      it(`latches: h_t settles at x̄ = tanh(${w}·x̄) ≠ 0 and stays, with a gain w(1 − x̄²) = ${gain.toFixed(4)} < 1 (stable)`, async () => {
        const r = await analyzePaper('paper-bengio1994', `paper-bengio1994.w${w}.unroll.json`);
        assert.equal(r.hidden.cols, 1);
        assert.equal(r.hidden.rows, BENGIO_STEPS);
        assert.ok(gain < 1 && xbar > 0.5);
        for (let t = LATCHED; t < BENGIO_STEPS; t++)
          assert.ok(Math.abs(r.hidden.data[t] - xbar) < 1e-13, `h_${t} = ${r.hidden.data[t]}, x̄ = ${xbar}`);
      });

      it('the step Jacobian ∂h_t/∂h_{t−1} equals w(1 − x̄²) once latched (to 1e-9)', async () => {
        const r = await analyzePaper('paper-bengio1994', `paper-bengio1994.w${w}.unroll.json`);
        for (let t = LATCHED; t < BENGIO_STEPS; t++) {
          assert.ok(Math.abs(r.stepJacobian[t] / gain - 1) < 1e-9, `step ${t}: ${r.stepJacobian[t]} against ${gain}`);
        }
      });

      it('‖∂ℓ_T/∂h_k‖ falls by exactly w(1 − x̄²) per step back (to 1e-9), from ∂ℓ_T/∂h_T = 2x̄', async () => {
        const r = await analyzePaper('paper-bengio1994', `paper-bengio1994.w${w}.unroll.json`);
        const row = lastFlowRow(r);
        const T = BENGIO_STEPS - 1;
        assert.equal(row.length, BENGIO_STEPS);
        // ℓ_T = (o_T − y)² with o_T = 1·h_T + 0 and y = 0, so ∂ℓ_T/∂h_T = 2·h_T = 2x̄.
        assert.ok(Math.abs(row[T] - 2 * xbar) < 1e-12, `‖∂ℓ_T/∂h_T‖ = ${row[T]}`);
        for (let k = LATCHED - 1; k < T; k++) {
          const ratio = row[k] / row[k + 1];
          assert.ok(
            Math.abs(ratio / gain - 1) < 1e-9,
            `‖∂ℓ_T/∂h_${k}‖/‖∂ℓ_T/∂h_${k + 1}‖ = ${ratio}, w(1 − x̄²) = ${gain}`,
          );
        }
        // The decay view's curve (one row: log10 of it by distance) falls by log10 w(1 − x̄²) per step once latched.
        const mean = r.flow.decay.meanLog10;
        for (let d = 0; d < T - LATCHED; d++)
          assert.ok(Math.abs(mean[d + 1] - mean[d] - Math.log10(gain)) < 1e-9, `decay at d = ${d}`);
        // With the loss at the last step only, ∂L/∂h_k is that row.
        for (let k = 0; k <= T; k++) assert.ok(Math.abs(Math.abs(r.dLdh.data[k]) - row[k]) <= 1e-12 * row[k]);
      });
    });
  }
});
