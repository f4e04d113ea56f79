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

/** dst[dOff …) ← src[sOff …) for n values: a loop for short runs, set() (a memcpy) for long ones. */
function copy(src: Float64Array, sOff: number, dst: Float64Array, dOff: number, n: number): void {
  if (n < 512) for (let i = 0; i < n; i++) dst[dOff + i] = src[sOff + i];
  else dst.set(src.subarray(sOff, sOff + n), dOff);
}

/**
 * An unprojected LSTM step for B rows in one kernel call (assembly/activations.ts lstmForwardRows), the same values as
 * the cell's separate passes: acts[a0…] ← squashed pre[a0…] + hh (B blocks of 4H), cs[c1…] ← c_t from c_{t−1} at
 * cs[c0…], tanhC[s0…] ← tanh(c_t), h[h0…] ← o ⊙ tanh(c_t); with f32, the step after the sums in float32 arithmetic.
 * False (nothing done) where the kernels are absent or H is below the runs the kernels take (MIN_RUN): the caller
 * then takes its own passes.
 */
export function lstmForwardInKernel(
  B: number,
  H: number,
  pre: Float64Array,
  hh: Float64Array,
  acts: Float64Array,
  a0: number,
  cs: Float64Array,
  c0: number,
  c1: number,
  tanhC: Float64Array,
  s0: number,
  h: Float64Array,
  h0: number,
  f32: boolean,
): boolean {
  const k = H >= MIN_RUN ? kernels() : null;
  if (!k) return false;
  const n = B * 4 * H,
    m = B * H;
  const at = k.activationScratch(2 * n + 3 * m);
  if (view.buffer !== k.memory.buffer) view = new Float64Array(k.memory.buffer);
  const v = view,
    d = at / 8;
  copy(pre, a0, v, d, n);
  copy(hh, 0, v, d + n, n);
  copy(cs, c0, v, d + 2 * n, m);
  const c = at + 16 * n;
  k.lstmForwardRows(at, at + 8 * n, 4 * H, 0, c, c, c + 8 * m, c + 16 * m, B, H, f32 ? 1 : 0);
  copy(v, d, acts, a0, n);
  copy(v, d + 2 * n, cs, c1, m);
  copy(v, d + 2 * n + m, tanhC, s0, m);
  copy(v, d + 2 * n + 2 * m, h, h0, m);
  return true;
}

/**
 * An LSTM backward step for B rows in one kernel call (assembly/activations.ts lstmBackwardRows), the same values as
 * the cell's loop: from the gates acts[a0…], c_{t−1} cs[s0…], tanh(c_t) tanhC[s0…], dm = ∂/∂m_t and dc = ∂/∂c_t
 * (B·H each, from 0), writes dIh (B·4H from 0) and dcPrev (B·H from 0), in float32 arithmetic with f32. False
 * (nothing done) where the kernels are absent or H is below MIN_RUN.
 */
export function lstmBackwardInKernel(
  B: number,
  H: number,
  acts: Float64Array,
  a0: number,
  cs: Float64Array,
  tanhC: Float64Array,
  s0: number,
  dm: Float64Array,
  dc: Float64Array,
  dIh: Float64Array,
  dcPrev: Float64Array,
  f32: boolean,
): boolean {
  const k = H >= MIN_RUN ? kernels() : null;
  if (!k) return false;
  const n = B * 4 * H,
    m = B * H;
  const at = k.activationScratch(2 * n + 5 * m);
  if (view.buffer !== k.memory.buffer) view = new Float64Array(k.memory.buffer);
  const v = view,
    d = at / 8;
  copy(acts, a0, v, d, n);
  copy(cs, s0, v, d + n, m);
  copy(tanhC, s0, v, d + n + m, m);
  copy(dm, 0, v, d + n + 2 * m, m);
  copy(dc, 0, v, d + n + 3 * m, m);
  const dAt = d + n + 4 * m;
  k.lstmBackwardRows(
    at,
    at + 8 * n,
    at + 8 * (n + m),
    at + 8 * (n + 2 * m),
    at + 8 * (n + 3 * m),
    8 * dAt,
    8 * (dAt + n),
    B,
    H,
    f32 ? 1 : 0,
  );
  copy(v, dAt, dIh, 0, n);
  copy(v, dAt + n, dcPrev, 0, m);
  return true;
}
