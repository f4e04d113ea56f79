// A WebAssembly SIMD kernel for the large products: C (+)= A·Bᵀ on pairs of float64 lanes (f64x2), where JavaScript
// can only do one multiply-add per instruction. Runs in Node and in browsers (WebAssembly is part of both, and no
// import is needed); where SIMD is unavailable, `simdKernel` is null and linalg keeps its JavaScript kernels.
// Lane sums are exact IEEE operations in a fixed order, so results stay bit-identical on every machine.

// The engine compiles without DOM or Node types; this is the small part of the WebAssembly API it uses.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface SimdKernel {
  /**
   * C[i,j] (+)= Σ_k A[i,k]·B[j,k] for i < M (N a multiple of 4, K a multiple of 2), with A and B packed by packA
   * and packB and C row-major, at the given float64 indices of `heap`.
   */
  gemmNT(M: number, N: number, K: number, a: number, b: number, c: number, accumulate: boolean): void;
  /** The kernel's memory as float64s; grow() replaces it, so read it again after growing. */
  heap(): Float64Array;
  /** Makes room for at least `doubles` float64s. */
  reserve(doubles: number): void;
}

// Opcodes used below (WebAssembly core + SIMD proposals).
const op = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b, select: 0x1b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  f64Load: 0x2b, f64Store: 0x39, i32Const: 0x41, f64Const: 0x44,
  i32GeU: 0x4f, i32Add: 0x6a, i32Mul: 0x6c, i32Shl: 0x74, f64Add: 0xa0,
  simd: 0xfd,
} as const;
const simd = { v128Load: 0x00, v128Const: 0x0c, f64x2ExtractLane: 0x21, f64x2Add: 0xf0, f64x2Mul: 0xf2 } as const;
const I32 = 0x7f, V128 = 0x7b, EMPTY = 0x40;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

// Local indices of a kernel function: the seven parameters, then i32 locals, then v128 locals.
const P = { rows: 0, N: 1, K: 2, a: 3, b: 4, c: 5, acc: 6 };

/**
 * The body of a kernel with an R×4 register tile on packed operands (see packA, packB): loops over groups of R
 * rows, column quads and pairs of k; R·4 accumulators of two lanes each. Per pair of k it loads the R rows' pairs
 * and the quad's four pairs from two pointers that advance through the packed panels, then does R·4 f64x2
 * multiply-adds.
 */
function kernelBody(R: number): number[] {
  const Q = 4;
  let next = 7;
  const i = next++, j = next++, kBytes = next++, nBytes = next++, aPanel = next++, pa = next++, pb = next++, pbEnd = next++;
  const cRow = Array.from({ length: R }, () => next++);
  const i32Locals = next - 7;
  const S = next; // s[r][q] = local S + Q·r + q
  next += R * Q;
  const X = Array.from({ length: R }, () => next++);
  const Y = next++;
  const v128Locals = next - 7 - i32Locals;

  const c: number[] = [];
  const get = (l: number) => c.push(op.localGet, ...uleb(l));
  const set = (l: number) => c.push(op.localSet, ...uleb(l));
  const i32 = (n: number) => c.push(op.i32Const, ...sleb(n));
  const add = () => c.push(op.i32Add);
  const bytes = (l: number) => { get(l); i32(3); c.push(op.i32Shl); }; // local l (in doubles) · 8

  bytes(P.K); set(kBytes);
  bytes(P.N); set(nBytes);
  i32(0); set(i);
  c.push(op.block, EMPTY, op.loop, EMPTY); // rows, R at a time
  get(i); get(P.rows); c.push(op.i32GeU, op.brIf, 1);
  // aPanel = (a + i·K)·8: the R packed rows; cRow[r] = (c + (i + r)·N)·8
  bytes(P.a); get(i); get(kBytes); c.push(op.i32Mul); add(); set(aPanel);
  bytes(P.c); get(i); get(nBytes); c.push(op.i32Mul); add(); set(cRow[0]);
  for (let r = 1; r < R; r++) { get(cRow[r - 1]); get(nBytes); add(); set(cRow[r]); }
  i32(0); set(j);
  c.push(op.block, EMPTY, op.loop, EMPTY); // columns, four at a time
  get(j); get(P.N); c.push(op.i32GeU, op.brIf, 1);
  // pb = (b + j·K)·8: the quad's packed panel of 4·K doubles; pbEnd its end
  bytes(P.b); get(j); get(kBytes); c.push(op.i32Mul); add(); set(pb);
  get(pb); get(kBytes); i32(2); c.push(op.i32Shl); add(); set(pbEnd);
  get(aPanel); set(pa);
  for (let s = 0; s < R * Q; s++) { c.push(op.simd, simd.v128Const, ...new Array(16).fill(0)); set(S + s); }
  c.push(op.block, EMPTY, op.loop, EMPTY); // pairs of k: s[r][q] += A[i+r, k..k+1] * B[j+q, k..k+1]
  get(pb); get(pbEnd); c.push(op.i32GeU, op.brIf, 1);
  for (let r = 0; r < R; r++) { get(pa); c.push(op.simd, simd.v128Load, 4, ...uleb(16 * r)); set(X[r]); }
  for (let q = 0; q < Q; q++) {
    get(pb); c.push(op.simd, simd.v128Load, 4, ...uleb(16 * q)); set(Y);
    for (let r = 0; r < R; r++) {
      get(S + Q * r + q); get(X[r]); get(Y);
      c.push(op.simd, ...uleb(simd.f64x2Mul), op.simd, ...uleb(simd.f64x2Add));
      set(S + Q * r + q);
    }
  }
  get(pa); i32(16 * R); add(); set(pa);
  get(pb); i32(16 * Q); add(); set(pb);
  c.push(op.br, 0, op.end, op.end);
  // C[i+r, j+q] = (accumulate ? C[i+r, j+q] : 0) + (lane 0 + lane 1)
  for (let r = 0; r < R; r++) {
    for (let q = 0; q < Q; q++) {
      get(cRow[r]); get(j); i32(3); c.push(op.i32Shl); add(); // address, kept for the store
      get(S + Q * r + q); c.push(op.simd, simd.f64x2ExtractLane, 0);
      get(S + Q * r + q); c.push(op.simd, simd.f64x2ExtractLane, 1);
      c.push(op.f64Add);
      get(cRow[r]); get(j); i32(3); c.push(op.i32Shl); add(); c.push(op.f64Load, 3, ...uleb(8 * q));
      c.push(op.f64Const, 0, 0, 0, 0, 0, 0, 0, 0);
      get(P.acc); c.push(op.select);
      c.push(op.f64Add);
      c.push(op.f64Store, 3, ...uleb(8 * q));
    }
  }
  get(j); i32(Q); add(); set(j);
  c.push(op.br, 0, op.end, op.end);
  get(i); i32(R); add(); set(i);
  c.push(op.br, 0, op.end, op.end);
  c.push(op.end);
  const locals = [2, ...uleb(i32Locals), I32, ...uleb(v128Locals), V128];
  return [...uleb(locals.length + c.length), ...locals, ...c];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

/**
 * Copies an M×K matrix to heap[dst…] as the kernels read A: pairs of rows interleaved by pairs of k (A[i,k],
 * A[i,k+1], A[i+1,k], A[i+1,k+1], …), then an odd last row as it is. Entry (i, k) is src[off + i·rs + k·cs], so a
 * transposed source needs no copy of its own. An odd K gets a zero k appended (it adds nothing to the sums).
 */
export function packA(src: Float64Array, off: number, M: number, K: number, rs: number, cs: number, heap: Float64Array, dst: number): void {
  const Kp = K + (K & 1), even = K - (K & 1);
  let i = 0;
  for (; i + 1 < M; i += 2) {
    const s0 = off + i * rs, s1 = s0 + rs, d = dst + i * Kp;
    for (let k = 0; k < even; k += 2) {
      const o = d + 2 * k, sk = k * cs;
      heap[o] = src[s0 + sk]; heap[o + 1] = src[s0 + sk + cs];
      heap[o + 2] = src[s1 + sk]; heap[o + 3] = src[s1 + sk + cs];
    }
    if (K & 1) {
      const o = d + 2 * even, sk = even * cs;
      heap[o] = src[s0 + sk]; heap[o + 1] = 0;
      heap[o + 2] = src[s1 + sk]; heap[o + 3] = 0;
    }
  }
  if (i < M) {
    const s0 = off + i * rs, d = dst + i * Kp;
    for (let k = 0; k < K; k++) heap[d + k] = src[s0 + k * cs];
    if (K & 1) heap[d + K] = 0;
  }
}

/**
 * Copies an N×K matrix (N a multiple of 4) to heap[dst…] as the kernels read B: each quad of rows as one panel,
 * interleaved by pairs of k (B[j,k], B[j,k+1], B[j+1,k], B[j+1,k+1], … B[j+3,k+1], then k+2). Entry (j, k) is
 * src[off + j·rs + k·cs]; an odd K gets a zero k appended.
 */
export function packB(src: Float64Array, off: number, N: number, K: number, rs: number, cs: number, heap: Float64Array, dst: number): void {
  const Kp = K + (K & 1), even = K - (K & 1);
  for (let j = 0; j < N; j += 4) {
    const d = dst + j * Kp;
    for (let q = 0; q < 4; q++) {
      const s = off + (j + q) * rs;
      for (let k = 0; k < even; k += 2) {
        const o = d + 4 * k + 2 * q;
        heap[o] = src[s + k * cs];
        heap[o + 1] = src[s + (k + 1) * cs];
      }
      if (K & 1) {
        heap[d + 4 * even + 2 * q] = src[s + even * cs];
        heap[d + 4 * even + 2 * q + 1] = 0;
      }
    }
  }
}

/** Row-tile heights of the exported kernels, tallest first: `gemm<R>` handles R rows at a time. */
const TILE_ROWS = [2, 1];

function moduleBytes(): Uint8Array {
  const name = (s: string) => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
  const type = [1, 0x60, 7, I32, I32, I32, I32, I32, I32, I32, 0];
  const n = TILE_ROWS.length;
  const exportsOf = TILE_ROWS.flatMap((R, f) => [...name(`gemm${R}`), 0x00, f]);
  const bodies = TILE_ROWS.flatMap((R) => kernelBody(R));
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, type),
    ...section(3, [n, ...new Array(n).fill(0)]), // the kernels, all of type 0
    ...section(5, [1, 0x00, 1]), // one memory, at least one page
    ...section(7, [n + 1, ...exportsOf, ...name('mem'), 0x02, 0]),
    ...section(10, [n, ...bodies]),
  ]);
}

function instantiate(): SimdKernel | null {
  if (typeof WebAssembly === 'undefined') return null;
  let exports: Record<string, unknown>;
  try {
    exports = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()), {}).exports;
  } catch {
    return null; // no SIMD in this runtime
  }
  const kernels = TILE_ROWS.map((R) => exports[`gemm${R}`] as (...args: number[]) => void);
  const memory = exports.mem as WasmMemory;
  let view = new Float64Array(memory.buffer);
  return {
    gemmNT(M, N, K, a, b, c, accumulate) {
      const acc = accumulate ? 1 : 0;
      let done = 0;
      for (let f = 0; f < TILE_ROWS.length && done < M; f++) {
        const rows = M - done - ((M - done) % TILE_ROWS[f]);
        if (rows > 0) kernels[f](rows, N, K, a + done * K, b, c + done * N, acc);
        done += rows;
      }
    },
    heap: () => view,
    reserve(doubles) {
      if (view.length >= doubles) return;
      memory.grow(Math.ceil((doubles * 8 - memory.buffer.byteLength) / 65536));
      view = new Float64Array(memory.buffer);
    },
  };
}

export const simdKernel: SimdKernel | null = instantiate();
