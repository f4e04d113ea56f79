// Dense linear algebra on flat row-major Float64Arrays: the products the RNN needs, plus the
// eigenvalue and QR routines behind the spectral diagnostics and the orthogonal initialization.
import { packA, packB, simdKernel, type SimdKernel } from './simd';

/**
 * C[i,j] (+)= Σ_k A[i,k] · B[j,k]   (A: M×K, B: N×K, C: M×N; "A times B transposed").
 * Rows of A and B are contiguous, so each entry is a dot product of two contiguous runs. Every product of the
 * engine ends up here (the other forms transpose into this one), so this is the kernel that sets the speed.
 */
export function gemmNT(
  M: number, N: number, K: number,
  A: Float64Array, aOff: number,
  B: Float64Array, bOff: number,
  C: Float64Array, cOff: number,
  accumulate: boolean,
): void {
  if (simdKernel && M >= SIMD_MIN_ROWS && N % 4 === 0 && K % 2 === 0) {
    gemmNTSimd(simdKernel, M, N, K, A, aOff, B, bOff, C, cOff, accumulate);
    return;
  }
  let i = 0;
  for (; i + 1 < M; i += 2) gemmNTTwoRows(N, K, A, aOff + i * K, B, bOff, C, cOff + i * N, accumulate);
  if (i < M) gemmNTOneRow(N, K, A, aOff + i * K, B, bOff, C, cOff + i * N, accumulate);
}

/**
 * A right operand B (N×K, used as Bᵀ) prepared once for many products in a row, such as a weight matrix inside the
 * time loop. The caller owns it and names it at every product (`gemmNTPacked`); it holds B's values as of the last
 * `load`, packed as the kernel reads them, so a product costs only the copy of A and C.
 */
export class PackedOperand {
  /** B's values as the kernel reads them (packB's layout), or B as it is where the kernel is absent or the shape doesn't fit it. */
  private readonly data: Float64Array;
  private readonly inKernel: boolean;
  /** Bumped by load, so the kernel's copy is refreshed when B changed. */
  private version = 0;

  constructor(readonly N: number, readonly K: number) {
    this.inKernel = simdKernel !== null && N % 4 === 0 && K % 2 === 0;
    this.data = new Float64Array(N * K);
  }

  /** Takes the values of the N×K matrix at B[bOff…] (row-major) as they are now. */
  load(B: Float64Array, bOff = 0): void {
    if (this.inKernel) packB(B, bOff, this.N, this.K, this.K, 1, this.data, 0);
    else this.data.set(B.subarray(bOff, bOff + this.N * this.K));
    this.version++;
  }

  /** C[i,j] (+)= Σ_k A[i,k]·B[j,k] for M rows of A, any M ≥ 1. */
  multiply(M: number, A: Float64Array, aOff: number, C: Float64Array, cOff: number, accumulate: boolean): void {
    const { N, K } = this;
    if (!this.inKernel) {
      gemmNT(M, N, K, A, aOff, this.data, 0, C, cOff, accumulate);
      return;
    }
    const kernel = simdKernel!;
    const a = N * K, c = a + M * K;
    kernel.reserve(c + M * N);
    const heap = kernel.heap();
    // The kernel's memory keeps one packed operand at its start; copy this one in unless it is already there.
    if (residentInKernel.operand !== this || residentInKernel.version !== this.version) {
      heap.set(this.data, 0);
      residentInKernel.operand = this;
      residentInKernel.version = this.version;
    }
    packA(A, aOff, M, K, K, 1, heap, a);
    if (accumulate) copyRun(C, cOff, heap, c, M * N);
    kernel.gemmNT(M, N, K, a, 0, c, accumulate);
    copyRun(heap, c, C, cOff, M * N);
  }
}

/** Which packed operand the kernel's memory holds at its start (an implementation detail of PackedOperand). */
const residentInKernel: { operand: PackedOperand | null; version: number } = { operand: null, version: -1 };

/** gemmNT with a packed right operand: C[i,j] (+)= Σ_k A[i,k] · B[j,k], B named at the call. */
export function gemmNTPacked(M: number, A: Float64Array, aOff: number, B: PackedOperand, C: Float64Array, cOff: number, accumulate: boolean): void {
  B.multiply(M, A, aOff, C, cOff, accumulate);
}

/**
 * Two rows of C: 2×4 tiles of dot products held in eight local accumulators, so each loaded element of A feeds
 * four products and each element of B two (V8 keeps the eight sums and six operands in registers).
 */
function gemmNTTwoRows(
  N: number, K: number, A: Float64Array, a0: number, B: Float64Array, bOff: number, C: Float64Array, c0: number, accumulate: boolean,
): void {
  const a1 = a0 + K;
  const c1 = c0 + N;
  let j = 0;
  for (; j + 3 < N; j += 4) {
    const b0 = bOff + j * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
    let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
    for (let k = 0; k < K; k++) {
      const x0 = A[a0 + k], x1 = A[a1 + k];
      const y0 = B[b0 + k], y1 = B[b1 + k], y2 = B[b2 + k], y3 = B[b3 + k];
      s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
      s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
    }
    if (accumulate) {
      C[c0 + j] += s00; C[c0 + j + 1] += s01; C[c0 + j + 2] += s02; C[c0 + j + 3] += s03;
      C[c1 + j] += s10; C[c1 + j + 1] += s11; C[c1 + j + 2] += s12; C[c1 + j + 3] += s13;
    } else {
      C[c0 + j] = s00; C[c0 + j + 1] = s01; C[c0 + j + 2] = s02; C[c0 + j + 3] = s03;
      C[c1 + j] = s10; C[c1 + j + 1] = s11; C[c1 + j + 2] = s12; C[c1 + j + 3] = s13;
    }
  }
  for (; j < N; j++) {
    const bj = bOff + j * K;
    let s0 = 0, s1 = 0;
    for (let k = 0; k < K; k++) {
      const y = B[bj + k];
      s0 += A[a0 + k] * y;
      s1 += A[a1 + k] * y;
    }
    if (accumulate) { C[c0 + j] += s0; C[c1 + j] += s1; } else { C[c0 + j] = s0; C[c1 + j] = s1; }
  }
}

/**
 * One row of C (a matrix–vector product, the per-step case at batch 1): eight dot products at a time, so each
 * element of A is loaded once per eight products.
 */
function gemmNTOneRow(
  N: number, K: number, A: Float64Array, a0: number, B: Float64Array, bOff: number, C: Float64Array, c0: number, accumulate: boolean,
): void {
  let j = 0;
  for (; j + 7 < N; j += 8) {
    const b0 = bOff + j * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K, b4 = b3 + K, b5 = b4 + K, b6 = b5 + K, b7 = b6 + K;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    for (let k = 0; k < K; k++) {
      const x = A[a0 + k];
      s0 += x * B[b0 + k]; s1 += x * B[b1 + k]; s2 += x * B[b2 + k]; s3 += x * B[b3 + k];
      s4 += x * B[b4 + k]; s5 += x * B[b5 + k]; s6 += x * B[b6 + k]; s7 += x * B[b7 + k];
    }
    const c = c0 + j;
    if (accumulate) {
      C[c] += s0; C[c + 1] += s1; C[c + 2] += s2; C[c + 3] += s3; C[c + 4] += s4; C[c + 5] += s5; C[c + 6] += s6; C[c + 7] += s7;
    } else {
      C[c] = s0; C[c + 1] = s1; C[c + 2] = s2; C[c + 3] = s3; C[c + 4] = s4; C[c + 5] = s5; C[c + 6] = s6; C[c + 7] = s7;
    }
  }
  for (; j < N; j++) {
    const bj = bOff + j * K;
    let s = 0;
    for (let k = 0; k < K; k++) s += A[a0 + k] * B[bj + k];
    if (accumulate) C[c0 + j] += s;
    else C[c0 + j] = s;
  }
}

/**
 * With fewer rows than this, copying B into the SIMD kernel's memory costs more than the kernel saves
 * (B is copied once per call and used once per row).
 */
const SIMD_MIN_ROWS = 4;

/** Rows of A per pass of gemmNTSimd: a block of A and of C stays in the cache between the copies and the kernel. */
const SIMD_ROW_BLOCK = 256;

/**
 * gemmNT on the SIMD kernel: copy B in above the packed operand the kernel holds, then per block of rows copy A (and C when
 * accumulating) in, run, copy C out.
 */
function gemmNTSimd(
  kernel: SimdKernel, M: number, N: number, K: number,
  A: Float64Array, aOff: number, B: Float64Array, bOff: number, C: Float64Array, cOff: number, accumulate: boolean,
): void {
  const rows = Math.min(M, SIMD_ROW_BLOCK);
  const held = residentInKernel.operand, b = held ? held.N * held.K : 0, a = b + N * K, c = a + rows * K;
  kernel.reserve(c + rows * N);
  const heap = kernel.heap();
  packB(B, bOff, N, K, K, 1, heap, b);
  for (let i = 0; i < M; i += rows) {
    const m = Math.min(rows, M - i);
    packA(A, aOff + i * K, m, K, K, 1, heap, a);
    if (accumulate) copyRun(C, cOff + i * N, heap, c, m * N);
    kernel.gemmNT(m, N, K, a, b, c, accumulate);
    copyRun(heap, c, C, cOff + i * N, m * N);
  }
}

/** dst[dOff + i] = src[sOff + i] for i < n (a loop rather than set(subarray(…)), which would allocate a view). */
function copyRun(src: Float64Array, sOff: number, dst: Float64Array, dOff: number, n: number): void {
  for (let i = 0; i < n; i++) dst[dOff + i] = src[sOff + i];
}

/** dst[c, r] = src[r, c] for an R×Cn block of src (row-major, contiguous rows). */
export function transpose(R: number, Cn: number, src: Float64Array, srcOff: number, dst: Float64Array, dstOff: number): void {
  for (let r = 0; r < R; r++) {
    const s = srcOff + r * Cn;
    for (let c = 0; c < Cn; c++) dst[dstOff + c * R + r] = src[s + c];
  }
}

/**
 * C[i,j] += Σ_k A[i,k] · B[k,j]   (A: M×K, B: K×N, C: M×N). For a B used many times (a weight matrix inside the
 * time loop), transpose it once and call gemmNT instead; this general form transposes B on every call.
 */
export function gemmNNAcc(
  M: number, N: number, K: number,
  A: Float64Array, aOff: number,
  B: Float64Array, bOff: number,
  C: Float64Array, cOff: number,
): void {
  const Bt = scratch(0, N * K);
  transpose(K, N, B, bOff, Bt, 0);
  gemmNT(M, N, K, A, aOff, Bt, 0, C, cOff, true);
}

/** Steps per slice of gemmTNAcc: both transposed slices stay in the L2 cache. */
const TN_SLICE = 128;

/**
 * C[i,j] += Σ_k A[k,i] · B[k,j]   (A: K×M, B: K×N, C: M×N): the sum over steps of outer products (weight gradients).
 * K is long (steps × batch), so it runs in slices of TN_SLICE steps. On the SIMD kernel each slice of A and B is
 * packed straight from its transposed layout and C stays in the kernel's memory for all slices; otherwise each
 * slice is transposed into scratch so that the JavaScript gemmNT sees contiguous runs.
 */
export function gemmTNAcc(
  M: number, N: number, K: number,
  A: Float64Array, aOff: number,
  B: Float64Array, bOff: number,
  C: Float64Array, cOff: number,
): void {
  if (simdKernel && M >= SIMD_MIN_ROWS && N % 4 === 0) {
    const kernel = simdKernel;
    const held = residentInKernel.operand, b = held ? held.N * held.K : 0, a = b + N * TN_SLICE, c = a + M * TN_SLICE;
    kernel.reserve(c + M * N);
    const heap = kernel.heap();
    copyRun(C, cOff, heap, c, M * N);
    for (let k0 = 0; k0 < K; k0 += TN_SLICE) {
      const kc = Math.min(TN_SLICE, K - k0);
      packA(A, aOff + k0 * M, M, kc, 1, M, heap, a);
      packB(B, bOff + k0 * N, N, kc, 1, N, heap, b);
      kernel.gemmNT(M, N, kc + (kc & 1), a, b, c, true);
    }
    copyRun(heap, c, C, cOff, M * N);
    return;
  }
  const At = scratch(1, M * TN_SLICE);
  const Bt = scratch(2, N * TN_SLICE);
  for (let k0 = 0; k0 < K; k0 += TN_SLICE) {
    const kc = Math.min(TN_SLICE, K - k0);
    transpose(kc, M, A, aOff + k0 * M, At, 0);
    transpose(kc, N, B, bOff + k0 * N, Bt, 0);
    gemmNT(M, N, kc, At, 0, Bt, 0, C, cOff, true);
  }
}

/**
 * Reusable scratch buffers for the transposes above, grown on demand and never shrunk, so repeated products
 * allocate nothing. Each slot serves one role at a time (the engine runs on one thread).
 */
const scratchSlots: Float64Array[] = [new Float64Array(0), new Float64Array(0), new Float64Array(0)];
function scratch(slot: number, size: number): Float64Array {
  if (scratchSlots[slot].length < size) scratchSlots[slot] = new Float64Array(size);
  return scratchSlots[slot];
}

export function sumSquares(a: Float64Array, off = 0, len = a.length - off): number {
  let s = 0;
  for (let i = off; i < off + len; i++) s += a[i] * a[i];
  return s;
}

/** The n×n block of a (rows r0…r0+n−1 of an m×n matrix), copied. */
export function block(a: Float64Array, cols: number, r0: number, n: number): Float64Array {
  return a.slice(r0 * cols, (r0 + n) * cols);
}

export function allFinite(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/**
 * An n×n orthogonal matrix from n² standard normals (row-major): Gram–Schmidt (twice, for stability) on the
 * columns. That is the Q of a QR factorization whose R has a positive diagonal, so Q is Haar-distributed.
 */
export function orthogonalFromNormals(g: Float64Array, n: number): Float64Array {
  const q = Float64Array.from(g);
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += q[i * n + p] * q[i * n + j];
        for (let i = 0; i < n; i++) q[i * n + j] -= dot * q[i * n + p];
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q[i * n + j] * q[i * n + j];
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) q[i * n + j] /= norm;
  }
  return q;
}
