// Pascanu, Mikolov & Bengio 2013, section 2.1: for a vanilla RNN, ‖∂h_t/∂h_k‖ ≤ (γσ_max)^{t−k} with γ a bound on
// |f′| (1 for tanh and relu), hence ‖∂ℓ_t/∂h_k‖ ≤ ‖∂ℓ_t/∂h_t‖·(γσ_max)^{t−k} for every entry of the flow matrix.
import assert from 'node:assert/strict';
import { PASCANU_RADII, paperExampleSet } from '../../../src/data/paperExamples';
import type { AnalysisResult } from '../../../src/protocol/result';
import { analyzePaper, largestSingularValue, loadPaper } from './helpers';

/**
 * Every entry at distance d ≥ 1 of the flow matrix against the bound (d = 0 is the bound's own starting point);
 * returns the largest ratio measured/bound, ≤ 1 when the bound holds.
 */
function worstAgainstBound(r: AnalysisResult, sigma: number, gamma: number): number {
  let worst = 0;
  r.flow.steps.forEach((t, i) => {
    const row = r.flow.matrix[i];
    for (let k = 0; k < t; k++) {
      const bound = row[t] * (gamma * sigma) ** (t - k);
      if (bound > 0) worst = Math.max(worst, row[k] / bound);
      else assert.equal(row[k], 0);
    }
  });
  return worst;
}

function withInit(text: string, nonlinearity: string, rho: number, seed: number): string {
  return text
    .replace(/"nonlinearity": "\w+"/, `"nonlinearity": "${nonlinearity}"`)
    .replace(/"spectralRadius": [\d.]+/, `"spectralRadius": ${rho}`)
    .replace(/"seed": \d+/, `"seed": ${seed}`);
}

describe('paper: Pascanu, Mikolov & Bengio 2013 (the (γσ_max)^d bound)', () => {
  const models = paperExampleSet('paper-pascanu2013').filter((f) => f.name.endsWith('.unroll.json'));

  it('has a tanh and a relu model at each spectral radius', () => {
    assert.deepEqual(
      models.map((f) => f.name).sort(),
      ['relu', 'tanh'].flatMap((n) => PASCANU_RADII.map((r) => `paper-pascanu2013.${n}-rho${r}.unroll.json`)).sort(),
    );
  });

  for (const f of models) {
    it(`${f.name}: σ_max and γ as the paper defines them, and no flow entry above the bound`, async () => {
      const r = await analyzePaper('paper-pascanu2013', f.name);
      const { params } = await loadPaper('paper-pascanu2013', f.name);
      const sigma = largestSingularValue(params.get('rnn.weight_hh_l0')!.data, r.model.hidden);
      assert.ok(
        Math.abs(r.spectral.sigmaMax / sigma - 1) < 1e-9,
        `σ_max ${r.spectral.sigmaMax} against ${sigma} computed here`,
      );
      // γ bounds |f′|: 1 for tanh (at 0) and for relu (1 where active). The line the decay view draws has slope log10(γσ_max).
      assert.equal(r.spectral.gamma, 1);
      assert.ok(Math.abs(r.spectral.boundSlope - Math.log10(sigma)) < 1e-12);
      assert.equal(r.flow.steps.length, r.model.window, 'every step has a loss, every row computed');
      const worst = worstAgainstBound(r, sigma, 1);
      assert.ok(worst <= 1 + 1e-9, `a flow entry is ${worst}× its bound`);
      // What the decay view draws: the mean of log10‖∂ℓ_t/∂h_{t−d}‖ against the line from its d = 0 value.
      const mean = r.flow.decay.meanLog10;
      for (let d = 1; d < mean.length; d++)
        assert.ok(mean[d] <= mean[0] + d * r.spectral.boundSlope, `decay view: d = ${d} above the line`);
      // Below 1: σ_max is still above 1, so the bound grows while the measured flow decays (the model file says so).
      if (r.spectral.radius < 1)
        assert.ok(sigma > 1 && r.flow.decay.slope < 0, `σ_max ${sigma}, slope ${r.flow.decay.slope}`);
      // Nor is it vacuous: somewhere the measured flow comes within a factor of 3 of it.
      assert.ok(worst > 1 / 3, `closest approach ${worst}`);
    });
  }

  it('holds for random W_hh of many scales and seeds, tanh and relu (48 networks)', async () => {
    const base = models.find((f) => f.name.includes('tanh'))!;
    for (const nonlinearity of ['tanh', 'relu']) {
      for (const rho of [0.3, 0.7, 1, 1.3, 2, 3]) {
        for (const seed of [1, 2, 3, 4]) {
          const text = withInit(base.contents, nonlinearity, rho, seed);
          const r = await analyzePaper('paper-pascanu2013', base.name, { [base.name]: text });
          assert.equal(r.model.nonlinearity, nonlinearity);
          const { params } = await loadPaper('paper-pascanu2013', base.name, { [base.name]: text });
          const sigma = largestSingularValue(params.get('rnn.weight_hh_l0')!.data, r.model.hidden);
          const worst = worstAgainstBound(r, sigma, 1);
          assert.ok(
            worst <= 1 + 1e-9,
            `${nonlinearity}, ρ = ${rho}, seed ${seed}: a flow entry is ${worst}× its bound`,
          );
        }
      }
    }
  });

  it('the bound is attained where f′ = 1 and every singular value is σ_max: ‖∂ℓ_t/∂h_k‖ = ‖∂ℓ_t/∂h_t‖·s^{t−k}', async () => {
    // Zero inputs and zero biases keep h_t = 0, where tanh′ = 1; an orthogonal W_hh rescaled to spectral radius s is
    // s·Q, whose singular values all equal s. Then each step multiplies the gradient's norm by exactly s.
    const [data, ...rest] = paperExampleSet('paper-pascanu2013');
    const zeroInputs = data.contents.replace(/^[^,\n]+,[^,\n]+,[^,\n]+,(?=[^,\n]+$)/gm, (row, offset) =>
      offset === 0 ? row : '0,0,0,',
    );
    assert.equal(zeroInputs.split('\n')[1].slice(0, 6), '0,0,0,');
    const base = rest.find((f) => f.name.includes('tanh'))!;
    for (const s of [0.8, 1.25]) {
      const model = base.contents.replace(
        /"kind": "xavier", "spectralRadius": [\d.]+/,
        `"kind": "orthogonal", "spectralRadius": ${s}`,
      );
      const r = await analyzePaper('paper-pascanu2013', base.name, { [base.name]: model, [data.name]: zeroInputs });
      assert.ok(r.hidden.data.every((h) => h === 0));
      r.flow.steps.forEach((t, i) => {
        const row = r.flow.matrix[i];
        for (let k = 0; k < t; k++) {
          const expected = row[t] * s ** (t - k);
          assert.ok(
            Math.abs(row[k] / expected - 1) < 1e-9,
            `s = ${s}, t = ${t}, k = ${k}: ${row[k]} against ${expected}`,
          );
        }
      });
    }
  });

  it('applies to the vanilla RNN only: for an LSTM the line drawn from the candidate block is not a bound, with γ = 1 or 1/4', async () => {
    // The bound needs h_t = f(W_hh h_{t−1} + …) with |f′| ≤ γ. Unroll's vanilla cell has tanh and relu (γ = 1); the
    // logistic sigmoid (γ = 1/4) appears only inside LSTM/GRU gates, where the cell path c_t = f_t c_{t−1} + … carries
    // the gradient past any (γσ_max)^d drawn from one block. Here the candidate block is 0.5·Q and the forget gate ≈ 0.99.
    const base = models.find((f) => f.name.includes('tanh'))!;
    const model = base.contents
      .replace('"cell": "rnn"', '"cell": "lstm"')
      .replace(/\s*"nonlinearity": "tanh",/, '')
      .replace(/"init": \{[^}]*\}/, '"init": { "kind": "orthogonal", "spectralRadius": 0.5, "forgetBias": 5 }');
    const r = await analyzePaper('paper-pascanu2013', base.name, { [base.name]: model });
    assert.equal(r.model.cell, 'lstm');
    assert.ok(Math.abs(r.spectral.sigmaMax - 0.5) < 1e-9, `σ_max of the candidate block ${r.spectral.sigmaMax}`);
    assert.equal(r.spectral.gamma, 1);
    assert.ok(worstAgainstBound(r, r.spectral.sigmaMax, 1) > 1e6);
    assert.ok(worstAgainstBound(r, r.spectral.sigmaMax, 1 / 4) > 1e6);
  });
});
