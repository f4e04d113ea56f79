// tanh and the logistic sigmoid over runs of float64s, two lanes at a time (f64x2), in place at a byte address.
// Both come from one e^u − 1 on a reduced argument: u = k·ln2 + r with |r| ≤ ln2/2 (ln2 split in two parts, so
// k·ln2_hi is exact), e^r − 1 by its Taylor series to r¹³ (the first term left out is below 2⁻⁵⁵ of the sum), then
// e^u − 1 = 2^k·(e^r − 1) + (2^k − 1). tanh|x| = t/(t + 2) with t = e^{2|x|} − 1 (no cancellation near 0), and
// σ(x) = 1/(1 + e^{−x}) for x ≥ 0, e^x/(1 + e^x) below. Within a few units in the last place of the exact values
// (Math.tanh's and the engine's JavaScript sigmoid agree with them to that); NaN stays NaN, ±∞ give ±1 and 1 or 0.

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
@inline function expNonPositive(v: v128): v128 {
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

let scratch: usize = 0;
let scratchCount: i32 = 0;

/** A region of n float64s for the activations' operands, apart from the other kernels' regions. */
export function activationScratch(n: i32): usize {
  if (n > scratchCount) {
    if (scratch != 0) heap.free(scratch);
    let count = 256;
    while (count < n) count <<= 1;
    scratch = heap.alloc(<usize>count << 3);
    scratchCount = count;
  }
  return scratch;
}
