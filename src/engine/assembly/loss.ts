// Softmax cross-entropy over many rows of logits at once (src/engine/loss.ts calls it for the output layer): the
// bias add and the largest logit, e^{out_j − m} on f64x2 lanes (expNonPositive of activations.ts: out_j − m ≤ 0),
// their sum, and ∂ℓ/∂out, in the order of operations of loss.ts's JavaScript rows. The log of the sum is left to the
// caller (one per row), so the loss itself is formed from Math.log as in JavaScript.

import { Region } from './region';
import { expNonPositive } from './activations';

const region = new Region(1 << 16);

/** A region of at least `bytes` bytes for the loss kernel's operands, apart from the other kernels' regions. */
export function lossReserve(bytes: i32): usize {
  return region.reserve(<usize>bytes);
}

/**
 * For each of `rows` rows of n float64 logits at out (row r at out + 8·r·n): out_j += bias_j (n float64s at bias),
 * m = max_j out_j; a row whose class (the i32 at ys + 4r) is negative has no target: its n float64s at dOut are set
 * to 0 and its stats left alone. Otherwise e_j = e^{out_j − m}, s = Σ e_j, and at dOut, with y its class,
 * (e_j · (1/s)) / B, the class's entry (e_y · (1/s) − 1) / B; stats + 16r gets m and s (the loss is m + log s − out_y).
 */
export function softmaxXentRows(out: usize, bias: usize, ys: usize, dOut: usize, stats: usize, rows: i32, n: i32, B: f64): void {
  const n2 = n & ~1;
  const vB = f64x2.splat(B);
  for (let r = 0; r < rows; r++) {
    const po = out + <usize>r * <usize>n * 8;
    const pd = dOut + <usize>r * <usize>n * 8;
    // bias and maximum
    let mv = f64x2.splat(-Infinity);
    let ms: f64 = -Infinity;
    for (let j = 0; j < n2; j += 2) {
      const at = <usize>j << 3;
      const v = f64x2.add(v128.load(po + at), v128.load(bias + at));
      v128.store(po + at, v);
      mv = f64x2.max(mv, v);
    }
    if (n2 < n) {
      const at = <usize>n2 << 3;
      const v = load<f64>(po + at) + load<f64>(bias + at);
      store<f64>(po + at, v);
      ms = v;
    }
    const m = max(max(f64x2.extract_lane(mv, 0), f64x2.extract_lane(mv, 1)), ms);
    const y = load<i32>(ys + (<usize>r << 2));
    if (y < 0) {
      memory.fill(pd, 0, <usize>n << 3);
      continue;
    }
    // e_j = e^{out_j − m} and their sum
    const vm = f64x2.splat(m);
    let sv = f64x2.splat(0);
    let j = 0;
    // Four vectors a pass: four independent exponentials in flight (each value's arithmetic is unchanged).
    for (; j + 7 < n; j += 8) {
      const at = <usize>j << 3;
      const e0 = expNonPositive(f64x2.sub(v128.load(po + at), vm)),
        e1 = expNonPositive(f64x2.sub(v128.load(po + at, 16), vm));
      const e2 = expNonPositive(f64x2.sub(v128.load(po + at, 32), vm)),
        e3 = expNonPositive(f64x2.sub(v128.load(po + at, 48), vm));
      v128.store(pd + at, e0);
      v128.store(pd + at, e1, 16);
      v128.store(pd + at, e2, 32);
      v128.store(pd + at, e3, 48);
      sv = f64x2.add(sv, f64x2.add(f64x2.add(e0, e1), f64x2.add(e2, e3)));
    }
    for (; j < n2; j += 2) {
      const at = <usize>j << 3;
      const e = expNonPositive(f64x2.sub(v128.load(po + at), vm));
      v128.store(pd + at, e);
      sv = f64x2.add(sv, e);
    }
    let s = f64x2.extract_lane(sv, 0) + f64x2.extract_lane(sv, 1);
    if (n2 < n) {
      const at = <usize>n2 << 3;
      const e = f64x2.extract_lane(expNonPositive(f64x2.splat(load<f64>(po + at) - m)), 0);
      store<f64>(pd + at, e);
      s += e;
    }
    // (p_j − [j = y]) / B
    const inv = 1 / s;
    const py = load<f64>(pd + (<usize>y << 3)) * inv;
    const vi = f64x2.splat(inv);
    for (let j = 0; j < n2; j += 2) {
      const at = <usize>j << 3;
      v128.store(pd + at, f64x2.div(f64x2.mul(v128.load(pd + at), vi), vB));
    }
    if (n2 < n) {
      const at = <usize>n2 << 3;
      store<f64>(pd + at, (load<f64>(pd + at) * inv) / B);
    }
    store<f64>(pd + (<usize>y << 3), (py - 1) / B);
    const ps = stats + (<usize>r << 4);
    store<f64>(ps, m);
    store<f64>(ps, s, 8);
  }
}
