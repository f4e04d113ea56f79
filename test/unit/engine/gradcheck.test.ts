// Gradients against central finite differences of an independent reference forward (float64).
import assert from 'node:assert/strict';
import { initParams } from '../../../src/engine/params';
import { analyze } from '../../../src/engine/analyze';
import type { ParamSet } from '../../../src/engine/types';
import type { ResolvedModel } from '../../../src/protocol/result';
import { model, randomSeq, refLosses, sum } from './helpers';

const meta = { dataFile: 'x', originalSteps: 0, sequence: 0, sequences: 1, notes: [] };

/**
 * Every entry within |analytic − numeric| ≤ 1e-8 + 1e-6·|numeric| (central differences with ε = 1e-6 carry
 * about 1e-9 of round-off on these losses); returns the worst relative error among entries above 1e-4.
 */
function checkGrads(
  m: ResolvedModel,
  loss: (p: ParamSet) => number,
  grads: Record<string, { data: Float64Array }>,
  p: ParamSet,
): number {
  const eps = 1e-6;
  let worst = 0;
  for (const [name, t] of p) {
    for (let i = 0; i < t.data.length; i++) {
      const keep = t.data[i];
      t.data[i] = keep + eps;
      const up = loss(p);
      t.data[i] = keep - eps;
      const down = loss(p);
      t.data[i] = keep;
      const numeric = (up - down) / (2 * eps);
      const analytic = grads[name].data[i];
      const err = Math.abs(numeric - analytic);
      if (Math.abs(numeric) > 1e-4) worst = Math.max(worst, err / Math.abs(numeric));
      assert.ok(
        err <= 1e-8 + 1e-6 * Math.abs(numeric),
        `${m.cell} ${name}[${i}]: analytic ${analytic} vs numeric ${numeric} (abs err ${err.toExponential(2)})`,
      );
    }
  }
  return worst;
}

describe('BPTT gradients match finite differences', () => {
  const cases: Partial<ResolvedModel>[] = [
    { cell: 'rnn' },
    { cell: 'rnn', nonlinearity: 'relu' },
    { cell: 'lstm' },
    { cell: 'gru' },
    { cell: 'rnn', loss: 'xent', outputSize: 3 },
    { cell: 'lstm', loss: 'xent', outputSize: 3 },
    { cell: 'gru', loss: 'xent', outputSize: 3 },
    { cell: 'rnn', layers: 2 },
    { cell: 'lstm', layers: 2 },
    { cell: 'gru', layers: 3 },
  ];
  for (const c of cases) {
    it(`full BPTT: ${JSON.stringify(c)}`, () => {
      const m = model(c);
      const p = initParams(m);
      const seq = randomSeq(m, 7, 3);
      const r = analyze(m, p, seq, { meta });
      const L = sum(refLosses(m, p, seq).losses);
      assert.ok(Math.abs(L - r.loss) < 1e-12 * Math.max(1, Math.abs(L)), `loss ${r.loss} vs reference ${L}`);
      const worst = checkGrads(m, (q) => sum(refLosses(m, q, seq).losses), r.grads, p);
      assert.ok(worst < 1e-5);
    });
  }

  it('steps without a target contribute nothing (seq-to-one)', () => {
    const m = model({ cell: 'lstm' });
    const p = initParams(m);
    const seq = randomSeq(m, 6, 4, 6);
    const r = analyze(m, p, seq, { meta });
    assert.deepEqual(Array.from(r.lossPerStep.subarray(0, 5)), [0, 0, 0, 0, 0]);
    checkGrads(m, (q) => sum(refLosses(m, q, seq).losses), r.grads, p);
  });

  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    for (const layers of [1, 2]) {
      it(`truncated BPTT (k=3) equals the gradient with states detached k steps back: ${cell}, ${layers} layer(s)`, () => {
        const m = model({ cell, layers, bptt: { truncate: 3 } });
        const p = initParams(m);
        const seq = randomSeq(m, 8, 5);
        const r = analyze(m, p, seq, { meta });
        const base = refLosses(m, p, seq).states;
        // ℓ_t with the states entering step t−k+1 frozen at their unperturbed values.
        const truncatedLoss = (q: ParamSet) => {
          let total = 0;
          for (let t = 0; t < seq.T; t++) {
            const from = Math.max(0, t - 2);
            total += refLosses(m, q, seq, from, from > 0 ? base[from] : undefined).losses[t];
          }
          return total;
        };
        checkGrads(m, truncatedLoss, r.grads, p);
        // And it differs from the full gradient, so the test can tell the two apart.
        const full = analyze({ ...m, bptt: { truncate: null } }, p, seq, { meta });
        const diff = Math.max(
          ...Array.from(full.grads['rnn.weight_hh_l0'].data, (v, i) =>
            Math.abs(v - r.grads['rnn.weight_hh_l0'].data[i]),
          ),
        );
        assert.ok(diff > 1e-8, 'truncated and full gradients should differ on an 8-step sequence');
      });
    }
  }
});
