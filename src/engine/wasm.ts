// The engine's AssemblyScript kernels (assembly/, compiled into kernelsWasm.ts by scripts/wasm.mjs): the matrix
// products, ρ and σ_max, the flow sums. One module, instantiated once, on first use (the extension host loads the
// engine for validation and need not compile it), in one of two builds: relaxed SIMD (fused multiply-adds where the
// hardware has FMA) where the runtime validates it, plain SIMD otherwise. Null where WebAssembly or its SIMD is
// missing: callers then keep their JavaScript versions. All addresses are byte addresses into the module's memory.
import { KERNELS_RELAXED_WASM_BASE64, KERNELS_WASM_BASE64 } from './kernelsWasm';

// The engine compiles without DOM or Node types; these are the parts of the platform it uses here.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
};
declare function atob(base64: string): string;

/** The exported GEMM of one precision: addresses and strides in bytes into the module's memory. */
type Gemm = (
  M: number,
  panels: number,
  K: number,
  a: number,
  ars: number,
  acs: number,
  aps: number,
  b: number,
  pbs: number,
  bks: number,
  c: number,
  ldc: number,
  accumulate: number,
) => void;

export interface Kernels {
  memory: { buffer: ArrayBuffer };
  /** One scratch region for spectralRadius, symmetricTopEigenvalue and outerSumNormSq operands (see `stage`). */
  reserve(bytes: number): number;
  spectralRadius(a: number, n: number, work: number): number;
  symmetricTopEigenvalue(s: number, n: number, work: number): number;
  outerSumNormSq(a: number, b: number, rows: number, n: number, m: number, k: number): number;
  /** The products' own region (linalg.ts), apart from `reserve`'s. */
  gemmReserve(bytes: number): number;
  /** x ← tanh x and x ← σ(x) for n float64s at p (assembly/activations.ts), and their own region of n float64s. */
  tanhInPlace(p: number, n: number): void;
  sigmoidInPlace(p: number, n: number): void;
  /** x ← tanh(x + y) for the n float64s at p and the n at q. */
  addTanhInPlace(p: number, q: number, n: number): void;
  /** Up to three runs (start, length, 1 for tanh or 0 for σ; length 0: none) in each of `rows` blocks of `stride` at p. */
  squashRowsInPlace(
    p: number,
    rows: number,
    stride: number,
    s0: number,
    n0: number,
    t0: number,
    s1: number,
    n1: number,
    t1: number,
    s2: number,
    n2: number,
    t2: number,
  ): void;
  activationScratch(n: number): number;
  /** x ← σ(x) (which 0) or tanh x (which 1) in float32 lanes for n float64s at p (the LSTM's float32 step). */
  squash32InPlace(p: number, n: number, which: number): void;
  /** One LSTM step over `rows` rows at a (gates), hh (rows `hs` float64s apart), b_hh at bh (0: in hh), c_{t−1} at cp, c, tc, h (assembly/activations.ts lstmForwardRows). */
  lstmForwardRows(
    a: number,
    hh: number,
    hs: number,
    bh: number,
    cp: number,
    c: number,
    tc: number,
    h: number,
    rows: number,
    H: number,
    f32: number,
  ): void;
  /** The LSTM backward step over `rows` rows (assembly/activations.ts lstmBackwardRows); f32 1: in float32 lanes. */
  lstmBackwardRows(
    a: number,
    c: number,
    tc: number,
    dh: number,
    dc: number,
    d: number,
    dcp: number,
    rows: number,
    H: number,
    f32: number,
  ): void;
  /** A region for a recurrent layer's time loop run in the kernels' memory (cells/layerLoop.ts), apart from the others. */
  layerReserve(bytes: number): number;
  /** C (+)= A·Bᵀ in float64 or float32 (see assembly/gemm.ts for the layouts); accumulate is 0 or 1. */
  gemm64: Gemm;
  gemm32: Gemm;
  /** The one-hot scatter-add (assembly/oneHot.ts, used by oneHot.ts) and its own region; f32 is 0 or 1. */
  oneHotReserve(bytes: number): number;
  oneHotScatter(a: number, rows: number, n: number, ids: number, sums: number, col: number, f32: number): void;
  /** The n float64s at src rounded to float32 at dst (assembly/gemm.ts). */
  demote32(src: number, dst: number, n: number): void;
  /** The rows × cols float64s at src packed in panels of `width` columns at dst, as float64 or float32 (f32 = 1). */
  packPanels(src: number, rows: number, cols: number, width: number, dst: number, f32: number): void;
  /** out[j] += Σ_r src[r·cols + j] for rows × cols float64s, the rows added in order (out: cols float64s). */
  columnSums(src: number, rows: number, cols: number, out: number): void;
  /** Softmax cross-entropy rows (assembly/loss.ts, used by loss.ts) and their own region. */
  lossReserve(bytes: number): number;
  softmaxXentRows(
    out: number,
    bias: number,
    ys: number,
    dOut: number,
    stats: number,
    rows: number,
    n: number,
    B: number,
  ): void;
  /** c[j·D + k] += sums[k·n + j] (assembly/oneHot.ts): a slice's scatter sums added to the gradient; f32 is 0 or 1. */
  oneHotAddSums(sums: number, c: number, n: number, D: number, f32: number): void;
}

/** Which build runs: 'relaxed-simd' (fused multiply-adds), 'simd', or null (no WebAssembly SIMD: JavaScript only). */
export type KernelBuild = 'relaxed-simd' | 'simd' | null;

function decode(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
}

/** The relaxed build where the runtime accepts it, else the plain one; `want`: that build only (null: none). */
function instantiate(want?: KernelBuild): { kernels: Kernels; build: KernelBuild } | null {
  if (typeof WebAssembly === 'undefined' || typeof atob === 'undefined' || want === null) return null;
  try {
    const relaxed = decode(KERNELS_RELAXED_WASM_BASE64);
    const [bytes, build]: [Uint8Array, KernelBuild] =
      want !== 'simd' && WebAssembly.validate(relaxed)
        ? [relaxed, 'relaxed-simd']
        : [decode(KERNELS_WASM_BASE64), 'simd'];
    if (want !== undefined && build !== want) return null;
    return {
      kernels: new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as Kernels,
      build,
    };
  } catch {
    return null; // no SIMD in this runtime
  }
}

/**
 * Whether this runtime accepts the relaxed-SIMD build (VS Code's Electron and Node 22+ do; Node 20 only with V8's
 * --experimental-wasm-relaxed-simd, which src/worker/relaxedSimd.ts turns on before the kernels load).
 */
export function relaxedSimdValidates(): boolean {
  if (typeof WebAssembly === 'undefined' || typeof atob === 'undefined') return false;
  return WebAssembly.validate(decode(KERNELS_RELAXED_WASM_BASE64));
}

let instance: { kernels: Kernels; build: KernelBuild } | null | undefined;

export function kernels(): Kernels | null {
  if (instance === undefined) instance = instantiate();
  return instance?.kernels ?? null;
}

/**
 * Makes this thread's kernels the given build (null: the JavaScript fallback) if none is instantiated yet, so that a
 * helper thread computes the same bits as the thread it works for (fused and unfused products differ in the last
 * bits). True when the kernels are that build.
 */
export function useKernelBuild(build: KernelBuild): boolean {
  if (instance === undefined) instance = instantiate(build);
  return (instance?.build ?? null) === build;
}

/** The build `kernels()` instantiated (instantiating it if needed). */
export function kernelBuild(): KernelBuild {
  kernels();
  return instance?.build ?? null;
}

/**
 * Makes room for `doubles` float64s in the kernels' scratch and returns it as a Float64Array with its byte address.
 * The view is valid until the next stage, or until the memory grows (a product may grow it): keep the address.
 */
export function stage(k: Kernels, doubles: number): { view: Float64Array; address: number } {
  const address = k.reserve(8 * doubles);
  return { view: new Float64Array(k.memory.buffer, address, doubles), address };
}
