// Relaxed SIMD for the engine's WebAssembly kernels in Node 20. Its fused multiply-adds (f64x2/f32x4.relaxed_madd)
// make the matrix products about a third faster where the CPU has FMA. VS Code's Electron and Node 22+ accept the
// relaxed build as they are; Node 20's V8 (11.3) has it behind --experimental-wasm-relaxed-simd, a V8 flag that
// takes effect for modules compiled after it is set, so the Node entry points (the worker, the CLI, the bench) call
// this before the engine first runs (src/engine/wasm.ts instantiates lazily and checks with WebAssembly.validate).
import { setFlagsFromString } from 'node:v8';
import { relaxedSimdValidates } from '../engine/wasm';

export function enableRelaxedSimd(): void {
  if (relaxedSimdValidates()) return; // already on: no flag to set (and newer V8s may not know it)
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // not settable here: the engine takes the plain SIMD build
  }
}
