// The dense kernels against naive triple loops, on shapes that reach every path of the WebAssembly products
// (assembly/gemm.ts: four-row tiles with rows padded past M, the one-row kernel below four rows with its k
// leftovers, columns padded to a panel, gemmTNAcc with either operand the narrower) and of the JavaScript tiles (the
// fallback), at offsets, with accumulation on and off, gemmTNAcc's slicing of long sums and gemmNTPacked (a packed B,
// any number of rows); float32 products against the float32 reference; the relaxed-SIMD build against the plain
// one. Also σ_max's tridiagonal bisection against the general eigenvalue routine, ρ and σ_max from the WebAssembly
// kernel against the JavaScript reference (and the committed kernels against their AssemblyScript source), and
// spectralOf's reuse of ρ and σ_max (through an AnalysisCache) for an unchanged W_hh.
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  PackedOperand,
  allFinite,
  gemmNNAcc,
  gemmNT,
  gemmNTJs,
  gemmNTPacked,
  gemmTNAcc,
} from '../../../src/engine/linalg';
import { eigenvalues, jsSigmaMax, jsSpectralRadius, sigmaMax, spectralRadius } from '../../../src/engine/eigen';
import { KERNELS_RELAXED_WASM_BASE64, KERNELS_WASM_BASE64 } from '../../../src/engine/kernelsWasm';
import { kernels, type Kernels } from '../../../src/engine/wasm';
import { spectralOf } from '../../../src/engine/diagnostics';
import { Network } from '../../../src/engine/network';
import { AnalysisCache } from '../../../src/engine/cache';
import { initParams } from '../../../src/engine/params';
import { model } from './helpers';
import { Rng } from '../../../src/engine/rng';

const rng = new Rng(11);
const rand = (n: number) => new Float64Array(n).map(() => rng.range(-1, 1));
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 13, 7],
  [1, 16, 128],
  [1, 20, 9],
  [2, 5, 3],
  [3, 9, 5],
  [3, 36, 11],
  [4, 8, 6],
  [5, 4, 1],
  [7, 12, 10],
  [9, 2, 5],
  [32, 128, 64],
  [33, 20, 17],
  [300, 8, 6],
  [258, 9, 3],
];

function assertClose(actual: Float64Array, expected: Float64Array, what: string, tol = 1e-12): void {
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])),
      `${what}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

/** C (+)= A·Bᵀ with A and B rounded to float32, summed exactly (float64 holds every float32 product exactly). */
function naiveFloat32(
  M: number,
  N: number,
  K: number,
  A: Float64Array,
  aOff: number,
  B: Float64Array,
  bOff: number,
  C0: Float64Array,
  cOff: number,
  accumulate: boolean,
): Float64Array {
  const out = Float64Array.from(C0);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.fround(A[aOff + i * K + k]) * Math.fround(B[bOff + j * K + k]);
      out[cOff + i * N + j] = (accumulate ? out[cOff + i * N + j] : 0) + s;
    }
  }
  return out;
}

/** float32 sums of K terms of size ≤ 1 are within about K·2⁻²⁴ of the exact sum. */
const float32Tol = (K: number) => 4 * K * 2 ** -24;

describe('dense kernels', () => {
  for (const [M, N, K] of SHAPES) {
    it(`gemmNT ${M}×${N}×${K}, at offsets, set and accumulate`, () => {
      const aOff = 3,
        bOff = 5,
        cOff = 2;
      const A = rand(aOff + M * K),
        B = rand(bOff + N * K),
        C0 = rand(cOff + M * N);
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
      // The JavaScript tiles (the fallback where WebAssembly SIMD is missing) on the same operands.
      for (const accumulate of [false, true]) {
        const js = Float64Array.from(C0);
        gemmNTJs(M, N, K, A, aOff, B, bOff, js, cOff, accumulate);
        assertClose(js, naive(accumulate ? C0 : zeroed), `JavaScript accumulate=${accumulate}`);
        assertClose(accumulate ? acc : set, js, `WebAssembly against JavaScript, accumulate=${accumulate}`);
      }
    });

    it(`float32 gemmNT, gemmNTPacked and gemmTNAcc ${M}×${N}×${K}: the rounded operands' products, summed in float32, like the JavaScript reference`, () => {
      const aOff = 3,
        bOff = 5,
        cOff = 2;
      const A = rand(aOff + M * K),
        B = rand(bOff + N * K),
        C0 = rand(cOff + M * N);
      for (const accumulate of [false, true]) {
        const expected = naiveFloat32(M, N, K, A, aOff, B, bOff, C0, cOff, accumulate);
        const got = Float64Array.from(C0);
        gemmNT(M, N, K, A, aOff, B, bOff, got, cOff, accumulate, 'float32');
        assertClose(got, expected, `gemmNT accumulate=${accumulate}`, float32Tol(K));
        assert.equal(got[0], C0[0], 'entries before cOff are left alone');
        const reference = Float64Array.from(C0);
        gemmNTJs(M, N, K, A, aOff, B, bOff, reference, cOff, accumulate, true);
        assertClose(reference, expected, `JavaScript reference accumulate=${accumulate}`, float32Tol(K));
        const packed = new PackedOperand(N, K, 'float32');
        packed.load(B, bOff);
        const viaPacked = Float64Array.from(C0);
        gemmNTPacked(M, A, aOff, packed, viaPacked, cOff, accumulate);
        assertClose(viaPacked, expected, `gemmNTPacked accumulate=${accumulate}`, float32Tol(K));
      }
      // The products differ from float64's: the operands really are rounded (a float64 product would match to 1e-15).
      const f64 = Float64Array.from(C0),
        f32 = Float64Array.from(C0);
      gemmNT(M, N, K, A, aOff, B, bOff, f64, cOff, false);
      gemmNT(M, N, K, A, aOff, B, bOff, f32, cOff, false, 'float32');
      assert.ok(
        f64.some((v, i) => Math.abs(v - f32[i]) > 1e-10),
        'float32 products differ from float64 ones',
      );
      const longK = 300 + K;
      const At = rand(longK * M),
        Bk = rand(longK * N);
      const tn = new Float64Array(M * N);
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++)
          for (let k = 0; k < longK; k++) tn[i * N + j] += Math.fround(At[k * M + i]) * Math.fround(Bk[k * N + j]);
      const gotTN = new Float64Array(M * N);
      gemmTNAcc(M, N, longK, At, 0, Bk, 0, gotTN, 0, 'float32');
      assertClose(gotTN, tn, 'TN', float32Tol(longK));
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
        const A = rand(M * K),
          C0 = rand(M * N);
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

    it(`gemmNTPacked ${M}×${N}×${K} (and gemmNT) with a bias row: the product, then the bias added, bit for bit (float64 and float32)`, () => {
      for (const precision of ['float64', 'float32'] as const) {
        const packed = new PackedOperand(N, K, precision);
        packed.load(rand(N * K));
        const A = rand(2 + M * K),
          bias = Float64Array.from(rand(N), (v, j) => v * 10 ** (j % 5));
        const want = new Float64Array(M * N);
        gemmNTPacked(M, A, 2, packed, want, 0, false);
        for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) want[i * N + j] += bias[j];
        const got = rand(3 + M * N); // stale values: the bias row replaces them
        gemmNTPacked(M, A, 2, packed, got, 3, false, bias);
        for (let x = 0; x < M * N; x++) assert.ok(Object.is(got[3 + x], want[x]), `${precision} at ${x}`);
        assert.throws(() => gemmNTPacked(M, A, 2, packed, got, 3, true, bias));
        // gemmNT takes the same bias row (the JavaScript kernels below four rows in float64)
        const B = rand(N * K),
          wantNT = new Float64Array(M * N),
          gotNT = rand(M * N);
        gemmNT(M, N, K, A, 2, B, 0, wantNT, 0, false, precision);
        for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) wantNT[i * N + j] += bias[j];
        gemmNT(M, N, K, A, 2, B, 0, gotNT, 0, false, precision, bias);
        for (let x = 0; x < M * N; x++) assert.ok(Object.is(gotNT[x], wantNT[x]), `gemmNT ${precision} at ${x}`);
      }
    });

    it(`gemmNNAcc and gemmTNAcc ${M}×${N}×${K}`, () => {
      const A = rand(M * K),
        B = rand(K * N),
        C0 = rand(M * N);
      const nn = Float64Array.from(C0);
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) nn[i * N + j] += A[i * K + k] * B[k * N + j];
      const gotNN = Float64Array.from(C0);
      gemmNNAcc(M, N, K, A, 0, B, 0, gotNN, 0);
      assertClose(gotNN, nn, 'NN');
      // Aᵀ as K×M with a long K, so that gemmTNAcc runs over several slices.
      const longK = 300 + K;
      const At = rand(longK * M),
        Bk = rand(longK * N);
      const tn = Float64Array.from(C0);
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) for (let k = 0; k < longK; k++) tn[i * N + j] += At[k * M + i] * Bk[k * N + j];
      const gotTN = Float64Array.from(C0);
      gemmTNAcc(M, N, longK, At, 0, Bk, 0, gotTN, 0);
      assertClose(gotTN, tn, 'TN');
    });
  }

  for (const [m, n] of [
    [7, 5],
    [5, 7],
    [24, 24],
    [1, 3],
  ]) {
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
    ...[1, 2, 3, 4, 5, 9, 16, 33, 64, 128].map((n): [string, number, () => Float64Array] => [
      `random ${n}×${n}`,
      n,
      () => rand(n * n),
    ]),
    [
      'upper triangular 20×20 (every subdiagonal already zero)',
      20,
      () => rand(400).map((v, i) => (Math.floor(i / 20) > i % 20 ? 0 : v)),
    ],
    [
      'non-normal upper bidiagonal 24×24',
      24,
      () => new Float64Array(576).map((_, i) => (i % 25 === 0 ? 0.7 : i % 25 === 1 ? 3 : 0)),
    ],
    [
      'block diagonal 30×30 (the QR splits the matrix)',
      30,
      () => rand(900).map((v, i) => (Math.floor(i / 30) < 15 === i % 30 < 15 ? v : 0)),
    ],
    // The QR sweeps go in chunks of 16 reflections with deferred passes (four columns, two rows or one at a time):
    // sizes that leave every remainder, and a near-identity matrix whose sweeps split often
    ...[67, 130, 203].map((n): [string, number, () => Float64Array] => [
      `random ${n}×${n} (several QR chunks per sweep)`,
      n,
      () => rand(n * n),
    ]),
    [
      'near the identity 100×100 (clustered eigenvalues)',
      100,
      () => rand(10000).map((v, i) => (i % 101 === 0 ? 1 : 0) + 1e-3 * v),
    ],
    ['zero 8×8', 8, () => new Float64Array(64)],
    [
      'orthogonal-like rotation blocks 10×10',
      10,
      () =>
        new Float64Array(100).map((_, i) => {
          const r = Math.floor(i / 10),
            c = i % 10;
          return r === c ? Math.cos(0.4) : (r ^ 1) === c ? (r & 1 ? 1 : -1) * Math.sin(0.4) : 0;
        }),
    ],
  ];
  for (const [what, n, make] of spectralCases) {
    it(`ρ and σ_max from the WebAssembly kernel equal the JavaScript reference: ${what}`, () => {
      const A = make();
      const copy = Float64Array.from(A);
      const rho = spectralRadius(A, n),
        jsRho = jsSpectralRadius(A, n);
      const sigma = sigmaMax(A, n, n),
        jsSigma = jsSigmaMax(A, n, n);
      assert.deepEqual(A, copy, 'the input is left as it was');
      const scale = 1 + jsSigma; // ρ ≤ σ_max: errors are relative to the matrix, not to a small ρ
      assert.ok(Math.abs(rho - jsRho) <= 1e-12 * scale, `ρ ${rho} vs ${jsRho}`);
      assert.ok(Math.abs(sigma - jsSigma) <= 1e-12 * scale, `σ ${sigma} vs ${jsSigma}`);
      assert.ok(rho <= sigma * (1 + 1e-12) + 1e-300, `ρ ${rho} ≤ σ ${sigma}`);
    });
  }

  it('σ_max from the kernel on non-square matrices equals the reference', () => {
    for (const [m, n] of [
      [7, 5],
      [5, 7],
      [1, 3],
      [40, 17],
    ]) {
      const A = rand(m * n);
      assert.ok(Math.abs(sigmaMax(A, m, n) - jsSigmaMax(A, m, n)) <= 1e-12 * jsSigmaMax(A, m, n), `${m}×${n}`);
    }
  });

  it('gemmTNAcc with sumsA adds the column sums of A, rows in order, bit for bit, with either operand the narrower', () => {
    // K past one slice (256 steps) and not a multiple of it; M odd, below and above N (the operands swap sides)
    for (const [M, N, K] of [
      [5, 12, 300],
      [37, 8, 600],
      [64, 64, 257],
    ]) {
      for (const precision of ['float64', 'float32'] as const) {
        const A = Float64Array.from(rand(3 + K * M), (v, i) => v * 10 ** (i % 9) - 10 ** (i % 4));
        const B = rand(K * N);
        const sums = rand(M),
          want = Float64Array.from(sums);
        for (let r = 0; r < K; r++) for (let j = 0; j < M; j++) want[j] += A[3 + r * M + j];
        const C = new Float64Array(M * N),
          plain = new Float64Array(M * N);
        gemmTNAcc(M, N, K, A, 3, B, 0, C, 0, precision, sums);
        gemmTNAcc(M, N, K, A, 3, B, 0, plain, 0, precision);
        for (let j = 0; j < M; j++) assert.ok(Object.is(sums[j], want[j]), `${M}×${N}×${K} ${precision} sum ${j}`);
        for (let x = 0; x < M * N; x++)
          assert.ok(Object.is(C[x], plain[x]), `${M}×${N}×${K} ${precision} product ${x}`);
      }
    }
  });

  it('demote32 (how float32 operands are staged) rounds exactly as a Float32Array store, in place, at every length', () => {
    const k = kernels();
    if (!k) return;
    // ties to even, values past float32's range, subnormals, ±0, ±∞, NaN, and ordinary values
    const special = [
      1 + 2 ** -24,
      1 + 3 * 2 ** -24,
      -(1 + 2 ** -24),
      3.4028235677973366e38,
      1e39,
      -1e39,
      1e-40,
      -1e-45,
      1e-50,
      0,
      -0,
      Infinity,
      -Infinity,
      NaN,
    ];
    const rng = new Rng(11);
    for (let n = 0; n <= 41; n++) {
      const src = Float64Array.from({ length: n }, (_, i) =>
        i < special.length && n % 3 === 0 ? special[(i + n) % special.length] : rng.normal() * 10 ** ((i % 7) - 3),
      );
      const at = k.gemmReserve(8 * n + 64);
      new Float64Array(k.memory.buffer, at, n).set(src);
      k.demote32(at, at, n);
      const got = new Float32Array(k.memory.buffer, at, n);
      const want = Float32Array.from(src);
      for (let i = 0; i < n; i++)
        assert.ok(Object.is(got[i], want[i]), `n=${n} i=${i}: ${src[i]} -> ${got[i]}, not ${want[i]}`);
    }
  });

  it('allFinite is false exactly when some entry is ±∞ or NaN, wherever it is', () => {
    const finite = Float64Array.from([0, -0, 1, -2.5, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 1e-320]);
    assert.equal(allFinite(finite), true);
    assert.equal(allFinite(new Float64Array(0)), true);
    // every length up to 11 (the four sums and the tail after them), the bad entry at every place
    const long = Float64Array.from([...finite, 3, -4, 5]);
    for (const bad of [Infinity, -Infinity, NaN]) {
      for (let n = 1; n <= long.length; n++) {
        assert.equal(allFinite(long.slice(0, n)), true);
        for (let at = 0; at < n; at++) {
          const a = long.slice(0, n);
          a[at] = bad;
          assert.equal(allFinite(a), false, `${bad} at ${at} of ${n}`);
        }
      }
    }
  });

  it('σ_max as the first use of the kernels in a process (AᵀA grows their memory) equals the reference', () => {
    // A fresh process: the kernels' memory starts small, so the product forming AᵀA grows it. A view of the memory
    // taken before that product is detached by the growth (TypeError on set), so AᵀA must be formed first.
    const eigen = fileURLToPath(new URL('../../../src/engine/eigen.ts', import.meta.url));
    const script = `const { sigmaMax, jsSigmaMax } = require(${JSON.stringify(eigen)});
      const n = 128, A = Float64Array.from({ length: n * n }, (_, i) => Math.sin(i * 12.9898) * 0.3);
      console.log(JSON.stringify([sigmaMax(A, n, n), jsSigmaMax(A, n, n)]));`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const [sigma, jsSigma] = JSON.parse(run.stdout) as number[];
    assert.ok(Math.abs(sigma - jsSigma) <= 1e-12 * jsSigma, `σ ${sigma} vs ${jsSigma}`);
  });

  it('ρ and σ_max of weights near the float64 limit (a diverged training) scale with the matrix instead of failing', () => {
    const n = 16;
    const A = rand(n * n);
    const rho = spectralRadius(A, n),
      sigma = sigmaMax(A, n, n);
    for (const c of [2 ** 1000, 1e300, 1e-300]) {
      const big = Float64Array.from(A, (x) => x * c);
      const bigRho = spectralRadius(big, n),
        bigSigma = sigmaMax(big, n, n);
      assert.ok(Math.abs(bigRho / c - rho) <= 1e-12 * sigma, `ρ at ×${c}: ${bigRho} vs ${rho * c}`);
      assert.ok(Math.abs(bigSigma / c - sigma) <= 1e-12 * sigma, `σ at ×${c}: ${bigSigma} vs ${sigma * c}`);
    }
  });

  it('the relaxed-SIMD build (fused multiply-adds) computes the same products as the plain build, to rounding', () => {
    // Node 20 validates relaxed SIMD only behind this V8 flag (as src/worker/relaxedSimd.ts sets it); later runtimes have it.
    setFlagsFromString('--experimental-wasm-relaxed-simd');
    const instance = (base64: string) =>
      new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(base64, 'base64')), {}).exports as unknown as Kernels;
    const [plain, relaxed] = [instance(KERNELS_WASM_BASE64), instance(KERNELS_RELAXED_WASM_BASE64)];
    for (const [M, N, K] of [
      [8, 16, 100],
      [2, 40, 33],
    ]) {
      for (const f32 of [false, true]) {
        const es = f32 ? 4 : 8,
          w = f32 ? 8 : 4,
          A = rand(M * K),
          B = rand(N * K);
        const results = [plain, relaxed].map((k) => {
          const base = k.gemmReserve(M * K * es + N * K * es + M * N * 8);
          const a = base,
            b = a + M * K * es,
            c = b + N * K * es;
          const view = f32 ? new Float32Array(k.memory.buffer) : new Float64Array(k.memory.buffer);
          view.set(A, a / es);
          // B packed in panels of w columns (N is a multiple of w here)
          for (let j = 0; j < N; j++)
            for (let kk = 0; kk < K; kk++) view[b / es + Math.floor(j / w) * K * w + kk * w + (j % w)] = B[j * K + kk];
          (f32 ? k.gemm32 : k.gemm64)(M, N / w, K, a, K * es, es, 4 * K * es, b, K * w * es, w * es, c, N * 8, 0);
          return new Float64Array(k.memory.buffer, c, M * N).slice();
        });
        const expected = new Float64Array(M * N);
        for (let i = 0; i < M; i++)
          for (let j = 0; j < N; j++)
            for (let kk = 0; kk < K; kk++)
              expected[i * N + j] += f32
                ? Math.fround(A[i * K + kk]) * Math.fround(B[j * K + kk])
                : A[i * K + kk] * B[j * K + kk];
        assertClose(results[0], expected, `plain ${f32 ? 'f32' : 'f64'} ${M}×${N}×${K}`, f32 ? float32Tol(K) : 1e-13);
        assertClose(results[1], expected, `relaxed ${f32 ? 'f32' : 'f64'} ${M}×${N}×${K}`, f32 ? float32Tol(K) : 1e-13);
      }
    }
  });

  it('the kernels load in this runtime (the products above ran in WebAssembly, not only in the JavaScript fallback)', () => {
    assert.ok(kernels(), 'WebAssembly SIMD is missing: only the JavaScript kernels were tested');
  });

  it('the committed WebAssembly kernels are what their AssemblyScript source compiles to', async function () {
    this.timeout(120000);
    // @ts-expect-error: a plain ES module script without types
    const { compileKernels } = await import('../../../scripts/wasm.mjs');
    const text: string = await compileKernels();
    assert.ok(
      text.includes(`'${KERNELS_WASM_BASE64}'`) && text.includes(`'${KERNELS_RELAXED_WASM_BASE64}'`),
      'src/engine/kernelsWasm.ts is stale: run npm run wasm',
    );
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
        assert.equal(
          cache.made.spectra,
          made,
          `${cell}: ρ and σ_max computed ${cache.made.spectra} times, expected ${made}`,
        );
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
