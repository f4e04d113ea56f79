// ρ of matrices whose eigenvalues cluster: an IRNN's W_hh starts at I and stays near it while it trains. Francis QR
// formed its shifted first column as H² − sH + tI, which cancels to round-off there, and never converged (training
// the paper-le2015 IRNN example for one epoch ended in "eigenvalues: QR iteration did not converge").
import assert from 'node:assert/strict';
import { jsSpectralRadius, spectralRadius } from '../../../src/engine/eigen';
import { Rng } from '../../../src/engine/rng';

/** A random orthogonal n×n matrix: Gram–Schmidt on Gaussian columns, written here. */
function orthogonal(n: number, rng: Rng): Float64Array {
  const q = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const v = Array.from({ length: n }, () => rng.normal());
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += q[i * n + k] * v[i];
        for (let i = 0; i < n; i++) v[i] -= d * q[i * n + k];
      }
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < n; i++) q[i * n + j] = v[i] / norm;
  }
  return q;
}

/** Q·B·Qᵀ: similar to B, so it has B's eigenvalues. */
function rotate(b: Float64Array, n: number, rng: Rng): Float64Array {
  const q = orthogonal(n, rng);
  const qb = new Float64Array(n * n),
    w = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[i * n + k] * b[k * n + j];
      qb[i * n + j] = s;
    }
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += qb[i * n + k] * q[j * n + k];
      w[i * n + j] = s;
    }
  return w;
}

/**
 * Eigenvalues near 1 with a known ρ: B block diagonal with 2×2 blocks r·[[cos θ, sin θ], [−sin θ, cos θ]]
 * (eigenvalues r·e^{±iθ}) when `complex`, else diagonal 1 + spread·u; then W = Q·B·Qᵀ.
 */
function nearIdentity(n: number, spread: number, complex: boolean, seed: number): { w: Float64Array; rho: number } {
  const rng = new Rng(seed);
  const b = new Float64Array(n * n);
  let rho = 0;
  for (let i = 0; i < n; i += complex ? 2 : 1) {
    const r = 1 + spread * rng.range(-1, 1);
    rho = Math.max(rho, r);
    if (complex) {
      const theta = spread * rng.range(0, 1);
      b[i * n + i] = b[(i + 1) * n + i + 1] = r * Math.cos(theta);
      b[i * n + i + 1] = r * Math.sin(theta);
      b[(i + 1) * n + i] = -r * Math.sin(theta);
    } else {
      b[i * n + i] = r;
    }
  }
  return { w: rotate(b, n, rng), rho };
}

describe('ρ when the eigenvalues cluster near 1 (an IRNN in training)', () => {
  for (const [n, spread, complex] of [
    [100, 1e-3, false],
    [100, 1e-4, true],
    [64, 1e-8, false],
    [64, 1e-6, true],
    [16, 1e-12, true],
  ] as const) {
    it(`n = ${n}, ${complex ? 'complex pairs r·e^{±iθ} with r, θ within' : 'real eigenvalues within'} ${spread} of 1: the JavaScript QR and the kernel find ρ`, () => {
      const { w, rho } = nearIdentity(n, spread, complex, n + Math.round(-Math.log10(spread)));
      const js = jsSpectralRadius(w, n);
      const kernel = spectralRadius(w, n);
      assert.ok(Math.abs(js - rho) < 1e-12, `JavaScript ρ ${js}, known ${rho}`);
      assert.ok(Math.abs(kernel - rho) < 1e-12, `kernel ρ ${kernel}, known ${rho}`);
    });
  }
});
