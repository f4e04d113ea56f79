// tanh and the logistic sigmoid over runs of float64s, two lanes at a time (f64x2), in place at a byte address.
// Both come from one e^u − 1 on a reduced argument: u = k·ln2 + r with |r| ≤ ln2/2 (ln2 split in two parts, so
// k·ln2_hi is exact), e^r − 1 by its Taylor series to r¹³ (the first term left out is below 2⁻⁵⁵ of the sum), then
// e^u − 1 = 2^k·(e^r − 1) + (2^k − 1). tanh|x| = t/(t + 2) with t = e^{2|x|} − 1 (no cancellation near 0), and
// σ(x) = 1/(1 + e^{−x}) for x ≥ 0, e^x/(1 + e^x) below. Within a few units in the last place of the exact values
// (Math.tanh's and the engine's JavaScript sigmoid agree with them to that); NaN stays NaN, ±∞ give ±1 and 1 or 0.

import { Region } from './region';

const LN2_HI: f64 = 6.93147180369123816490e-01; // its low 32 bits are zero: k·LN2_HI is exact for |k| < 2²¹
const LN2_LO: f64 = 1.90821492927058770002e-10;
const INV_LN2: f64 = 1.44269504088896338700e+00;
const ROUND: f64 = 6755399441055744.0; // 1.5·2⁵²: x + ROUND − ROUND rounds x to an integer, whose bits sit low in x + ROUND

/** k = round(u / ln2), as integral float64 lanes. */
@inline function reduce(u: v128): v128 {
  return f64x2.sub(f64x2.add(f64x2.mul(u, f64x2.splat(INV_LN2)), f64x2.splat(ROUND)), f64x2.splat(ROUND));
}

@inline function expm1Reduced(r: v128): v128 {
  let q = f64x2.splat(1.0 / 6227020800.0); // 1/13!
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 479001600.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 39916800.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 3628800.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 362880.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 40320.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 5040.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 720.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 120.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 24.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(1.0 / 6.0));
  q = f64x2.add(f64x2.mul(q, r), f64x2.splat(0.5));
  return f64x2.add(r, f64x2.mul(f64x2.mul(r, r), q)); // r + r²·q: r exact, the rest small
}

/** 2^k for integral lanes k with −1022 ≤ k ≤ 1023. */
@inline function pow2(k: v128): v128 {
  const bits = i64x2.sub(f64x2.add(k, f64x2.splat(ROUND)), i64x2.splat(reinterpret<i64>(ROUND))); // k as int64 lanes
  return i64x2.shl(i64x2.add(bits, i64x2.splat(1023)), 52);
}

/** e^u − 1 for 0 ≤ u ≤ 44. */
@inline function expm1Small(u: v128): v128 {
  const k = reduce(u);
  const r = f64x2.sub(f64x2.sub(u, f64x2.mul(k, f64x2.splat(LN2_HI))), f64x2.mul(k, f64x2.splat(LN2_LO)));
  const p = expm1Reduced(r);
  const s = pow2(k);
  return f64x2.add(f64x2.mul(s, p), f64x2.sub(s, f64x2.splat(1)));
}

/** e^v for v ≤ 0 (−∞ gives 0): 2^k as two factors, so results below 2⁻¹⁰²² come out right too. */
@inline export function expNonPositive(v: v128): v128 {
  const w = f64x2.max(v, f64x2.splat(-746)); // e^−746 is below half the smallest float64: 0 either way
  const k = reduce(w);
  const r = f64x2.sub(f64x2.sub(w, f64x2.mul(k, f64x2.splat(LN2_HI))), f64x2.mul(k, f64x2.splat(LN2_LO)));
  const p = expm1Reduced(r);
  const k1 = f64x2.nearest(f64x2.mul(k, f64x2.splat(0.5)));
  const k2 = f64x2.sub(k, k1);
  return f64x2.mul(f64x2.mul(f64x2.add(p, f64x2.splat(1)), pow2(k1)), pow2(k2));
}

const SIGN = i64x2.splat(0x8000000000000000);

@inline function tanh2(x: v128): v128 {
  const ax = f64x2.min(f64x2.abs(x), f64x2.splat(22)); // tanh 22 rounds to 1; NaN stays NaN
  const t = expm1Small(f64x2.add(ax, ax));
  const y = f64x2.div(t, f64x2.add(t, f64x2.splat(2)));
  return v128.or(y, v128.and(x, SIGN));
}

@inline function sigmoid2(x: v128): v128 {
  const e = expNonPositive(f64x2.neg(f64x2.abs(x)));
  const d = f64x2.add(e, f64x2.splat(1));
  const positive = f64x2.ge(x, f64x2.splat(0));
  const s = f64x2.div(v128.bitselect(f64x2.splat(1), e, positive), d); // 1/(1 + e) or e/(1 + e)
  return v128.bitselect(x, s, f64x2.ne(x, x)); // NaN stays NaN
}

/** x ← tanh x for the n float64s at p. */
export function tanhInPlace(p: usize, n: i32): void {
  let i = 0;
  for (; i + 7 < n; i += 8) {
    const at = p + (<usize>i << 3);
    // Four vectors per pass: four independent chains in flight (each value's arithmetic is unchanged).
    const y0 = tanh2(v128.load(at)), y1 = tanh2(v128.load(at, 16));
    const y2 = tanh2(v128.load(at, 32)), y3 = tanh2(v128.load(at, 48));
    v128.store(at, y0);
    v128.store(at, y1, 16);
    v128.store(at, y2, 32);
    v128.store(at, y3, 48);
  }
  for (; i + 1 < n; i += 2) {
    const at = p + (<usize>i << 3);
    v128.store(at, tanh2(v128.load(at)));
  }
  if (i < n) {
    const at = p + (<usize>i << 3);
    store<f64>(at, f64x2.extract_lane(tanh2(f64x2.splat(load<f64>(at))), 0));
  }
}

/** x ← tanh(x + y) for the n float64s at p and the n at q (the vanilla RNN's step: pre-activation sum, then tanh). */
export function addTanhInPlace(p: usize, q: usize, n: i32): void {
  let i = 0;
  for (; i + 7 < n; i += 8) {
    const at = p + (<usize>i << 3), from = q + (<usize>i << 3);
    const y0 = tanh2(f64x2.add(v128.load(at), v128.load(from))), y1 = tanh2(f64x2.add(v128.load(at, 16), v128.load(from, 16)));
    const y2 = tanh2(f64x2.add(v128.load(at, 32), v128.load(from, 32))), y3 = tanh2(f64x2.add(v128.load(at, 48), v128.load(from, 48)));
    v128.store(at, y0);
    v128.store(at, y1, 16);
    v128.store(at, y2, 32);
    v128.store(at, y3, 48);
  }
  for (; i + 1 < n; i += 2) {
    const at = p + (<usize>i << 3);
    v128.store(at, tanh2(f64x2.add(v128.load(at), v128.load(q + (<usize>i << 3)))));
  }
  if (i < n) {
    const at = p + (<usize>i << 3);
    store<f64>(at, f64x2.extract_lane(tanh2(f64x2.splat(load<f64>(at) + load<f64>(q + (<usize>i << 3)))), 0));
  }
}

/** x ← σ(x) = 1/(1 + e^{−x}) for the n float64s at p. */
export function sigmoidInPlace(p: usize, n: i32): void {
  let i = 0;
  for (; i + 7 < n; i += 8) {
    const at = p + (<usize>i << 3);
    const y0 = sigmoid2(v128.load(at)), y1 = sigmoid2(v128.load(at, 16));
    const y2 = sigmoid2(v128.load(at, 32)), y3 = sigmoid2(v128.load(at, 48));
    v128.store(at, y0);
    v128.store(at, y1, 16);
    v128.store(at, y2, 32);
    v128.store(at, y3, 48);
  }
  for (; i + 1 < n; i += 2) {
    const at = p + (<usize>i << 3);
    v128.store(at, sigmoid2(v128.load(at)));
  }
  if (i < n) {
    const at = p + (<usize>i << 3);
    store<f64>(at, f64x2.extract_lane(sigmoid2(f64x2.splat(load<f64>(at))), 0));
  }
}

/**
 * The gate runs of a whole step: `rows` blocks of `stride` float64s at p, and in each block up to three runs
 * [s, s + n) get σ (t = 0) or tanh (t = 1); n = 0 leaves a run out. One call instead of one per run and row.
 */
export function squashRowsInPlace(p: usize, rows: i32, stride: i32, s0: i32, n0: i32, t0: i32, s1: i32, n1: i32, t1: i32, s2: i32, n2: i32, t2: i32): void {
  for (let r = 0; r < rows; r++) {
    const row = p + (<usize>(r * stride) << 3);
    if (n0 > 0) squashRun(row + (<usize>s0 << 3), n0, t0);
    if (n1 > 0) squashRun(row + (<usize>s1 << 3), n1, t1);
    if (n2 > 0) squashRun(row + (<usize>s2 << 3), n2, t2);
  }
}

@inline function squashRun(at: usize, n: i32, which: i32): void {
  if (which == 1) tanhInPlace(at, n);
  else sigmoidInPlace(at, n);
}

const scratch = new Region(256 << 3);

/** A region of n float64s for the activations' operands, apart from the other kernels' regions. */
export function activationScratch(n: i32): usize {
  return scratch.reserve(<usize>n << 3);
}

/**
 * One LSTM step for `rows` rows (assembly side of cells/lstm.ts's forward): at a, rows blocks of 4H gate
 * pre-activations W_ih x_t + b_ih (i, f, g, o), to which the B blocks at hh (W_hh h_{t−1} + b_hh) are added, then σ
 * (i, f, o) and tanh (g) in place; at c, rows blocks of H: c_{t−1} in, c_t = f ⊙ c_{t−1} + i ⊙ g out; tanh(c_t) to
 * tc, and h_t = o ⊙ tanh(c_t) to h. Every value is what the separate passes give (the same adds, products, σ and
 * tanh, lane by lane: no fused multiply-adds).
 */
export function lstmForwardRows(a: usize, hh: usize, c: usize, tc: usize, h: usize, rows: i32, H: i32): void {
  const G = H << 2;
  for (let r = 0; r < rows; r++) {
    const row = a + (<usize>(r * G) << 3), hrow = hh + (<usize>(r * G) << 3);
    let j = 0;
    for (; j + 1 < G; j += 2) {
      const o = <usize>j << 3;
      v128.store(row + o, f64x2.add(v128.load(row + o), v128.load(hrow + o)));
    }
    if (j < G) store<f64>(row + (<usize>j << 3), load<f64>(row + (<usize>j << 3)) + load<f64>(hrow + (<usize>j << 3)));
    sigmoidInPlace(row, H << 1);
    tanhInPlace(row + (<usize>(H << 1) << 3), H);
    sigmoidInPlace(row + (<usize>(3 * H) << 3), H);
    const gi = row, gf = row + (<usize>H << 3), gg = row + (<usize>(H << 1) << 3), go = row + (<usize>(3 * H) << 3);
    const s = <usize>(r * H) << 3;
    const cr = c + s, tr = tc + s, hr = h + s;
    let i = 0;
    for (; i + 1 < H; i += 2) {
      const o = <usize>i << 3;
      const cv = f64x2.add(f64x2.mul(v128.load(gf + o), v128.load(cr + o)), f64x2.mul(v128.load(gi + o), v128.load(gg + o)));
      const t = tanh2(cv);
      v128.store(cr + o, cv);
      v128.store(tr + o, t);
      v128.store(hr + o, f64x2.mul(v128.load(go + o), t));
    }
    if (i < H) {
      const o = <usize>i << 3;
      const cv = load<f64>(gf + o) * load<f64>(cr + o) + load<f64>(gi + o) * load<f64>(gg + o);
      const t = f64x2.extract_lane(tanh2(f64x2.splat(cv)), 0);
      store<f64>(cr + o, cv);
      store<f64>(tr + o, t);
      store<f64>(hr + o, load<f64>(go + o) * t);
    }
  }
}

/**
 * The LSTM backward step for `rows` rows (assembly side of cells/lstm.ts's backward): from the gates at a (rows
 * blocks of 4H), c_{t−1} at c, tanh(c_t) at tc, ∂/∂h_t at dh and ∂/∂c_t at dc (blocks of H), writes ∂/∂(gate
 * pre-activations) to d (blocks of 4H) and ∂/∂c_{t−1} to dcp. The same products in the same order as the cell's
 * JavaScript loop, lane by lane (no fused multiply-adds): the same values.
 */
export function lstmBackwardRows(a: usize, c: usize, tc: usize, dh: usize, dc: usize, d: usize, dcp: usize, rows: i32, H: i32): void {
  const one = f64x2.splat(1);
  for (let r = 0; r < rows; r++) {
    const gi = a + (<usize>(r * 4 * H) << 3), gf = gi + (<usize>H << 3), gg = gf + (<usize>H << 3), go = gg + (<usize>H << 3);
    const di = d + (<usize>(r * 4 * H) << 3), df = di + (<usize>H << 3), dg = df + (<usize>H << 3), dO = dg + (<usize>H << 3);
    const s = <usize>(r * H) << 3;
    const cr = c + s, tr = tc + s, hr = dh + s, dcr = dc + s, pr = dcp + s;
    let i = 0;
    for (; i + 1 < H; i += 2) {
      const o = <usize>i << 3;
      const ig = v128.load(gi + o), fg = v128.load(gf + o), g = v128.load(gg + o), og = v128.load(go + o);
      const t = v128.load(tr + o), dm = v128.load(hr + o);
      const dct = f64x2.add(v128.load(dcr + o), f64x2.mul(f64x2.mul(dm, og), f64x2.sub(one, f64x2.mul(t, t))));
      v128.store(di + o, f64x2.mul(f64x2.mul(f64x2.mul(dct, g), ig), f64x2.sub(one, ig)));
      v128.store(df + o, f64x2.mul(f64x2.mul(f64x2.mul(dct, v128.load(cr + o)), fg), f64x2.sub(one, fg)));
      v128.store(dg + o, f64x2.mul(f64x2.mul(dct, ig), f64x2.sub(one, f64x2.mul(g, g))));
      v128.store(dO + o, f64x2.mul(f64x2.mul(f64x2.mul(dm, t), og), f64x2.sub(one, og)));
      v128.store(pr + o, f64x2.mul(dct, fg));
    }
    if (i < H) {
      const o = <usize>i << 3;
      const ig = load<f64>(gi + o), fg = load<f64>(gf + o), g = load<f64>(gg + o), og = load<f64>(go + o);
      const t = load<f64>(tr + o), dm = load<f64>(hr + o);
      const dct = load<f64>(dcr + o) + dm * og * (1 - t * t);
      store<f64>(di + o, dct * g * ig * (1 - ig));
      store<f64>(df + o, dct * load<f64>(cr + o) * fg * (1 - fg));
      store<f64>(dg + o, dct * ig * (1 - g * g));
      store<f64>(dO + o, dm * t * og * (1 - og));
      store<f64>(pr + o, dct * fg);
    }
  }
}
