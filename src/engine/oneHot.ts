// Products with a one-hot left operand (a char-lm's inputs: one 1 per row, every other entry +0), as a column gather
// and a scatter-add instead of dense products: the same numbers, bit for bit, in a fraction of the work.
//
// Why the numbers are the same: every product kernel (linalg.ts, WebAssembly and JavaScript) sums each entry of C
// from +0 in the order of k. With x one-hot, the terms are 0·w = ±0, which leave a sum unchanged (a sum started at
// +0 never becomes −0), and 1·w = w, exact in both precisions (float32 rounds w once as it stages it, and a fused
// multiply-add of 1·w + s rounds as w + s does). So W x is w_c + 0 (+0 turns a −0 weight into +0, as the sum from
// +0 does), and Σ_r a_r x_r sums the a_r of the rows whose 1 is in column c, in row order. Non-finite operands are
// the exception (0·∞ is NaN in a dense product): the callers check and take the dense product then.
import type { Precision } from '../protocol/result';
import { kernels, type Kernels } from './wasm';

/**
 * The rows gemmTNAcc sums per slice before adding to C (TN_SLICE in linalg.ts): oneHotWeightGrad sums in the same
 * slices so that its float32 sums round as the product's do, and its float64 sums are grouped as the product's are.
 */
export const ONE_HOT_SLICE = 256;

/**
 * Whether each of the R rows of the R×D block X (from xOff) is one-hot: one entry 1, every other +0 (a −0 or any
 * other value makes it not). The column of each row's 1 goes to ids[r]; on false, ids is partly written.
 */
export function oneHotIndices(R: number, D: number, X: Float64Array, xOff: number, ids: Int32Array): boolean {
  for (let r = 0; r < R; r++) {
    let at = -1;
    const o = xOff + r * D;
    for (let c = 0; c < D; c++) {
      const v = X[o + c];
      if (v === 1 && at < 0) at = c;
      else if (v !== 0 || 1 / v < 0) return false;
    }
    if (at < 0) return false;
    ids[r] = at;
  }
  return true;
}

/**
 * pre[r·N + j] = (W x_r)_j (+ bias_j) for one-hot rows x_r given by ids (W: N×D, row-major): what
 * gemmNT(R, N, D, X, 0, W, 0, pre, 0, false, precision) followed by `pre[r·N + j] += bias[j]` gives, bit for bit.
 * `table` (at least D·N) is scratch: W's columns, rounded as the precision's product rounds them, bias added.
 * Returns false, having written nothing to pre, when a (rounded) weight is not finite: then the dense product's
 * NaNs (0·∞) differ from a gather, and the caller takes the dense product.
 */
export function oneHotProjection(
  R: number,
  N: number,
  D: number,
  ids: Int32Array,
  W: Float64Array,
  bias: Float64Array | null,
  pre: Float64Array,
  precision: Precision,
  table: Float64Array,
): boolean {
  const f32 = precision === 'float32';
  let finite = 0;
  for (let c = 0; c < D; c++) {
    for (let j = 0; j < N; j++) {
      const w = (f32 ? Math.fround(W[j * D + c]) : W[j * D + c]) + 0;
      finite += w - w;
      table[c * N + j] = w;
    }
  }
  if (finite !== 0) return false;
  if (bias) for (let c = 0; c < D; c++) for (let j = 0; j < N; j++) table[c * N + j] += bias[j];
  for (let r = 0; r < R; r++) pre.set(table.subarray(ids[r] * N, ids[r] * N + N), r * N);
  return true;
}

/**
 * C[j·D + c] += Σ_{r < R, ids[r] = c} A[aOff + r·N + j] (C: N×D, row-major): gemmTNAcc(N, D, R, A, aOff, X, 0, C, 0,
 * precision) for the one-hot X that ids describes, bit for bit while every sum is finite. Like the product it sums
 * slices of ONE_HOT_SLICE rows from 0 (in float32: A rounded to float32 and every partial sum rounded, the slice's
 * sum then added to the float64 C). `sums` (at least D·N) is scratch. With `colSums`, also colSums[j] += Σ_r
 * A[aOff + r·N + j] in the same pass, row after row (float64, as a bias gradient's column sums). Returns false when
 * some entry of C is not finite afterwards: a non-finite A spreads NaN over all of C's row in a dense product (0·∞)
 * but not here, so the caller must then recompute C densely (from what C held before). On the WebAssembly kernels
 * where they load (the sums on SIMD lanes across a row), else in JavaScript (`useKernels` false: JavaScript always).
 * aAt ≥ 0: A's rows from aOff on are also at that byte address of the kernels' memory, and are read from there.
 */
export function oneHotWeightGrad(
  N: number,
  D: number,
  R: number,
  A: Float64Array,
  aOff: number,
  ids: Int32Array,
  C: Float64Array,
  precision: Precision,
  sums: Float64Array,
  colSums: Float64Array | null = null,
  useKernels = true,
  aAt = -1,
): boolean {
  const k = (useKernels || aAt >= 0) && R > 0 ? kernels() : null;
  if (k) scatterInKernel(k, N, D, R, A, aOff, ids, C, precision === 'float32', colSums, aAt);
  else scatterJs(N, D, R, A, aOff, ids, C, precision === 'float32', sums, colSums);
  let finite = 0;
  for (let i = 0; i < N * D; i++) finite += C[i] - C[i];
  return finite === 0;
}

/** The scatter on the WebAssembly kernels (assembly/oneHot.ts): per slice, its rows and classes copied in, its sums added to C (copied in once) there. */
function scatterInKernel(
  k: Kernels,
  N: number,
  D: number,
  R: number,
  A: Float64Array,
  aOff: number,
  ids: Int32Array,
  C: Float64Array,
  f32: boolean,
  colSums: Float64Array | null,
  aAt: number,
): void {
  const slice = Math.min(R, ONE_HOT_SLICE);
  const aBytes = slice * N * 8,
    idBytes = roundUp(slice * 4, 16),
    sumBytes = roundUp(D * N * (f32 ? 4 : 8), 16);
  const base = k.oneHotReserve(aBytes + idBytes + sumBytes + D * N * 8 + (colSums ? N * 8 : 0));
  const a = base,
    idAt = a + aBytes,
    sumAt = idAt + idBytes,
    cAt = sumAt + sumBytes,
    colAt = colSums ? cAt + D * N * 8 : 0;
  const buffer = k.memory.buffer;
  const h64 = new Float64Array(buffer),
    h32 = new Float32Array(buffer),
    hi = new Int32Array(buffer);
  const sums = f32 ? h32 : h64,
    s0 = sumAt / (f32 ? 4 : 8);
  if (colSums) h64.set(colSums.subarray(0, N), colAt / 8);
  h64.set(C.subarray(0, N * D), cAt / 8); // C in the module: each slice's sums are added to it there
  for (let r0 = 0; r0 < R; r0 += ONE_HOT_SLICE) {
    const rows = Math.min(ONE_HOT_SLICE, R - r0);
    // A's rows where the caller keeps them in the module, or copied in
    let rowsAt = a;
    if (aAt >= 0) rowsAt = aAt + r0 * N * 8;
    else h64.set(A.subarray(aOff + r0 * N, aOff + (r0 + rows) * N), a / 8);
    hi.set(ids.subarray(r0, r0 + rows), idAt / 4);
    sums.fill(0, s0, s0 + D * N);
    k.oneHotScatter(rowsAt, rows, N, idAt, sumAt, colAt, f32 ? 1 : 0);
    k.oneHotAddSums(sumAt, cAt, N, D, f32 ? 1 : 0);
  }
  C.set(h64.subarray(cAt / 8, cAt / 8 + N * D));
  if (colSums) colSums.set(h64.subarray(colAt / 8, colAt / 8 + N));
}

function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

/** The same scatter in JavaScript (where the kernels are missing, and the kernels' reference in the tests). */
function scatterJs(
  N: number,
  D: number,
  R: number,
  A: Float64Array,
  aOff: number,
  ids: Int32Array,
  C: Float64Array,
  f32: boolean,
  sums: Float64Array,
  colSums: Float64Array | null,
): void {
  const f = Math.fround;
  for (let r0 = 0; r0 < R; r0 += ONE_HOT_SLICE) {
    const r1 = Math.min(R, r0 + ONE_HOT_SLICE);
    sums.fill(0, 0, D * N);
    for (let r = r0; r < r1; r++) {
      const s = ids[r] * N,
        a = aOff + r * N;
      if (colSums && f32)
        for (let j = 0; j < N; j++) {
          const v = A[a + j];
          colSums[j] += v;
          sums[s + j] = f(sums[s + j] + f(v));
        }
      else if (colSums)
        for (let j = 0; j < N; j++) {
          const v = A[a + j];
          colSums[j] += v;
          sums[s + j] += v;
        }
      else if (f32) for (let j = 0; j < N; j++) sums[s + j] = f(sums[s + j] + f(A[a + j]));
      else for (let j = 0; j < N; j++) sums[s + j] += A[a + j];
    }
    for (let j = 0; j < N; j++) for (let c = 0; c < D; c++) C[j * D + c] += sums[c * N + j];
  }
}
