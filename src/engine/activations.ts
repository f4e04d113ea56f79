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

/** A view on the kernels' memory, made again when it grows. */
let view = new Float64Array(0);

function inKernel(a: Float64Array, off: number, n: number, which: 'tanhInPlace' | 'sigmoidInPlace'): boolean {
  const k = n >= MIN_RUN ? kernels() : null;
  if (!k) return false;
  const at = k.activationScratch(n);
  if (view.buffer !== k.memory.buffer) view = new Float64Array(k.memory.buffer);
  const v = view,
    d = at / 8;
  // Short runs (a step's gate block) copy in loops: set() would first allocate a subarray.
  if (n < 512) for (let i = 0; i < n; i++) v[d + i] = a[off + i];
  else v.set(a.subarray(off, off + n), d);
  k[which](at, n);
  if (n < 512) for (let i = 0; i < n; i++) a[off + i] = v[d + i];
  else a.set(v.subarray(d, d + n), off);
  return true;
}

/** a[off … off + n) ← tanh of itself. */
export function tanhRun(a: Float64Array, off: number, n: number): void {
  if (inKernel(a, off, n, 'tanhInPlace')) return;
  for (let i = off; i < off + n; i++) a[i] = Math.tanh(a[i]);
}

/**
 * dst[dOff … dOff + n) ← tanh(a[aOff + i] + b[bOff + i]): the sum, then tanhRun's tanh of it (the same values as an
 * add loop followed by tanhRun), with the add done in the kernels.
 */
export function addTanhRun(
  dst: Float64Array,
  dOff: number,
  a: Float64Array,
  aOff: number,
  b: Float64Array,
  bOff: number,
  n: number,
): void {
  const k = n >= MIN_RUN ? kernels() : null;
  if (!k) {
    for (let i = 0; i < n; i++) dst[dOff + i] = a[aOff + i] + b[bOff + i];
    tanhRun(dst, dOff, n);
    return;
  }
  const at = k.activationScratch(2 * n);
  if (view.buffer !== k.memory.buffer) view = new Float64Array(k.memory.buffer);
  const v = view,
    d = at / 8;
  // Short runs (batch 1) copy in loops: set() would first allocate subarrays.
  if (n < 512) {
    for (let i = 0; i < n; i++) v[d + i] = a[aOff + i];
    for (let i = 0; i < n; i++) v[d + n + i] = b[bOff + i];
  } else {
    v.set(a.subarray(aOff, aOff + n), d);
    v.set(b.subarray(bOff, bOff + n), d + n);
  }
  k.addTanhInPlace(at, at + 8 * n, n);
  if (n < 512) for (let i = 0; i < n; i++) dst[dOff + i] = v[d + i];
  else dst.set(v.subarray(d, d + n), dOff);
}

/** a[off … off + n) ← σ of itself. */
export function sigmoidRun(a: Float64Array, off: number, n: number): void {
  if (inKernel(a, off, n, 'sigmoidInPlace')) return;
  for (let i = off; i < off + n; i++) a[i] = sigmoid(a[i]);
}

/** Which function a run of a gate block takes. */
export type Squash = 'tanh' | 'sigmoid';

function squashJs(a: Float64Array, s: number, n: number, which: Squash): void {
  if (which === 'tanh') for (let i = s; i < s + n; i++) a[i] = Math.tanh(a[i]);
  else for (let i = s; i < s + n; i++) a[i] = sigmoid(a[i]);
}

/**
 * The gates of one step for a whole batch: `rows` blocks of `stride` values at a[off…], and in each block the runs
 * [start, start + n) get σ or tanh (`runs`: start, n, which, repeated). One copy of the step's block into the kernels'
 * memory and one back, instead of one pair per run and row. Every value gets exactly what tanhRun/sigmoidRun on its
 * run would give it (runs shorter than MIN_RUN in JavaScript, as there).
 */
export function squashRows(
  a: Float64Array,
  off: number,
  rows: number,
  stride: number,
  runs: readonly (number | Squash)[],
): void {
  const total = rows * stride;
  let long = false;
  for (let q = 0; q < runs.length; q += 3) if ((runs[q + 1] as number) >= MIN_RUN) long = true;
  const k = long ? kernels() : null;
  if (k) {
    const at = k.activationScratch(total);
    if (view.buffer !== k.memory.buffer) view = new Float64Array(k.memory.buffer);
    const v = view,
      d = at / 8;
    if (total < 512) for (let i = 0; i < total; i++) v[d + i] = a[off + i];
    else v.set(a.subarray(off, off + total), d);
    if (runs.length <= 9) {
      // up to three runs: one call for all rows (runs under MIN_RUN are left to the JavaScript loop below)
      const arg = (q: number, what: 'start' | 'n' | 'which'): number => {
        if (q >= runs.length) return 0;
        const n = runs[q + 1] as number;
        if (what === 'start') return runs[q] as number;
        if (what === 'n') return n < MIN_RUN ? 0 : n;
        return runs[q + 2] === 'tanh' ? 1 : 0;
      };
      k.squashRowsInPlace(
        at,
        rows,
        stride,
        arg(0, 'start'),
        arg(0, 'n'),
        arg(0, 'which'),
        arg(3, 'start'),
        arg(3, 'n'),
        arg(3, 'which'),
        arg(6, 'start'),
        arg(6, 'n'),
        arg(6, 'which'),
      );
    } else
      for (let r = 0; r < rows; r++)
        for (let q = 0; q < runs.length; q += 3) {
          const n = runs[q + 1] as number;
          if (n < MIN_RUN) continue;
          const p = at + (r * stride + (runs[q] as number)) * 8;
          if (runs[q + 2] === 'tanh') k.tanhInPlace(p, n);
          else k.sigmoidInPlace(p, n);
        }
    if (total < 512) for (let i = 0; i < total; i++) a[off + i] = v[d + i];
    else a.set(v.subarray(d, d + total), off);
  }
  for (let r = 0; r < rows; r++)
    for (let q = 0; q < runs.length; q += 3) {
      const n = runs[q + 1] as number;
      if (!k || n < MIN_RUN) squashJs(a, off + r * stride + (runs[q] as number), n, runs[q + 2] as Squash);
    }
}
