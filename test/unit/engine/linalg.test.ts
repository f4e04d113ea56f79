// The dense kernels against naive triple loops, on shapes that reach every path: the SIMD kernel (4+ rows, N a
// multiple of 4, K even), the two-row and one-row JavaScript tiles and their leftover columns, offsets, accumulation,
// gemmTNAcc's slicing of long sums and gemmNTPacked (a packed B, any number of rows). Also σ_max's tridiagonal
// bisection against the general eigenvalue routine, ρ and σ_max from the WebAssembly kernel against the JavaScript
// reference (and the committed kernel against its AssemblyScript source), and spectralOf's reuse of ρ and σ_max (through an
// AnalysisCache) for an unchanged W_hh.
import assert from 'node:assert/strict';
import { PackedOperand, gemmNNAcc, gemmNT, gemmNTPacked, gemmTNAcc } from '../../../src/engine/linalg';
import { eigenvalues, jsSigmaMax, jsSpectralRadius, sigmaMax, spectralRadius } from '../../../src/engine/eigen';
import { KERNELS_WASM_BASE64 } from '../../../src/engine/kernelsWasm';
import { spectralOf } from '../../../src/engine/diagnostics';
import { Network } from '../../../src/engine/network';
import { AnalysisCache } from '../../../src/engine/cache';
import { initParams } from '../../../src/engine/params';
import { model } from './helpers';
import { Rng } from '../../../src/engine/rng';

const rng = new Rng(11);
const rand = (n: number) => new Float64Array(n).map(() => rng.range(-1, 1));
const SHAPES: [number, number, number][] = [[1, 1, 1], [1, 13, 7], [1, 16, 128], [2, 5, 3], [3, 9, 5], [4, 8, 6], [7, 12, 10], [32, 128, 64], [33, 20, 17], [300, 8, 6]];

function assertClose(actual: Float64Array, expected: Float64Array, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= 1e-12 * (1 + Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('dense kernels', () => {
  for (const [M, N, K] of SHAPES) {
    it(`gemmNT ${M}×${N}×${K}, at offsets, set and accumulate`, () => {
      const aOff = 3, bOff = 5, cOff = 2;
      const A = rand(aOff + M * K), B = rand(bOff + N * K), C0 = rand(cOff + M * N);
      const naive = (start: Float64Array) => {
        const out = Float64Array.from(start);
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let s = 0;
            for (let k = 0; k < K; k++) s += A[aOff + i * K + k] * B[bOff + j * K + k];
            out[cOff + i * N + j] += s;
          }
        }
        return out;
      };
      const acc = Float64Array.from(C0);
      gemmNT(M, N, K, A, aOff, B, bOff, acc, cOff, true);
      assertClose(acc, naive(C0), 'accumulated');
      const set = Float64Array.from(C0);
      gemmNT(M, N, K, A, aOff, B, bOff, set, cOff, false);
      const zeroed = Float64Array.from(C0).fill(0, cOff, cOff + M * N);
      assertClose(set, naive(zeroed), 'set');
      assert.equal(set[0], C0[0], 'entries before cOff are left alone');
    });

    it(`gemmNTPacked ${M}×${N}×${K}: a packed B keeps its values across products, with other products and packed operands in between`, () => {
      const bOff = 4;
      const B = rand(bOff + N * K);
      const values = Float64Array.from(B);
      const packed = new PackedOperand(N, K);
      packed.load(B, bOff);
      B.fill(0); // the packed copy is what counts
      const other = new PackedOperand(N, K);
      for (let round = 0; round < 2; round++) {
        const A = rand(M * K), C0 = rand(M * N);
        const naive = (start: Float64Array) => {
          const out = Float64Array.from(start);
          for (let i = 0; i < M; i++) {
            for (let j = 0; j < N; j++) {
              let s = 0;
              for (let k = 0; k < K; k++) s += A[i * K + k] * values[bOff + j * K + k];
              out[i * N + j] += s;
            }
          }
          return out;
        };
        gemmNT(64, 64, 8, rand(64 * 8), 0, rand(64 * 8), 0, new Float64Array(64 * 64), 0, false);
        other.load(rand(N * K));
        gemmNTPacked(M, A, 0, other, new Float64Array(M * N), 0, false);
        const acc = Float64Array.from(C0);
        gemmNTPacked(M, A, 0, packed, acc, 0, true);
        assertClose(acc, naive(C0), 'accumulated');
        const set = Float64Array.from(C0);
        gemmNTPacked(M, A, 0, packed, set, 0, false);
        assertClose(set, naive(new Float64Array(M * N)), 'set');
      }
    });

    it(`gemmNNAcc and gemmTNAcc ${M}×${N}×${K}`, () => {
      const A = rand(M * K), B = rand(K * N), C0 = rand(M * N);
      const nn = Float64Array.from(C0);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) nn[i * N + j] += A[i * K + k] * B[k * N + j];
      const gotNN = Float64Array.from(C0);
      gemmNNAcc(M, N, K, A, 0, B, 0, gotNN, 0);
      assertClose(gotNN, nn, 'NN');
      // Aᵀ as K×M with a long K, so that gemmTNAcc runs over several slices.
      const longK = 300 + K;
      const At = rand(longK * M), Bk = rand(longK * N);
      const tn = Float64Array.from(C0);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) for (let k = 0; k < longK; k++) tn[i * N + j] += At[k * M + i] * Bk[k * N + j];
      const gotTN = Float64Array.from(C0);
      gemmTNAcc(M, N, longK, At, 0, Bk, 0, gotTN, 0);
      assertClose(gotTN, tn, 'TN');
    });
  }

  for (const [m, n] of [[7, 5], [5, 7], [24, 24], [1, 3]]) {
    it(`σ_max of a ${m}×${n} matrix equals √ of the top eigenvalue of AᵀA from the general QR`, () => {
      const A = rand(m * n);
      const ata = new Float64Array(n * n);
      gemmTNAcc(n, n, m, A, 0, A, 0, ata, 0);
      const top = Math.max(...eigenvalues(ata, n).re);
      const expected = Math.sqrt(Math.max(0, top));
      assert.ok(Math.abs(sigmaMax(A, m, n) - expected) <= 1e-12 * expected, `${sigmaMax(A, m, n)} vs ${expected}`);
    });
  }

  /** Matrices that reach the kernel's paths: odd and even sizes (the f64x2 loops' leftovers), splits, zeros. */
  const spectralCases: [string, number, () => Float64Array][] = [
    ...[1, 2, 3, 4, 5, 9, 16, 33, 64, 128].map((n): [string, number, () => Float64Array] => [`random ${n}×${n}`, n, () => rand(n * n)]),
    ['upper triangular 20×20 (every subdiagonal already zero)', 20, () => rand(400).map((v, i) => (Math.floor(i / 20) > i % 20 ? 0 : v))],
    ['non-normal upper bidiagonal 24×24', 24, () => new Float64Array(576).map((_, i) => (i % 25 === 0 ? 0.7 : i % 25 === 1 ? 3 : 0))],
    ['block diagonal 30×30 (the QR splits the matrix)', 30, () => rand(900).map((v, i) => (Math.floor(i / 30) < 15 === i % 30 < 15 ? v : 0))],
    ['zero 8×8', 8, () => new Float64Array(64)],
    ['orthogonal-like rotation blocks 10×10', 10, () => new Float64Array(100).map((_, i) => { const r = Math.floor(i / 10), c = i % 10; return r === c ? Math.cos(0.4) : (r ^ 1) === c ? (r & 1 ? 1 : -1) * Math.sin(0.4) : 0; })],
  ];
  for (const [what, n, make] of spectralCases) {
    it(`ρ and σ_max from the WebAssembly kernel equal the JavaScript reference: ${what}`, () => {
      const A = make();
      const copy = Float64Array.from(A);
      const rho = spectralRadius(A, n), jsRho = jsSpectralRadius(A, n);
      const sigma = sigmaMax(A, n, n), jsSigma = jsSigmaMax(A, n, n);
      assert.deepEqual(A, copy, 'the input is left as it was');
      const scale = 1 + jsSigma; // ρ ≤ σ_max: errors are relative to the matrix, not to a small ρ
      assert.ok(Math.abs(rho - jsRho) <= 1e-12 * scale, `ρ ${rho} vs ${jsRho}`);
      assert.ok(Math.abs(sigma - jsSigma) <= 1e-12 * scale, `σ ${sigma} vs ${jsSigma}`);
      assert.ok(rho <= sigma * (1 + 1e-12) + 1e-300, `ρ ${rho} ≤ σ ${sigma}`);
    });
  }

  it('σ_max from the kernel on non-square matrices equals the reference', () => {
    for (const [m, n] of [[7, 5], [5, 7], [1, 3], [40, 17]]) {
      const A = rand(m * n);
      assert.ok(Math.abs(sigmaMax(A, m, n) - jsSigmaMax(A, m, n)) <= 1e-12 * jsSigmaMax(A, m, n), `${m}×${n}`);
    }
  });

  it('ρ and σ_max of weights near the float64 limit (a diverged training) scale with the matrix instead of failing', () => {
    const n = 16;
    const A = rand(n * n);
    const rho = spectralRadius(A, n), sigma = sigmaMax(A, n, n);
    for (const c of [2 ** 1000, 1e300, 1e-300]) {
      const big = Float64Array.from(A, (x) => x * c);
      const bigRho = spectralRadius(big, n), bigSigma = sigmaMax(big, n, n);
      assert.ok(Math.abs(bigRho / c - rho) <= 1e-12 * sigma, `ρ at ×${c}: ${bigRho} vs ${rho * c}`);
      assert.ok(Math.abs(bigSigma / c - sigma) <= 1e-12 * sigma, `σ at ×${c}: ${bigSigma} vs ${sigma * c}`);
    }
  });

  it('the committed WebAssembly kernel is what its AssemblyScript source compiles to', async function () {
    this.timeout(120000);
    // @ts-expect-error: a plain ES module script without types
    const { compileKernels } = await import('../../../scripts/wasm.mjs');
    const text: string = await compileKernels();
    assert.ok(text.includes(`'${KERNELS_WASM_BASE64}'`), 'src/engine/kernelsWasm.ts is stale: run npm run wasm');
  });

  it('spectralOf with a cache reuses ρ and σ_max for a bit-identical W_hh and recomputes after an in-place change', () => {
    for (const cell of ['rnn', 'lstm', 'gru'] as const) {
      const m = model({ cell, hidden: 12 });
      const p = initParams(m);
      const W = p.get('rnn.weight_hh_l0')!.data;
      const candidate = cell === 'rnn' ? 0 : 2; // RNN's whole W_hh, LSTM's g block, GRU's n block
      const block = () => W.slice(candidate * 144, (candidate + 1) * 144);
      const cache = new AnalysisCache();
      const check = (made: number) => {
        const s = spectralOf(new Network(m, p), null, cache);
        assert.equal(s.radius, spectralRadius(block(), 12));
        assert.equal(s.sigmaMax, sigmaMax(block(), 12, 12));
        assert.equal(cache.made.spectra, made, `${cell}: ρ and σ_max computed ${cache.made.spectra} times, expected ${made}`);
      };
      check(1);
      check(1); // unchanged: reused
      W[candidate * 144 + 5] += 0.25; // inside the matrix spectralOf reads
      check(2);
      W[candidate * 144 + 5] = -W[candidate * 144 + 5]; // a sign bit only
      check(3);
      if (cell !== 'rnn') {
        W[0] += 1; // another gate's block: not the matrix reported
        check(3);
      }
      // a second cache knows nothing of the first: no state outside the cache object
      const other = new AnalysisCache();
      spectralOf(new Network(m, p), null, other);
      assert.equal(other.made.spectra, 1);
    }
  });
});
