// The engine's AssemblyScript kernels (assembly/, compiled into kernelsWasm.ts by scripts/wasm.mjs), instantiated
// once, on first use (the extension host loads the engine for validation and need not compile them). Null where WebAssembly or its SIMD is missing: callers then keep their JavaScript versions. Operands are
// copied into one scratch region of the module's memory per call (`stage`), so nothing outside keeps views on it.
import { KERNELS_WASM_BASE64 } from './kernelsWasm';

// The engine compiles without DOM or Node types; these are the parts of the platform it uses here.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};
declare function atob(base64: string): string;

export interface Kernels {
  memory: { buffer: ArrayBuffer };
  reserve(bytes: number): number;
  spectralRadius(a: number, n: number, work: number): number;
  symmetricTopEigenvalue(s: number, n: number, work: number): number;
  outerSumNormSq(a: number, b: number, rows: number, n: number, m: number, k: number): number;
}

function instantiate(): Kernels | null {
  if (typeof WebAssembly === 'undefined' || typeof atob === 'undefined') return null;
  try {
    const bytes = Uint8Array.from(atob(KERNELS_WASM_BASE64), (ch) => ch.charCodeAt(0));
    return new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as Kernels;
  } catch {
    return null; // no SIMD in this runtime
  }
}

let instance: Kernels | null | undefined;

export function kernels(): Kernels | null {
  if (instance === undefined) instance = instantiate();
  return instance;
}

/**
 * Makes room for `doubles` float64s in the kernels' scratch and returns it as a Float64Array with its byte address.
 * The view is valid until the next stage (which may grow the memory).
 */
export function stage(k: Kernels, doubles: number): { view: Float64Array; address: number } {
  const address = k.reserve(8 * doubles);
  return { view: new Float64Array(k.memory.buffer, address, doubles), address };
}
