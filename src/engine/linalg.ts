// Dense linear algebra on flat row-major Float64Arrays: the products the RNN needs, plus the
// eigenvalue and QR routines behind the spectral diagnostics and the orthogonal initialization.
//
// The products run on the WebAssembly kernels (assembly/gemm.ts) where they load: operands are staged into the
// kernels' memory (A as it is, B packed in panels, C row-major), multiplied there and C is copied back. In float32
// precision the staged A and B are float32 (each value rounded once, as it is copied) and the kernels sum in
// float32; C stays float64. The JavaScript kernels below are the reference of the tests and the fallback where
// WebAssembly SIMD is missing (in float32 they round the operands and every partial sum the same way).
import type { Precision } from '../protocol/result';
import { kernels, type Kernels } from './wasm';

/** Columns per packed panel of B: two f64x2 or two f32x4 vectors. */
const panelWidth = (f32: boolean) => (f32 ? 8 : 4);
const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;
/** Rows the kernel computes for M rows of A: four at a time from 4 rows up (the extra rows land in ignored rows of C). */
const kernelRows = (M: number) => (M >= 4 ? roundUp(M, 4) : M);

/** Views on the kernels' memory, made again when it grows. */
const views = { buffer: null as ArrayBuffer | null, f64: new Float64Array(0), f32: new Float32Array(0) };
function heap(k: Kernels): { f64: Float64Array; f32: Float32Array } {
  if (views.buffer !== k.memory.buffer) {
    views.buffer = k.memory.buffer;
    views.f64 = new Float64Array(views.buffer);
    views.f32 = new Float32Array(views.buffer);
  }
  return views;
}

/** dst[dOff + i] = src[sOff + i] for i < n: a loop for short runs, set() (a memcpy, or a conversion to float32) for long ones. */
function copyRun(
  src: Float64Array | Float32Array,
  sOff: number,
  dst: Float64Array | Float32Array,
  dOff: number,
  n: number,
): void {
  if (n < 512) for (let i = 0; i < n; i++) dst[dOff + i] = src[sOff + i];
  else dst.set(src.subarray(sOff, sOff + n), dOff);
}

/** Below this many values a float32 operand is staged by a JavaScript loop; from it on, by a copy and `demote32`. */
const DEMOTE_MIN = 64;

/**
 * Stages n float64s of src at the byte address `at` of the kernels' memory: as they are, or rounded to float32 (a
 * copy of the float64s, then `demote32` in place, which rounds as a store into a Float32Array does but two to
 * four times faster). The area at `at` must hold 8n bytes either way.
 */
function stageRun(k: Kernels, src: Float64Array, sOff: number, n: number, at: number, f32: boolean): void {
  const { f64, f32: f32v } = heap(k);
  if (!f32) copyRun(src, sOff, f64, at / 8, n);
  else if (n < DEMOTE_MIN) copyRun(src, sOff, f32v, at / 4, n);
  else {
    copyRun(src, sOff, f64, at / 8, n);
    k.demote32(at, at, n);
  }
}

/** Copies M rows of n values between row strides sStride and dStride (one run when both are n). */
function copyRows(
  src: Float64Array,
  sOff: number,
  sStride: number,
  dst: Float64Array,
  dOff: number,
  dStride: number,
  M: number,
  n: number,
): void {
  if (sStride === n && dStride === n) copyRun(src, sOff, dst, dOff, M * n);
  else for (let i = 0; i < M; i++) copyRun(src, sOff + i * sStride, dst, dOff + i * dStride, n);
}

/** Rows 0 … m−1 of dst from d on (row stride `stride`) start with the n values of `row`: one set(), then doubling copies. */
function fillRows(dst: Float64Array, d: number, stride: number, m: number, row: Float64Array, n: number): void {
  dst.set(row.length === n ? row : row.subarray(0, n), d);
  for (let done = 1; done < m; done *= 2) {
    const more = Math.min(done, m - done);
    dst.copyWithin(d + done * stride, d, d + (more - 1) * stride + n);
  }
}

/**
 * Packs the N×K matrix whose entry (j, k) is src[off + j·rs + k·cs] into panels of `w` columns at dst[d…]
 * (panel p holds, for each k, the w values of columns p·w … p·w + w − 1; columns past N are zero).
 */
function packPanels(
  src: Float64Array,
  off: number,
  N: number,
  K: number,
  rs: number,
  cs: number,
  w: number,
  dst: Float64Array | Float32Array,
  d: number,
): void {
  for (let j0 = 0; j0 < N; j0 += w) {
    const base = d + j0 * K;
    const cols = Math.min(w, N - j0);
    if (rs === 1 && cols === 4 && w === 4) {
      // A K×N source (rows are k), full panel of 4: each k's four values are one run on both sides.
      for (let k = 0, s = off + j0, o = base; k < K; k++, s += cs, o += 4) {
        dst[o] = src[s];
        dst[o + 1] = src[s + 1];
        dst[o + 2] = src[s + 2];
        dst[o + 3] = src[s + 3];
      }
    } else if (rs === 1) {
      for (let k = 0; k < K; k++) {
        const s = off + k * cs + j0,
          o = base + k * w;
        for (let q = 0; q < cols; q++) dst[o + q] = src[s + q];
        for (let q = cols; q < w; q++) dst[o + q] = 0;
      }
    } else if (cs === 1 && cols === w && w === 4) {
      // A row-major N×K source, full panel of 4: four rows read side by side.
      const s0 = off + j0 * rs;
      for (let k = 0, o = base; k < K; k++, o += 4) {
        dst[o] = src[s0 + k];
        dst[o + 1] = src[s0 + rs + k];
        dst[o + 2] = src[s0 + 2 * rs + k];
        dst[o + 3] = src[s0 + 3 * rs + k];
      }
    } else if (cs === 1 && cols === w && w === 8) {
      const s0 = off + j0 * rs;
      for (let k = 0, o = base; k < K; k++, o += 8) {
        dst[o] = src[s0 + k];
        dst[o + 1] = src[s0 + rs + k];
        dst[o + 2] = src[s0 + 2 * rs + k];
        dst[o + 3] = src[s0 + 3 * rs + k];
        dst[o + 4] = src[s0 + 4 * rs + k];
        dst[o + 5] = src[s0 + 5 * rs + k];
        dst[o + 6] = src[s0 + 6 * rs + k];
        dst[o + 7] = src[s0 + 7 * rs + k];
      }
    } else {
      for (let q = 0; q < cols; q++) {
        const s = off + (j0 + q) * rs;
        for (let k = 0; k < K; k++) dst[base + k * w + q] = src[s + k * cs];
      }
      for (let q = cols; q < w; q++) for (let k = 0; k < K; k++) dst[base + k * w + q] = 0;
    }
  }
}

/** Columns of a product's C in the kernels' memory: N rounded up to the panels of B. */
export function paddedColumns(N: number, precision: Precision): number {
  return roundUp(N, panelWidth(precision === 'float32'));
}

/** Rows of C the kernel writes for M rows of A (and rows of A it reads): from 4 rows up, M rounded up to 4. */
export const productRows = kernelRows;

/** The float64 and float32 views of the kernels' memory (made again when it grows). */
export const kernelViews = heap;

/**
 * C (+)= A·Bᵀ on operands already in the kernels' memory (byte addresses): A, M×K row-major (float64s, or float32s in
 * float32), with productRows(M) rows readable; B packed at b by PackedOperand.placeIn; C float64 with row stride
 * paddedColumns(N) and productRows(M) rows. For callers that keep their operands there across many products.
 */
export function productInKernel(
  k: Kernels,
  M: number,
  N: number,
  K: number,
  a: number,
  b: number,
  c: number,
  accumulate: boolean,
  precision: Precision,
): void {
  const f32 = precision === 'float32';
  const w = panelWidth(f32),
    es = f32 ? 4 : 8,
    Np = roundUp(N, w);
  const gemm = f32 ? k.gemm32 : k.gemm64;
  gemm(kernelRows(M), Np / w, K, a, K * es, es, 4 * K * es, b, K * w * es, w * es, c, Np * 8, accumulate ? 1 : 0);
}

/** Which packed operand the products' region holds at its start, and at which address (an implementation detail of PackedOperand). */
const resident: { operand: PackedOperand | null; version: number; address: number } = {
  operand: null,
  version: -1,
  address: -1,
};

/** The products' region for `bytes` bytes; forgets the resident operand when the region moved. */
function region(k: Kernels, bytes: number): number {
  const address = k.gemmReserve(bytes);
  if (address !== resident.address) {
    resident.operand = null;
    resident.address = address;
  }
  return address;
}

/** Rows of A per pass of the kernel in gemmNT: a block of A and of C stays in the cache between the copies and the kernel. */
const ROW_BLOCK = 256;

/**
 * C[i,j] (+)= Σ_k A[i,k] · B[j,k]   (A: M×K, B: N×K, C: M×N; "A times B transposed").
 * Rows of A and B are contiguous, so each entry is a dot product of two contiguous runs. Every product of the
 * engine ends up here or in gemmNTPacked and gemmTNAcc, so these set the speed. With `bias` (N values; accumulate
 * false), C[i,j] = Σ_k A[i,k] · B[j,k] + bias[j], rounded as the product followed by an add of the bias row (see
 * PackedOperand.multiply).
 */
export function gemmNT(
  M: number,
  N: number,
  K: number,
  A: Float64Array,
  aOff: number,
  B: Float64Array,
  bOff: number,
  C: Float64Array,
  cOff: number,
  accumulate: boolean,
  precision: Precision = 'float64',
  bias: Float64Array | null = null,
): void {
  if (bias && accumulate) throw new Error('gemmNT: a bias row replaces accumulation');
  const f32 = precision === 'float32';
  const k = M >= 4 || f32 ? kernels() : null;
  if (!k || K === 0) {
    gemmNTJs(M, N, K, A, aOff, B, bOff, C, cOff, accumulate, f32);
    if (bias) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) C[cOff + i * N + j] += bias[j];
    return;
  }
  const w = panelWidth(f32),
    es = f32 ? 4 : 8,
    Np = roundUp(N, w);
  const rows = Math.min(M, ROW_BLOCK),
    rowsK = kernelRows(rows);
  const held = resident.operand ? resident.operand.bytes : 0;
  // A's area holds its rows as float64s: float32 rows are staged there and rounded in place (stageRun).
  const bBytes = Np * K * es,
    aBytes = roundUp(rowsK * K * 8, 16);
  const base = region(k, held + bBytes + aBytes + rowsK * Np * 8);
  const b = base + held,
    a = b + bBytes,
    c = a + aBytes;
  const { f64, f32: f32v } = heap(k);
  const h = f32 ? f32v : f64;
  packPanels(B, bOff, N, K, K, 1, w, h, b / es);
  const gemm = f32 ? k.gemm32 : k.gemm64;
  for (let i = 0; i < M; i += rows) {
    const m = Math.min(rows, M - i);
    stageRun(k, A, aOff + i * K, m * K, a, f32);
    if (accumulate) copyRows(C, cOff + i * N, N, f64, c / 8, Np, m, N);
    else if (bias) fillRows(f64, c / 8, Np, m, bias, N);
    const acc = accumulate || bias ? 1 : 0;
    gemm(kernelRows(m), Np / w, K, a, K * es, es, 4 * K * es, b, K * w * es, w * es, c, Np * 8, acc);
    copyRows(f64, c / 8, Np, C, cOff + i * N, N, m, N);
  }
}

/**
 * A right operand B (N×K, used as Bᵀ) prepared once for many products in a row, such as a weight matrix inside the
 * time loop. The caller owns it and names it at every product (`gemmNTPacked`); it holds B's values as of the last
 * `load`, packed as the kernel reads them (rounded to float32 once, in float32 precision), so a product costs only
 * the copy of A and C.
 */
export class PackedOperand {
  /** B's values as the kernel reads them (panels), or B as it is where the kernels are absent. */
  private data: Float64Array | Float32Array = new Float64Array(0);
  private inKernel = false;
  private readonly f32: boolean;
  /** Bumped by load, so the kernel's copy is refreshed when B changed. */
  private version = 0;

  constructor(
    readonly N: number,
    readonly K: number,
    readonly precision: Precision = 'float64',
  ) {
    this.f32 = precision === 'float32';
  }

  /** Bytes of the packed panels in the kernels' memory. */
  get bytes(): number {
    return roundUp(this.data.length * (this.f32 ? 4 : 8), 16);
  }

  /** Whether the values are packed for the kernels (the kernels loaded and K > 0): placeIn needs it. */
  get packedForKernels(): boolean {
    return this.inKernel;
  }

  /** Copies the packed panels to byte address `at` of the kernels' memory (`bytes` bytes), for productInKernel. */
  placeIn(k: Kernels, at: number): void {
    if (!this.inKernel) throw new Error('placeIn: the operand is not packed for the kernels');
    const { f64, f32 } = heap(k);
    if (this.f32) f32.set(this.data, at / 4);
    else f64.set(this.data, at / 8);
  }

  /** Takes the values of the N×K matrix at B[bOff…] (row-major) as they are now. */
  load(B: Float64Array, bOff = 0): void {
    const { N, K, f32 } = this;
    this.inKernel = kernels() !== null && K > 0;
    if (this.inKernel) {
      const w = panelWidth(f32),
        size = roundUp(N, w) * K;
      if (this.data.length !== size || this.data instanceof Float32Array !== f32)
        this.data = f32 ? new Float32Array(size) : new Float64Array(size);
      packPanels(B, bOff, N, K, K, 1, w, this.data, 0);
    } else {
      if (this.data.length !== N * K || this.data instanceof Float32Array) this.data = new Float64Array(N * K);
      // Rounded once here in float32, as the kernel's copy would be.
      for (let i = 0; i < N * K; i++) this.data[i] = f32 ? Math.fround(B[bOff + i]) : B[bOff + i];
    }
    this.version++;
  }

  /**
   * C[i,j] (+)= Σ_k A[i,k]·B[j,k] for M rows of A, any M ≥ 1. With `bias` (N values; accumulate false), C[i,j] =
   * Σ_k A[i,k]·B[j,k] + bias[j], the sum rounded first, as a product followed by an add of the bias row would give
   * (in the kernels, C starts as the bias rows and the product is accumulated onto it).
   */
  multiply(
    M: number,
    A: Float64Array,
    aOff: number,
    C: Float64Array,
    cOff: number,
    accumulate: boolean,
    bias: Float64Array | null = null,
  ): void {
    const { N, K, f32 } = this;
    if (bias && accumulate) throw new Error('multiply: a bias row replaces accumulation');
    if (!this.inKernel) {
      gemmNTJs(M, N, K, A, aOff, this.data as Float64Array, 0, C, cOff, accumulate, f32);
      if (bias) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) C[cOff + i * N + j] += bias[j];
      return;
    }
    const k = kernels()!;
    const w = panelWidth(f32),
      es = f32 ? 4 : 8,
      Np = roundUp(N, w);
    const rows = Math.min(M, ROW_BLOCK),
      rowsK = kernelRows(rows);
    const bBytes = this.bytes,
      aBytes = roundUp(rowsK * K * 8, 16); // float64-sized: see gemmNT
    const b = region(k, bBytes + aBytes + rowsK * Np * 8),
      a = b + bBytes,
      c = a + aBytes;
    const { f64, f32: f32v } = heap(k);
    const h = f32 ? f32v : f64;
    // The region keeps one packed operand at its start; copy this one in unless it is already there.
    if (resident.operand !== this || resident.version !== this.version) {
      h.set(this.data, b / es);
      resident.operand = this;
      resident.version = this.version;
    }
    const gemm = f32 ? k.gemm32 : k.gemm64;
    for (let i = 0; i < M; i += rows) {
      const m = Math.min(rows, M - i);
      stageRun(k, A, aOff + i * K, m * K, a, f32);
      if (accumulate) copyRows(C, cOff + i * N, N, f64, c / 8, Np, m, N);
      else if (bias) fillRows(f64, c / 8, Np, m, bias, N);
      const acc = accumulate || bias ? 1 : 0;
      gemm(kernelRows(m), Np / w, K, a, K * es, es, 4 * K * es, b, K * w * es, w * es, c, Np * 8, acc);
      copyRows(f64, c / 8, Np, C, cOff + i * N, N, m, N);
    }
  }
}

/**
 * gemmNT with a packed right operand: C[i,j] (+)= Σ_k A[i,k] · B[j,k], B named at the call (in B's precision); with
 * `bias`, C[i,j] = Σ_k A[i,k] · B[j,k] + bias[j] (PackedOperand.multiply).
 */
export function gemmNTPacked(
  M: number,
  A: Float64Array,
  aOff: number,
  B: PackedOperand,
  C: Float64Array,
  cOff: number,
  accumulate: boolean,
  bias: Float64Array | null = null,
): void {
  B.multiply(M, A, aOff, C, cOff, accumulate, bias);
}

/** The JavaScript gemmNT: float64 tiles, or the float32 reference (operands rounded to float32, float32 sums). */
export function gemmNTJs(
  M: number,
  N: number,
  K: number,
  A: Float64Array,
  aOff: number,
  B: Float64Array,
  bOff: number,
  C: Float64Array,
  cOff: number,
  accumulate: boolean,
  f32 = false,
): void {
  if (f32) {
    gemmNTFloat32(M, N, K, A, aOff, B, bOff, C, cOff, accumulate);
    return;
  }
  let i = 0;
  for (; i + 1 < M; i += 2) gemmNTTwoRows(N, K, A, aOff + i * K, B, bOff, C, cOff + i * N, accumulate);
  if (i < M) gemmNTOneRow(N, K, A, aOff + i * K, B, bOff, C, cOff + i * N, accumulate);
}

/** C (+)= A·Bᵀ with both operands rounded to float32 and every product and partial sum rounded to float32. */
function gemmNTFloat32(
  M: number,
  N: number,
  K: number,
  A: Float64Array,
  aOff: number,
  B: Float64Array,
  bOff: number,
  C: Float64Array,
  cOff: number,
  accumulate: boolean,
): void {
  const f = Math.fround;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s = f(s + f(f(A[aOff + i * K + k]) * f(B[bOff + j * K + k])));
      const at = cOff + i * N + j;
      C[at] = accumulate ? C[at] + s : s;
    }
  }
}

/**
 * Two rows of C: 2×4 tiles of dot products held in eight local accumulators, so each loaded element of A feeds
 * four products and each element of B two (V8 keeps the eight sums and six operands in registers).
 */
function gemmNTTwoRows(
  N: number,
  K: number,
  A: Float64Array,
  a0: number,
  B: Float64Array,
  bOff: number,
  C: Float64Array,
  c0: number,
  accumulate: boolean,
): void {
  const a1 = a0 + K;
  const c1 = c0 + N;
  let j = 0;
  for (; j + 3 < N; j += 4) {
    const b0 = bOff + j * K,
      b1 = b0 + K,
      b2 = b1 + K,
      b3 = b2 + K;
    let s00 = 0,
      s01 = 0,
      s02 = 0,
      s03 = 0,
      s10 = 0,
      s11 = 0,
      s12 = 0,
      s13 = 0;
    for (let k = 0; k < K; k++) {
      const x0 = A[a0 + k],
        x1 = A[a1 + k];
      const y0 = B[b0 + k],
        y1 = B[b1 + k],
        y2 = B[b2 + k],
        y3 = B[b3 + k];
      s00 += x0 * y0;
      s01 += x0 * y1;
      s02 += x0 * y2;
      s03 += x0 * y3;
      s10 += x1 * y0;
      s11 += x1 * y1;
      s12 += x1 * y2;
      s13 += x1 * y3;
    }
    if (accumulate) {
      C[c0 + j] += s00;
      C[c0 + j + 1] += s01;
      C[c0 + j + 2] += s02;
      C[c0 + j + 3] += s03;
      C[c1 + j] += s10;
      C[c1 + j + 1] += s11;
      C[c1 + j + 2] += s12;
      C[c1 + j + 3] += s13;
    } else {
      C[c0 + j] = s00;
      C[c0 + j + 1] = s01;
      C[c0 + j + 2] = s02;
      C[c0 + j + 3] = s03;
      C[c1 + j] = s10;
      C[c1 + j + 1] = s11;
      C[c1 + j + 2] = s12;
      C[c1 + j + 3] = s13;
    }
  }
  for (; j < N; j++) {
    const bj = bOff + j * K;
    let s0 = 0,
      s1 = 0;
    for (let k = 0; k < K; k++) {
      const y = B[bj + k];
      s0 += A[a0 + k] * y;
      s1 += A[a1 + k] * y;
    }
    if (accumulate) {
      C[c0 + j] += s0;
      C[c1 + j] += s1;
    } else {
      C[c0 + j] = s0;
      C[c1 + j] = s1;
    }
  }
}

/**
 * One row of C (a matrix–vector product, the per-step case at batch 1): eight dot products at a time, so each
 * element of A is loaded once per eight products.
 */
function gemmNTOneRow(
  N: number,
  K: number,
  A: Float64Array,
  a0: number,
  B: Float64Array,
  bOff: number,
  C: Float64Array,
  c0: number,
  accumulate: boolean,
): void {
  let j = 0;
  for (; j + 7 < N; j += 8) {
    const b0 = bOff + j * K,
      b1 = b0 + K,
      b2 = b1 + K,
      b3 = b2 + K,
      b4 = b3 + K,
      b5 = b4 + K,
      b6 = b5 + K,
      b7 = b6 + K;
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0,
      s4 = 0,
      s5 = 0,
      s6 = 0,
      s7 = 0;
    for (let k = 0; k < K; k++) {
      const x = A[a0 + k];
      s0 += x * B[b0 + k];
      s1 += x * B[b1 + k];
      s2 += x * B[b2 + k];
      s3 += x * B[b3 + k];
      s4 += x * B[b4 + k];
      s5 += x * B[b5 + k];
      s6 += x * B[b6 + k];
      s7 += x * B[b7 + k];
    }
    const c = c0 + j;
    if (accumulate) {
      C[c] += s0;
      C[c + 1] += s1;
      C[c + 2] += s2;
      C[c + 3] += s3;
      C[c + 4] += s4;
      C[c + 5] += s5;
      C[c + 6] += s6;
      C[c + 7] += s7;
    } else {
      C[c] = s0;
      C[c + 1] = s1;
      C[c + 2] = s2;
      C[c + 3] = s3;
      C[c + 4] = s4;
      C[c + 5] = s5;
      C[c + 6] = s6;
      C[c + 7] = s7;
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

/** dst[c, r] = src[r, c] for an R×Cn block of src (row-major, contiguous rows). */
export function transpose(
  R: number,
  Cn: number,
  src: Float64Array,
  srcOff: number,
  dst: Float64Array,
  dstOff: number,
): void {
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
  M: number,
  N: number,
  K: number,
  A: Float64Array,
  aOff: number,
  B: Float64Array,
  bOff: number,
  C: Float64Array,
  cOff: number,
  precision: Precision = 'float64',
): void {
  const Bt = scratch(0, N * K);
  transpose(K, N, B, bOff, Bt, 0);
  gemmNT(M, N, K, A, aOff, Bt, 0, C, cOff, true, precision);
}

/** Steps per slice of gemmTNAcc: the slices of A and B stay in the L2 cache. */
const TN_SLICE = 256;

/**
 * C[i,j] += Σ_k A[k,i] · B[k,j]   (A: K×M, B: K×N, C: M×N): the sum over steps of outer products (weight gradients).
 * With `sumsA`, also sumsA[i] += Σ_k A[k,i], the rows of A added in order (the bias gradients), taken from the
 * float64 slices as they are staged (columnSums below where the kernels are absent). aAt/bAt ≥ 0: A's (B's) rows
 * from aOff (bOff) on are also at that byte address of the kernels' memory (a caller that keeps them there), and the
 * slices are packed from there instead of being copied in.
 * K is long (steps × batch), so it runs in slices of TN_SLICE steps. On the kernels, each slice of the narrower
 * operand is packed in panels of four, each slice of the other in panels of the kernel's width (both packed by the
 * kernels from a plain copy of the slice), and C stays in the kernels' memory for all slices (in float32, each slice's sums are float32 and are added to the float64 C); otherwise each slice is
 * transposed into scratch so that the JavaScript gemmNT sees contiguous runs.
 */
export function gemmTNAcc(
  M: number,
  N: number,
  K: number,
  A: Float64Array,
  aOff: number,
  B: Float64Array,
  bOff: number,
  C: Float64Array,
  cOff: number,
  precision: Precision = 'float64',
  sumsA: Float64Array | null = null,
  aAt = -1,
  bAt = -1,
): void {
  const f32 = precision === 'float32';
  const k = M >= 4 || f32 || aAt >= 0 || bAt >= 0 ? kernels() : null;
  if (k && K > 0) {
    // The narrower of A and B goes left (the rows of the kernel's tiles): with M > N it computes Cᵀ += BᵀA (C is
    // staged transposed).
    const swap = M > N;
    const m = swap ? N : M,
      n = swap ? M : N;
    const L = swap ? B : A,
      lOff = swap ? bOff : aOff,
      R = swap ? A : B,
      rOff = swap ? aOff : bOff,
      lAt = swap ? bAt : aAt,
      rAt = swap ? aAt : bAt;
    const w = panelWidth(f32),
      es = f32 ? 4 : 8,
      Np = roundUp(n, w),
      Mk = kernelRows(m);
    const slice = Math.min(TN_SLICE, K);
    const held = resident.operand ? resident.operand.bytes : 0;
    // Each slice of either operand is copied as it is (float64) into a staging area, then packed from there in the
    // kernels (k.packPanels, rounding to float32 in float32 precision): the left one in panels of four of its columns
    // (rows of the product), the right one in panels of w (columns of the product), both padded with zeros.
    const sBytes = roundUp(Math.max(m, n) * slice * 8, 16),
      aBytes = roundUp(roundUp(m, 4) * slice * es, 16),
      bBytes = roundUp(Np * slice * es, 16);
    const base = region(k, held + sBytes + aBytes + bBytes + Mk * Np * 8 + (sumsA ? roundUp(M * 8, 16) : 0));
    const st = base + held,
      a = st + sBytes,
      b = a + aBytes,
      c = b + bBytes,
      sums = c + Mk * Np * 8;
    const { f64 } = heap(k);
    const c8 = c / 8;
    if (sumsA) copyRun(sumsA, 0, f64, sums / 8, M);
    if (swap) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) f64[c8 + j * Np + i] = C[cOff + i * N + j];
    else copyRows(C, cOff, N, f64, c8, Np, M, N);
    const gemm = f32 ? k.gemm32 : k.gemm64;
    const f = f32 ? 1 : 0;
    for (let k0 = 0; k0 < K; k0 += slice) {
      const kc = Math.min(slice, K - k0);
      let src = st;
      if (lAt >= 0) src = lAt + k0 * m * 8;
      else copyRun(L, lOff + k0 * m, f64, st / 8, kc * m);
      if (sumsA && !swap) k.columnSums(src, kc, m, sums);
      k.packPanels(src, kc, m, 4, a, f);
      src = st;
      if (rAt >= 0) src = rAt + k0 * n * 8;
      else copyRun(R, rOff + k0 * n, f64, st / 8, kc * n);
      if (sumsA && swap) k.columnSums(src, kc, n, sums);
      k.packPanels(src, kc, n, w, b, f);
      gemm(Mk, Np / w, kc, a, es, 4 * es, 4 * kc * es, b, kc * w * es, w * es, c, Np * 8, 1);
    }
    if (swap) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) C[cOff + i * N + j] = f64[c8 + j * Np + i];
    else copyRows(f64, c8, Np, C, cOff, N, M, N);
    if (sumsA) copyRun(f64, sums / 8, sumsA, 0, M);
    return;
  }
  if (sumsA) columnSums(A, aOff, K, M, sumsA);
  const At = scratch(1, M * TN_SLICE);
  const Bt = scratch(2, N * TN_SLICE);
  for (let k0 = 0; k0 < K; k0 += TN_SLICE) {
    const kc = Math.min(TN_SLICE, K - k0);
    transpose(kc, M, A, aOff + k0 * M, At, 0);
    transpose(kc, N, B, bOff + k0 * N, Bt, 0);
    gemmNTJs(M, N, kc, At, 0, Bt, 0, C, cOff, true, f32);
  }
}

/** out[j] += Σ_r a[off + r·n + j] for an R×n block, adding the rows in order (four per pass over out). */
export function columnSums(a: Float64Array, off: number, R: number, n: number, out: Float64Array): void {
  let r = 0;
  for (; r + 3 < R; r += 4) {
    const o = off + r * n;
    for (let j = 0; j < n; j++) out[j] = out[j] + a[o + j] + a[o + n + j] + a[o + 2 * n + j] + a[o + 3 * n + j];
  }
  for (; r < R; r++) for (let j = 0; j < n; j++) out[j] += a[off + r * n + j];
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
  // x − x is 0 for a finite x and NaN for ±∞ and NaN, so the sum is 0 exactly when every entry is finite: one
  // branch-free pass (about twice as fast as a test per entry), in four sums so that the adds overlap (sums of zeros
  // and NaNs: the order cannot change the answer).
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  const n = a.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i] - a[i];
    s1 += a[i + 1] - a[i + 1];
    s2 += a[i + 2] - a[i + 2];
    s3 += a[i + 3] - a[i + 3];
  }
  for (; i < n; i++) s0 += a[i] - a[i];
  return s0 + s1 + s2 + s3 === 0;
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
