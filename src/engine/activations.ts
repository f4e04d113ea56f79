// tanh and the logistic sigmoid over runs of a Float64Array, in place: on the WebAssembly kernels (two float64
// lanes at a time, assembly/activations.ts; within a few units in the last place of Math.tanh and `sigmoid` below)
// where they load, else one element at a time in JavaScript. The cells' forward steps call these on whole blocks.
import { kernels } from './wasm';

/** σ(x) = 1/(1 + e^{−x}), without overflow for large |x| (the JavaScript form, and the fallback). */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Below this many values the copies into the kernels' memory cost more than they save. */
const MIN_RUN = 8;

function inKernel(a: Float64Array, off: number, n: number, which: 'tanhInPlace' | 'sigmoidInPlace'): boolean {
  const k = n >= MIN_RUN ? kernels() : null;
  if (!k) return false;
  const at = k.activationScratch(n);
  const view = new Float64Array(k.memory.buffer, at, n);
  view.set(a.subarray(off, off + n));
  k[which](at, n);
  a.set(view, off);
  return true;
}

/** a[off … off + n) ← tanh of itself. */
export function tanhRun(a: Float64Array, off: number, n: number): void {
  if (inKernel(a, off, n, 'tanhInPlace')) return;
  for (let i = off; i < off + n; i++) a[i] = Math.tanh(a[i]);
}

/** a[off … off + n) ← σ of itself. */
export function sigmoidRun(a: Float64Array, off: number, n: number): void {
  if (inKernel(a, off, n, 'sigmoidInPlace')) return;
  for (let i = off; i < off + n; i++) a[i] = sigmoid(a[i]);
}
