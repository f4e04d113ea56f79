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

// float32 lanes, four at a time, for the LSTM's step in float32 precision (the arithmetic PyTorch's float32 does):
// the same reduction with ln2 split for float32 (k·LN2_HI32 exact for |k| < 2⁹) and e^r − 1 to r⁷ (the first term
// left out is below 2⁻²⁷ of the sum). Values are float64s in memory, rounded to float32 as they are loaded.
const LN2_HI32: f32 = 0.693145751953125;
const LN2_LO32: f32 = 1.428606820309417e-6;
const INV_LN232: f32 = 1.4426950408889634;
const SIGN32 = i32x4.splat(0x80000000);

@inline function expm1Reduced32(r: v128): v128 {
  let q = f32x4.splat(<f32>(1.0 / 5040.0));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(<f32>(1.0 / 720.0)));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(<f32>(1.0 / 120.0)));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(<f32>(1.0 / 24.0)));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(<f32>(1.0 / 6.0)));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(0.5));
  return f32x4.add(r, f32x4.mul(f32x4.mul(r, r), q));
}

const ROUND32: f32 = 12582912.0; // 1.5·2²³: x + ROUND32 − ROUND32 rounds x to an integer, whose bits sit low in x + ROUND32

/** x + ROUND32: round(x) in its low bits (|x| < 2²²). */
@inline function shifted32(x: v128): v128 {
  return f32x4.add(x, f32x4.splat(ROUND32));
}

/** 2^k from k + ROUND32 (shifted32 of an integral k with −126 ≤ k ≤ 127). */
@inline function pow2f32(ks: v128): v128 {
  return i32x4.shl(i32x4.add(i32x4.sub(ks, i32x4.splat(reinterpret<i32>(ROUND32))), i32x4.splat(127)), 23);
}

@inline function reduced32(u: v128, k: v128): v128 {
  return f32x4.sub(f32x4.sub(u, f32x4.mul(k, f32x4.splat(LN2_HI32))), f32x4.mul(k, f32x4.splat(LN2_LO32)));
}

@inline function tanh4(x: v128): v128 {
  const ax = f32x4.min(f32x4.abs(x), f32x4.splat(9)); // tanh 9 rounds to 1 in float32; NaN stays NaN
  const u = f32x4.add(ax, ax);
  const ks = shifted32(f32x4.mul(u, f32x4.splat(INV_LN232)));
  const k = f32x4.sub(ks, f32x4.splat(ROUND32));
  const p = expm1Reduced32(reduced32(u, k));
  const s = pow2f32(ks);
  const t = f32x4.add(f32x4.mul(s, p), f32x4.sub(s, f32x4.splat(1)));
  return v128.or(f32x4.div(t, f32x4.add(t, f32x4.splat(2))), v128.and(x, SIGN32));
}

@inline function sigmoid4(x: v128): v128 {
  // e^v for v = −|x| ≥ −104 (e^−104 is below half the smallest float32: 0 either way), 2^k as two factors
  const v = f32x4.max(f32x4.neg(f32x4.abs(x)), f32x4.splat(-104));
  const ks = shifted32(f32x4.mul(v, f32x4.splat(INV_LN232)));
  const k = f32x4.sub(ks, f32x4.splat(ROUND32));
  const p = expm1Reduced32(reduced32(v, k));
  const k1s = shifted32(f32x4.mul(k, f32x4.splat(0.5)));
  const k1 = f32x4.sub(k1s, f32x4.splat(ROUND32));
  const e = f32x4.mul(f32x4.mul(f32x4.add(p, f32x4.splat(1)), pow2f32(k1s)), pow2f32(shifted32(f32x4.sub(k, k1))));
  const d = f32x4.add(e, f32x4.splat(1));
  const positive = f32x4.ge(x, f32x4.splat(0));
  const y = f32x4.div(v128.bitselect(f32x4.splat(1), e, positive), d);
  return v128.bitselect(x, y, f32x4.ne(x, x)); // NaN stays NaN
}

/** Four float64s at p, rounded to float32 lanes. */
@inline function load4(p: usize): v128 {
  const lo = f32x4.demote_f64x2_zero(v128.load(p)), hi = f32x4.demote_f64x2_zero(v128.load(p, 16));
  return i32x4.shuffle(lo, hi, 0, 1, 4, 5);
}

/** Four float32 lanes widened to the four float64s at p. */
@inline function store4(p: usize, v: v128): void {
  v128.store(p, f64x2.promote_low_f32x4(v));
  v128.store(p, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)), 16);
}

/** One float64 at p rounded to float32, in lane 0 (and the others) of a vector: the tails of the runs. */
@inline function load1(p: usize): v128 {
  return f32x4.splat(<f32>load<f64>(p));
}

@inline function store1(p: usize, v: v128): void {
  store<f64>(p, <f64>f32x4.extract_lane(v, 0));
}

/** x ← σ(x) (t = 0) or tanh x (t = 1) in float32 for the n float64s at p (each rounded to float32 first). */
function squashRun32(p: usize, n: i32, which: i32): void {
  let i = 0;
  // Four vectors per pass: four independent chains in flight.
  if (which == 1) {
    for (; i + 15 < n; i += 16) {
      const at = p + (<usize>i << 3);
      const y0 = tanh4(load4(at)), y1 = tanh4(load4(at + 32)), y2 = tanh4(load4(at + 64)), y3 = tanh4(load4(at + 96));
      store4(at, y0);
      store4(at + 32, y1);
      store4(at + 64, y2);
      store4(at + 96, y3);
    }
    for (; i + 3 < n; i += 4) store4(p + (<usize>i << 3), tanh4(load4(p + (<usize>i << 3))));
    for (; i < n; i++) store1(p + (<usize>i << 3), tanh4(load1(p + (<usize>i << 3))));
  } else {
    for (; i + 15 < n; i += 16) {
      const at = p + (<usize>i << 3);
      const y0 = sigmoid4(load4(at)), y1 = sigmoid4(load4(at + 32)), y2 = sigmoid4(load4(at + 64)), y3 = sigmoid4(load4(at + 96));
      store4(at, y0);
      store4(at + 32, y1);
      store4(at + 64, y2);
      store4(at + 96, y3);
    }
    for (; i + 3 < n; i += 4) store4(p + (<usize>i << 3), sigmoid4(load4(p + (<usize>i << 3))));
    for (; i < n; i++) store1(p + (<usize>i << 3), sigmoid4(load1(p + (<usize>i << 3))));
  }
}

/** x ← σ(x) or tanh x in float32 lanes for the n float64s at p (squashRun32), for tests and the JavaScript side. */
export function squash32InPlace(p: usize, n: i32, which: i32): void {
  squashRun32(p, n, which);
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

const layer = new Region(1 << 16);

/** A region of `bytes` bytes for a recurrent layer's time loop run in this memory (cells/layerLoop.ts). */
export function layerReserve(bytes: i32): usize {
  return layer.reserve(<usize>bytes);
}

/**
 * The float32 form of one row's LSTM step after the sums (lstmForwardRows with f32): σ and tanh of the gates, c_t,
 * tanh(c_t) and h_t in float32 lanes (each float64 operand rounded to float32 as it is loaded), stored widened.
 */
@inline function forwardCells32(gi: usize, gf: usize, gg: usize, go: usize, pr: usize, cr: usize, tr: usize, hr: usize, H: i32): void {
  squashRun32(gi, H << 1, 0);
  squashRun32(gg, H, 1);
  squashRun32(go, H, 0);
  let i = 0;
  for (; i + 3 < H; i += 4) {
    const o = <usize>i << 3;
    const cv = f32x4.add(f32x4.mul(load4(gf + o), load4(pr + o)), f32x4.mul(load4(gi + o), load4(gg + o)));
    const t = tanh4(cv);
    store4(cr + o, cv);
    store4(tr + o, t);
    store4(hr + o, f32x4.mul(load4(go + o), t));
  }
  for (; i < H; i++) {
    const o = <usize>i << 3;
    const cv = f32x4.add(f32x4.mul(load1(gf + o), load1(pr + o)), f32x4.mul(load1(gi + o), load1(gg + o)));
    const t = tanh4(cv);
    store1(cr + o, cv);
    store1(tr + o, t);
    store1(hr + o, f32x4.mul(load1(go + o), t));
  }
}

/** The float32 form of one row's LSTM backward step (lstmBackwardRows with f32): the same products in float32 lanes. */
@inline function backwardCells32(gi: usize, gf: usize, gg: usize, go: usize, di: usize, df: usize, dg: usize, dO: usize, cr: usize, tr: usize, hr: usize, dcr: usize, pr: usize, H: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 3 < H; i += 4) {
    const o = <usize>i << 3;
    const ig = load4(gi + o), fg = load4(gf + o), g = load4(gg + o), og = load4(go + o);
    const t = load4(tr + o), dm = load4(hr + o);
    const dct = f32x4.add(load4(dcr + o), f32x4.mul(f32x4.mul(dm, og), f32x4.sub(one, f32x4.mul(t, t))));
    store4(di + o, f32x4.mul(f32x4.mul(f32x4.mul(dct, g), ig), f32x4.sub(one, ig)));
    store4(df + o, f32x4.mul(f32x4.mul(f32x4.mul(dct, load4(cr + o)), fg), f32x4.sub(one, fg)));
    store4(dg + o, f32x4.mul(f32x4.mul(dct, ig), f32x4.sub(one, f32x4.mul(g, g))));
    store4(dO + o, f32x4.mul(f32x4.mul(f32x4.mul(dm, t), og), f32x4.sub(one, og)));
    store4(pr + o, f32x4.mul(dct, fg));
  }
  for (; i < H; i++) {
    const o = <usize>i << 3;
    const ig = load1(gi + o), fg = load1(gf + o), g = load1(gg + o), og = load1(go + o);
    const t = load1(tr + o), dm = load1(hr + o);
    const dct = f32x4.add(load1(dcr + o), f32x4.mul(f32x4.mul(dm, og), f32x4.sub(one, f32x4.mul(t, t))));
    store1(di + o, f32x4.mul(f32x4.mul(f32x4.mul(dct, g), ig), f32x4.sub(one, ig)));
    store1(df + o, f32x4.mul(f32x4.mul(f32x4.mul(dct, load1(cr + o)), fg), f32x4.sub(one, fg)));
    store1(dg + o, f32x4.mul(f32x4.mul(dct, ig), f32x4.sub(one, f32x4.mul(g, g))));
    store1(dO + o, f32x4.mul(f32x4.mul(f32x4.mul(dm, t), og), f32x4.sub(one, og)));
    store1(pr + o, f32x4.mul(dct, fg));
  }
}

/**
 * One LSTM step for `rows` rows (assembly side of cells/lstm.ts's forward): at a, rows blocks of 4H gate
 * pre-activations W_ih x_t + b_ih (i, f, g, o), to which the B rows at hh (W_hh h_{t−1} + b_hh, `hs` float64s apart;
 * or W_hh h_{t−1} alone, with b_hh at bh added to it first: the same sum, as addition commutes) are added, then σ (i, f, o) and tanh (g) in place; c_{t−1} at cp and c_t = f ⊙ c_{t−1} + i ⊙ g to c (rows blocks
 * of H; cp = c updates in place); tanh(c_t) to tc, and h_t = o ⊙ tanh(c_t) to h. Every value is what the separate
 * passes give (the same adds, products, σ and tanh, lane by lane: no fused multiply-adds). With f32, everything after
 * the sums is float32 arithmetic (forwardCells32), the values stored widened.
 */
export function lstmForwardRows(a: usize, hh: usize, hs: i32, bh: usize, cp: usize, c: usize, tc: usize, h: usize, rows: i32, H: i32, f32: bool): void {
  const G = H << 2;
  for (let r = 0; r < rows; r++) {
    const row = a + (<usize>(r * G) << 3), hrow = hh + (<usize>(r * hs) << 3);
    let j = 0;
    if (bh != 0) {
      for (; j + 1 < G; j += 2) {
        const o = <usize>j << 3;
        v128.store(row + o, f64x2.add(v128.load(row + o), f64x2.add(v128.load(hrow + o), v128.load(bh + o))));
      }
      if (j < G) {
        const o = <usize>j << 3;
        store<f64>(row + o, load<f64>(row + o) + (load<f64>(hrow + o) + load<f64>(bh + o)));
      }
    } else {
      for (; j + 1 < G; j += 2) {
        const o = <usize>j << 3;
        v128.store(row + o, f64x2.add(v128.load(row + o), v128.load(hrow + o)));
      }
      if (j < G) store<f64>(row + (<usize>j << 3), load<f64>(row + (<usize>j << 3)) + load<f64>(hrow + (<usize>j << 3)));
    }
    const gi = row, gf = row + (<usize>H << 3), gg = row + (<usize>(H << 1) << 3), go = row + (<usize>(3 * H) << 3);
    const s = <usize>(r * H) << 3;
    const pr = cp + s, cr = c + s, tr = tc + s, hr = h + s;
    if (f32) {
      forwardCells32(gi, gf, gg, go, pr, cr, tr, hr, H);
      continue;
    }
    sigmoidInPlace(row, H << 1);
    tanhInPlace(gg, H);
    sigmoidInPlace(go, H);
    let i = 0;
    for (; i + 1 < H; i += 2) {
      const o = <usize>i << 3;
      const cv = f64x2.add(f64x2.mul(v128.load(gf + o), v128.load(pr + o)), f64x2.mul(v128.load(gi + o), v128.load(gg + o)));
      const t = tanh2(cv);
      v128.store(cr + o, cv);
      v128.store(tr + o, t);
      v128.store(hr + o, f64x2.mul(v128.load(go + o), t));
    }
    if (i < H) {
      const o = <usize>i << 3;
      const cv = load<f64>(gf + o) * load<f64>(pr + o) + load<f64>(gi + o) * load<f64>(gg + o);
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
 * JavaScript loop, lane by lane (no fused multiply-adds): the same values; with f32, in float32 lanes.
 */
export function lstmBackwardRows(a: usize, c: usize, tc: usize, dh: usize, dc: usize, d: usize, dcp: usize, rows: i32, H: i32, f32: bool): void {
  const one = f64x2.splat(1);
  for (let r = 0; r < rows; r++) {
    const gi = a + (<usize>(r * 4 * H) << 3), gf = gi + (<usize>H << 3), gg = gf + (<usize>H << 3), go = gg + (<usize>H << 3);
    const di = d + (<usize>(r * 4 * H) << 3), df = di + (<usize>H << 3), dg = df + (<usize>H << 3), dO = dg + (<usize>H << 3);
    const s = <usize>(r * H) << 3;
    const cr = c + s, tr = tc + s, hr = dh + s, dcr = dc + s, pr = dcp + s;
    if (f32) {
      backwardCells32(gi, gf, gg, go, di, df, dg, dO, cr, tr, hr, dcr, pr, H);
      continue;
    }
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
