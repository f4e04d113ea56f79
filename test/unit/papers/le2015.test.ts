// Le, Jaitly & Hinton 2015: ReLU units with W_hh = I (the IRNN) pass the gradient back unchanged through every
// active unit, so on the adding problem with T = 150 ‖∂ℓ_T/∂h_k‖ stays nearly constant over all 150 steps at
// initialization, where a tanh RNN with small random weights loses it within a few dozen steps.
import assert from 'node:assert/strict';
import { ADDING_STEPS } from '../../../src/data/paperExamples';
import type { TrainPoint } from '../../../src/protocol/result';
import { trainLoaded } from '../../../src/worker/jobs';
import { analyzePaper, firstBelow, lastFlowRow, loadPaper } from './helpers';

describe('paper: Le, Jaitly & Hinton 2015 (IRNN)', () => {
  it('the IRNN is what the paper initializes: ReLU, W_hh = I, biases 0, 100 units, T = 150', async () => {
    const { loaded, params } = await loadPaper('paper-le2015', 'paper-le2015.irnn.unroll.json');
    assert.equal(loaded.model.nonlinearity, 'relu');
    assert.equal(loaded.model.hidden, 100);
    assert.equal(loaded.model.window, ADDING_STEPS);
    const W = params.get('rnn.weight_hh_l0')!.data;
    for (let i = 0; i < 100; i++) for (let j = 0; j < 100; j++) assert.equal(W[i * 100 + j], i === j ? 1 : 0);
    for (const b of ['rnn.bias_ih_l0', 'rnn.bias_hh_l0']) assert.ok(params.get(b)!.data.every((v) => v === 0));
  });

  it(`IRNN: ‖∂ℓ_T/∂h_k‖ stays within a factor of 2 of its value at k = T over all ${ADDING_STEPS} steps`, async () => {
    const r = await analyzePaper('paper-le2015', 'paper-le2015.irnn.unroll.json');
    const row = lastFlowRow(r);
    assert.equal(row.length, ADDING_STEPS);
    const T = ADDING_STEPS - 1;
    for (let k = 0; k <= T; k++)
      assert.ok(row[k] >= row[T] / 2 && row[k] <= row[T] * (1 + 1e-12), `‖∂ℓ_T/∂h_${k}‖ = ${row[k]}, at T: ${row[T]}`);
    // With W_hh = I the step Jacobian is diag(relu′): going back can only switch units off, never amplify.
    for (let k = 0; k < T; k++) assert.ok(row[k] <= row[k + 1] * (1 + 1e-12));
    assert.equal(r.flow.decay.horizon, null);
  });

  it('tanh with small random weights: ‖∂ℓ_T/∂h_k‖ is below 1e-3 of its value at k = T within 15 steps, and below 1e-20 by k = 0', async () => {
    const r = await analyzePaper('paper-le2015', 'paper-le2015.tanh.unroll.json');
    const row = lastFlowRow(r);
    const d = firstBelow(row, 1e-3);
    assert.ok(d !== null && d <= 15, `1e-3 reached at d = ${d}`);
    assert.ok(row[0] < 1e-20 * row[row.length - 1], `at k = 0: ${row[0] / row[row.length - 1]} of k = T`);
    assert.equal(r.flow.decay.horizon, d, 'the memory horizon the tool reports is the distance found here');
    // The comment's "spectral radius about 0.6" for PyTorch's U(±1/√H) with H = 100.
    assert.ok(r.spectral.radius > 0.5 && r.spectral.radius < 0.7, `ρ = ${r.spectral.radius}`);
  });

  it('the IRNN trains: ρ of a W_hh that stays near I is found after every epoch (it used to end in "QR iteration did not converge")', async () => {
    const { loaded, params } = await loadPaper('paper-le2015', 'paper-le2015.irnn.unroll.json');
    const points: TrainPoint[] = [];
    const { summary } = await trainLoaded(loaded, loaded.model, params, 2, {
      onProgress: (p) => points.push(p),
      shouldStop: () => false,
      yieldNow: async () => {},
    });
    assert.equal(summary.reason, 'finished');
    assert.equal(points.length, 2);
    for (const p of points) assert.ok(Number.isFinite(p.radius) && Math.abs(p.radius - 1) < 0.05, `ρ ${p.radius}`);
  });
});
