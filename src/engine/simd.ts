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
   * C[i,j] (+)= Σ_k A[i,k]·B[j,k] for i < 2·rowPairs (N a multiple of 4, K a multiple of 2), with A, B, C at the
   * given float64 indices of `heap`.
   */
  gemmNT(rowPairs: number, N: number, K: number, a: number, b: number, c: number, accumulate: boolean): void;
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

// Local indices of the kernel function: parameters first, then i32 and v128 locals.
const P = { rowPairs: 0, N: 1, K: 2, a: 3, b: 4, c: 5, acc: 6 };
const L = { i: 7, j: 8, kk: 9, a0: 10, a1: 11, b0: 12, b1: 13, b2: 14, b3: 15, c0: 16, c1: 17, kBytes: 18, nBytes: 19 };
const I32_LOCALS = 13;
const S = 20; // s[r][q] = local S + 4r + q : the 2×4 tile's accumulators, each two lanes of partial sums
const X0 = 28, X1 = 29, Y = 30;
const V128_LOCALS = 11;

/** The function body: loops over row pairs, column quads and k in steps of two lanes. */
function kernelBody(): number[] {
  const c: number[] = [];
  const get = (l: number) => c.push(op.localGet, ...uleb(l));
  const set = (l: number) => c.push(op.localSet, ...uleb(l));
  const i32 = (n: number) => c.push(op.i32Const, ...sleb(n));
  const add = () => c.push(op.i32Add);
  /** local dst = local x + local y */
  const sum = (dst: number, x: number, y: number) => { get(x); get(y); add(); set(dst); };

  get(P.K); i32(3); c.push(op.i32Shl); set(L.kBytes);
  get(P.N); i32(3); c.push(op.i32Shl); set(L.nBytes);
  i32(0); set(L.i);
  c.push(op.block, EMPTY, op.loop, EMPTY); // rows, two at a time
  get(L.i); get(P.rowPairs); c.push(op.i32GeU, op.brIf, 1);
  // a0 = a + 2i·K·8, a1 = a0 + K·8, c0 = c + 2i·N·8, c1 = c0 + N·8 (pointers in bytes; a, c given in doubles)
  get(P.a); i32(3); c.push(op.i32Shl); get(L.i); get(L.kBytes); c.push(op.i32Mul); i32(1); c.push(op.i32Shl); add(); set(L.a0);
  sum(L.a1, L.a0, L.kBytes);
  get(P.c); i32(3); c.push(op.i32Shl); get(L.i); get(L.nBytes); c.push(op.i32Mul); i32(1); c.push(op.i32Shl); add(); set(L.c0);
  sum(L.c1, L.c0, L.nBytes);
  i32(0); set(L.j);
  c.push(op.block, EMPTY, op.loop, EMPTY); // columns, four at a time
  get(L.j); get(P.N); c.push(op.i32GeU, op.brIf, 1);
  get(P.b); i32(3); c.push(op.i32Shl); get(L.j); get(L.kBytes); c.push(op.i32Mul); add(); set(L.b0);
  sum(L.b1, L.b0, L.kBytes); sum(L.b2, L.b1, L.kBytes); sum(L.b3, L.b2, L.kBytes);
  for (let s = 0; s < 8; s++) { c.push(op.simd, simd.v128Const, ...new Array(16).fill(0)); set(S + s); }
  i32(0); set(L.kk);
  c.push(op.block, EMPTY, op.loop, EMPTY); // k, two lanes at a time: s[r][q] += A[r, k..k+1] * B[q, k..k+1]
  get(L.kk); get(L.kBytes); c.push(op.i32GeU, op.brIf, 1);
  const load = (base: number) => { get(base); get(L.kk); add(); c.push(op.simd, simd.v128Load, 4, 0); };
  load(L.a0); set(X0);
  load(L.a1); set(X1);
  [L.b0, L.b1, L.b2, L.b3].forEach((bq, q) => {
    load(bq); set(Y);
    [X0, X1].forEach((x, r) => {
      get(S + 4 * r + q); get(x); get(Y);
      c.push(op.simd, ...uleb(simd.f64x2Mul), op.simd, ...uleb(simd.f64x2Add));
      set(S + 4 * r + q);
    });
  });
  get(L.kk); i32(16); add(); set(L.kk);
  c.push(op.br, 0, op.end, op.end);
  // C[r, j+q] = (accumulate ? C[r, j+q] : 0) + (lane 0 + lane 1)
  [L.c0, L.c1].forEach((cr, r) => {
    for (let q = 0; q < 4; q++) {
      get(cr); get(L.j); i32(3); c.push(op.i32Shl); add(); // address, kept for the store
      get(S + 4 * r + q); c.push(op.simd, simd.f64x2ExtractLane, 0);
      get(S + 4 * r + q); c.push(op.simd, simd.f64x2ExtractLane, 1);
      c.push(op.f64Add);
      get(cr); get(L.j); i32(3); c.push(op.i32Shl); add(); c.push(op.f64Load, 3, ...uleb(8 * q));
      c.push(op.f64Const, 0, 0, 0, 0, 0, 0, 0, 0);
      get(P.acc); c.push(op.select);
      c.push(op.f64Add);
      c.push(op.f64Store, 3, ...uleb(8 * q));
    }
  });
  get(L.j); i32(4); add(); set(L.j);
  c.push(op.br, 0, op.end, op.end);
  get(L.i); i32(1); add(); set(L.i);
  c.push(op.br, 0, op.end, op.end);
  c.push(op.end);
  const locals = [2, ...uleb(I32_LOCALS), I32, ...uleb(V128_LOCALS), V128];
  return [...uleb(locals.length + c.length), ...locals, ...c];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function moduleBytes(): Uint8Array {
  const name = (s: string) => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
  const type = [1, 0x60, 7, I32, I32, I32, I32, I32, I32, I32, 0];
  const body = kernelBody();
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, type),
    ...section(3, [1, 0]), // one function of type 0
    ...section(5, [1, 0x00, 1]), // one memory, at least one page
    ...section(7, [2, ...name('gemm'), 0x00, 0, ...name('mem'), 0x02, 0]),
    ...section(10, [1, ...body]),
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
  const gemm = exports.gemm as (...args: number[]) => void;
  const memory = exports.mem as WasmMemory;
  let view = new Float64Array(memory.buffer);
  return {
    gemmNT: (rowPairs, N, K, a, b, c, accumulate) => gemm(rowPairs, N, K, a, b, c, accumulate ? 1 : 0),
    heap: () => view,
    reserve(doubles) {
      if (view.length >= doubles) return;
      memory.grow(Math.ceil((doubles * 8 - memory.buffer.byteLength) / 65536));
      view = new Float64Array(memory.buffer);
    },
  };
}

export const simdKernel: SimdKernel | null = instantiate();
