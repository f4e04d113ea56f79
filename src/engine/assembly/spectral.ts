// ρ and σ_max of a recurrent matrix: the O(n³) part of every analysis with new weights. The algorithms are those
// of eigen.ts (which stays as the fallback and the reference of the tests); here the row updates run on pairs of
// float64 lanes (f64x2), which JavaScript cannot do. All pointers are byte addresses into this module's memory, and
// matrices are row-major float64.

import { Region } from './region';

@inline function ld(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
@inline function st(p: usize, i: i32, x: f64): void {
  store<f64>(p + (<usize>i << 3), x);
}
@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 3);
}

const scratch = new Region(1 << 16);

/** The address of one region of at least `bytes` bytes for the caller's operands, reused (grown when too small). */
export function reserve(bytes: i32): usize {
  return scratch.reserve(<usize>bytes);
}

/**
 * Upper Hessenberg form of the n×n matrix at a, in place, by Householder reflections A ← P A P (P = I − β v vᵀ).
 * Step k needs u = A v and w = β Aᵀv (one pass over A), then makes A −= v wᵀ + z vᵀ with z = β(u − (wᵀv) v) (a
 * second pass). The second pass of step k and the first of step k+1 go row by row together, each row read from
 * memory once for both while it is in cache (step k+1's v, from column k+1 as step k leaves it, is computed first):
 * at n = 1024 the matrix does not fit in cache and the passes are bound by memory. The arithmetic is that of one pass
 * after the other, entry for entry. `work` holds 6n float64s (v, w, u of two steps).
 */
function hessenberg(a: usize, n: i32, work: usize): void {
  let v = work, w = at(work, n), u = at(work, 2 * n);
  let v1 = at(work, 3 * n), w1 = at(work, 4 * n), u1 = at(work, 5 * n);
  let ready = false; // the first pass of step k is done (with the second of step k − 1)
  for (let k = 0; k < n - 2; k++) {
    if (!ready) {
      const beta = reflector(a, n, k, v);
      if (beta == 0) continue;
      firstPass(a, n, k, v, w, u, 0, n);
      finishFirstPass(n, k, v, w, u, beta);
    }
    // step k + 1's reflector, from column k+1 as this step's update leaves it (rows k+2…)
    let next = false;
    if (k + 1 < n - 2) {
      const wk1 = ld(w, k + 1), vk1 = ld(v, k + 1);
      for (let i = k + 2; i < n; i++) st(v1, i, ld(a, i * n + k + 1) - (ld(v, i) * wk1 + ld(u, i) * vk1));
      const beta1 = reflectorOf(v1, n, k + 1);
      if (beta1 != 0) {
        next = true;
        memory.fill(at(w1, k + 1), 0, <usize>(n - k - 1) << 3);
        updateRows(a, n, k, v, w, u, true, v1, w1, u1);
        finishFirstPass(n, k + 1, v1, w1, u1, beta1);
      }
    }
    if (!next) updateRows(a, n, k, v, w, u, false, v1, w1, u1);
    ready = next;
    const tv = v, tw = w, tu = u;
    v = v1;
    w = w1;
    u = u1;
    v1 = tv;
    w1 = tw;
    u1 = tu;
  }
}

/** Step k's Householder vector from column k (rows k+1…) into v (zero up to k); returns β = 2/vᵀv, 0 for no step. */
function reflector(a: usize, n: i32, k: i32, v: usize): f64 {
  for (let i = k + 1; i < n; i++) st(v, i, ld(a, i * n + k));
  return reflectorOf(v, n, k);
}

/** The Householder vector of the column held in v (rows k+1…), in place; returns β, or 0 when the column is zero. */
function reflectorOf(v: usize, n: i32, k: i32): f64 {
  let norm: f64 = 0;
  for (let i = k + 1; i < n; i++) {
    const x = ld(v, i);
    norm += x * x;
  }
  norm = Math.sqrt(norm);
  if (norm == 0) return 0;
  const alpha = ld(v, k + 1) > 0 ? -norm : norm;
  let vv: f64 = 0;
  memory.fill(v, 0, <usize>(k + 1) << 3); // v is zero up to k (the buffer held another step's vector)
  for (let i = k + 1; i < n; i++) {
    const vi = ld(v, i) - (i == k + 1 ? alpha : 0);
    st(v, i, vi);
    vv += vi * vi;
  }
  if (vv == 0) return 0;
  return 2 / vv;
}

/** Step k's first pass over rows from … to−1: u_i = A[i, k+1…]·v and, below row k, w += v_i A[i, k…]. w[k…] starts at 0. */
function firstPass(a: usize, n: i32, k: i32, v: usize, w: usize, u: usize, from: i32, to: i32): void {
  if (from == 0) memory.fill(at(w, k), 0, <usize>(n - k) << 3);
  for (let i = from; i < to; i++) firstPassRow(a, n, k, i, v, w, u);
}

/** Row i of step k's first pass. */
@inline function firstPassRow(a: usize, n: i32, k: i32, i: i32, v: usize, w: usize, u: usize): void {
  const row = at(a, i * n);
  if (i <= k) {
    // rows above k+1 have v_i = 0: they only give u_i
    st(u, i, dot(at(row, k + 1), at(v, k + 1), n - k - 1));
  } else {
    const vi = ld(v, i);
    st(w, k, ld(w, k) + vi * ld(row, k));
    // u_i = A[i, k+1…]·v and w[k+1…] += v_i A[i, k+1…], in one read of the row
    st(u, i, dotAndAxpy(at(row, k + 1), at(v, k + 1), at(w, k + 1), vi, n - k - 1));
  }
}

/** After step k's first pass: w ← β w, and u ← z = β(u − (wᵀv) v). */
function finishFirstPass(n: i32, k: i32, v: usize, w: usize, u: usize, beta: f64): void {
  let wv: f64 = 0;
  for (let j = k; j < n; j++) {
    const wj = ld(w, j) * beta;
    st(w, j, wj);
    wv += wj * ld(v, j);
  }
  for (let i = 0; i < n; i++) st(u, i, beta * (ld(u, i) - wv * ld(v, i)));
}

/**
 * Step k's second pass, A −= v wᵀ + z vᵀ (z in u), row by row; with `fused`, each row then gives its share of step
 * k+1's first pass (v1, w1, u1) while it is in cache.
 */
function updateRows(
  a: usize, n: i32, k: i32, v: usize, w: usize, u: usize, fused: bool, v1: usize, w1: usize, u1: usize,
): void {
  const wkScaled = ld(w, k);
  for (let i = 0; i < n; i++) {
    const row = at(a, i * n);
    if (i <= k) {
      axpy(at(row, k + 1), -ld(u, i), at(v, k + 1), n - k - 1);
    } else {
      const zi = ld(u, i), vi = ld(v, i);
      // column k below k+1 becomes zero (the reflection's purpose); row k+1 keeps its subdiagonal entry
      st(row, k, i == k + 1 ? ld(row, k) - vi * wkScaled : 0);
      const z2 = f64x2.splat(zi), v2 = f64x2.splat(vi);
      let j = k + 1;
      for (; j + 1 < n; j += 2) {
        const p = at(row, j);
        const t = f64x2.add(f64x2.mul(v2, v128.load(at(w, j))), f64x2.mul(z2, v128.load(at(v, j))));
        v128.store(p, f64x2.sub(v128.load(p), t));
      }
      if (j < n) st(row, j, ld(row, j) - (vi * ld(w, j) + zi * ld(v, j)));
    }
    if (fused) firstPassRow(a, n, k + 1, i, v1, w1, u1);
  }
}

/** x·y over n float64s. */
function dot(x: usize, y: usize, n: i32): f64 {
  let acc = f64x2.splat(0);
  let j = 0;
  for (; j + 1 < n; j += 2) acc = f64x2.add(acc, f64x2.mul(v128.load(at(x, j)), v128.load(at(y, j))));
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (j < n) s += ld(x, j) * ld(y, j);
  return s;
}

/** x·y over n float64s while w += α x: one read of x for both. */
@inline function dotAndAxpy(x: usize, y: usize, w: usize, alpha: f64, n: i32): f64 {
  const a2 = f64x2.splat(alpha);
  let acc = f64x2.splat(0);
  let j = 0;
  for (; j + 1 < n; j += 2) {
    const xj = v128.load(at(x, j));
    acc = f64x2.add(acc, f64x2.mul(xj, v128.load(at(y, j))));
    v128.store(at(w, j), f64x2.add(v128.load(at(w, j)), f64x2.mul(a2, xj)));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (j < n) {
    const xj = ld(x, j);
    s += xj * ld(y, j);
    st(w, j, ld(w, j) + alpha * xj);
  }
  return s;
}

/** y += α x over n float64s. */
function axpy(y: usize, alpha: f64, x: usize, n: i32): void {
  const a2 = f64x2.splat(alpha);
  let j = 0;
  for (; j + 1 < n; j += 2) v128.store(at(y, j), f64x2.add(v128.load(at(y, j)), f64x2.mul(a2, v128.load(at(x, j)))));
  if (j < n) st(y, j, ld(y, j) + alpha * ld(x, j));
}

/** Reflections per chunk of a QR sweep (see spectralRadius); the caller's work area holds 14 float64s for each. */
export const SPECTRAL_CHUNK: i32 = 16;
const CHUNK = SPECTRAL_CHUNK;
/** float64s per reflection in the work area: v0, v1, v2, β, βv0, βv1, βv2, each as a lane pair. */
const REFLECTOR = 14;

/**
 * ρ = max |λ| of the n×n matrix at a (overwritten), from Hessenberg reduction and Francis double-shift QR on the
 * active block only (eigenvalues, no Schur vectors). `work` holds 6n + 14·SPECTRAL_CHUNK float64s. Returns −1 if QR
 * does not converge.
 */
export function spectralRadius(a: usize, n: i32, work: usize): f64 {
  hessenberg(a, n, work);
  const reflectors = at(work, 6 * n); // a chunk's reflections, REFLECTOR float64s each
  const h = a;
  const eps: f64 = 2.220446049250313e-16;
  let norm: f64 = 0;
  for (let i = 0; i < n * n; i++) norm += ld(h, i) * ld(h, i);
  norm = Math.sqrt(norm);
  if (norm == 0) norm = 1;
  let rho: f64 = 0;
  let hi = n - 1;
  let iterations = 0;
  while (hi >= 0) {
    // l: start of the unreduced block that ends at hi (a negligible subdiagonal entry splits the matrix)
    let l = hi;
    for (; l > 0; l--) {
      let s = Math.abs(ld(h, (l - 1) * n + l - 1)) + Math.abs(ld(h, l * n + l));
      if (s == 0) s = norm;
      if (Math.abs(ld(h, l * n + l - 1)) <= eps * s) {
        st(h, l * n + l - 1, 0);
        break;
      }
    }
    if (l == hi) {
      rho = Math.max(rho, Math.abs(ld(h, hi * n + hi)));
      hi--;
      iterations = 0;
      continue;
    }
    const a11 = ld(h, (hi - 1) * n + hi - 1), a12 = ld(h, (hi - 1) * n + hi);
    const a21 = ld(h, hi * n + hi - 1), a22 = ld(h, hi * n + hi);
    if (l == hi - 1) {
      // a 2×2 block: its eigenvalues directly
      const mid = (a11 + a22) / 2, p = (a11 - a22) / 2, q = p * p + a12 * a21;
      if (q >= 0) {
        const r = Math.sqrt(q);
        rho = Math.max(rho, Math.max(Math.abs(mid + r), Math.abs(mid - r)));
      } else {
        rho = Math.max(rho, Math.hypot(mid, Math.sqrt(-q)));
      }
      hi -= 2;
      iterations = 0;
      continue;
    }
    if (++iterations > 100 * n) return -1;
    // shifts λ1, λ2: the eigenvalues of the trailing 2×2 block. The first column of (H − λ1 I)(H − λ2 I) (three
    // non-zeros) comes from the sum s and product t of λ − h00, not from H² − (λ1 + λ2)H + λ1λ2 I, whose terms cancel
    // to round-off when the eigenvalues cluster (a matrix near the identity) so that the iteration never converges
    const h00 = ld(h, l * n + l), h01 = ld(h, l * n + l + 1), h10 = ld(h, (l + 1) * n + l), h11 = ld(h, (l + 1) * n + l + 1);
    const p = a11 - h00, q = a22 - h00;
    let s = p + q, t = p * q - a12 * a21;
    if (iterations % 11 == 10) {
      // an exceptional shift breaks the rare cycles of the standard one: a22 + (0.75 ± 0.66i)·e (EISPACK's hqr)
      const e = Math.abs(a21) + Math.abs(ld(h, (hi - 1) * n + hi - 2));
      const c = q + 0.75 * e;
      s = 2 * c;
      t = c * c + 0.4375 * e * e;
    }
    let x = t + h01 * h10;
    let y = h10 * (h11 - h00 - s);
    let z = h10 * ld(h, (l + 2) * n + l + 1);
    // Chase the bulge down the block with 3-element reflections, then one 2-element reflection. The 3-element ones
    // go in chunks of up to CHUNK: a reflection's updates inside the chunk's window are made at once (the next
    // reflection is built from them), those outside it (the columns right of the window for the row updates, the
    // rows above it for the column updates) wait and are made for the whole chunk in one pass, with each entry
    // loaded and stored once instead of once per reflection. Every entry sees the same operations in the same order
    // as with one reflection at a time, so the result is the same to the bit.
    for (let k0 = l; k0 <= hi - 2; k0 += CHUNK) {
      const kEnd = min(k0 + CHUNK - 1, hi - 2);
      const far = kEnd + 3; // columns ≥ far: no column update of the chunk touches them, no reflection reads them
      for (let k = k0; k <= kEnd; k++) {
        if (k > l) {
          x = ld(h, k * n + k - 1);
          y = ld(h, (k + 1) * n + k - 1);
          z = ld(h, (k + 2) * n + k - 1);
        }
        const c = k - k0;
        const scale = Math.abs(x) + Math.abs(y) + Math.abs(z);
        let v0: f64 = 0, v1: f64 = 0, v2: f64 = 0, beta: f64 = 0;
        if (scale != 0) {
          const xs = x / scale, ys = y / scale, zs = z / scale;
          const alpha = (x >= 0 ? -scale : scale) * Math.sqrt(xs * xs + ys * ys + zs * zs);
          v0 = x - alpha;
          v1 = y;
          v2 = z;
          const vv = v0 * v0 + v1 * v1 + v2 * v2;
          if (vv != 0) beta = 2 / vv;
        }
        // for the chunk's passes: v and β as lane pairs, and βv (a skipped reflection is all zeros, the identity there:
        // p = 0 leaves every entry as it is)
        const rc = at(reflectors, c * REFLECTOR);
        v128.store(rc, f64x2.splat(v0));
        v128.store(rc, f64x2.splat(v1), 16);
        v128.store(rc, f64x2.splat(v2), 32);
        v128.store(rc, f64x2.splat(beta), 48);
        v128.store(rc, f64x2.splat(beta * v0), 64);
        v128.store(rc, f64x2.splat(beta * v1), 80);
        v128.store(rc, f64x2.splat(beta * v2), 96);
        if (beta == 0) continue;
        const r0 = at(h, k * n), r1 = at(h, (k + 1) * n), r2 = at(h, (k + 2) * n);
        const j0 = k > l ? k - 1 : l;
        const jEnd = min(far - 1, hi);
        // rows k, k+1, k+2 ← (I − β v vᵀ) rows, over the window's columns, two columns at a time
        const b2 = f64x2.splat(beta), V0 = f64x2.splat(v0), V1 = f64x2.splat(v1), V2 = f64x2.splat(v2);
        let j = j0;
        for (; j + 1 <= jEnd; j += 2) {
          const x0 = v128.load(at(r0, j)), x1 = v128.load(at(r1, j)), x2 = v128.load(at(r2, j));
          const p = f64x2.mul(b2, f64x2.add(f64x2.add(f64x2.mul(V0, x0), f64x2.mul(V1, x1)), f64x2.mul(V2, x2)));
          v128.store(at(r0, j), f64x2.sub(x0, f64x2.mul(p, V0)));
          v128.store(at(r1, j), f64x2.sub(x1, f64x2.mul(p, V1)));
          v128.store(at(r2, j), f64x2.sub(x2, f64x2.mul(p, V2)));
        }
        if (j <= jEnd) {
          const p = beta * (v0 * ld(r0, j) + v1 * ld(r1, j) + v2 * ld(r2, j));
          st(r0, j, ld(r0, j) - p * v0);
          st(r1, j, ld(r1, j) - p * v1);
          st(r2, j, ld(r2, j) - p * v2);
        }
        // columns k, k+1, k+2 ← columns (I − β v vᵀ), over the window's rows the bulge reaches (k, k+1 as one pair)
        const V01 = f64x2.replace_lane(V0, 1, v1);
        const bV01 = f64x2.mul(b2, V01);
        const bv2 = beta * v2;
        const last = min(k + 3, hi);
        for (let i = k0; i <= last; i++) {
          const cp = at(h, i * n + k);
          const c01 = v128.load(cp);
          const c2 = ld(cp, 2);
          const prod = f64x2.mul(c01, bV01);
          const p = f64x2.extract_lane(prod, 0) + f64x2.extract_lane(prod, 1) + c2 * bv2;
          v128.store(cp, f64x2.sub(c01, f64x2.mul(f64x2.splat(p), V01)));
          st(cp, 2, c2 - p * v2);
        }
        if (k > l) {
          // the reflection zeroed the bulge below the subdiagonal of column k−1
          st(r1, k - 1, 0);
          st(r2, k - 1, 0);
        }
      }
      const count = kEnd - k0 + 1;
      // the chunk's row updates right of the window: rows k0 … kEnd+2, a rolling window of three rows in registers
      // (each reflection moves it down one row: one load and one store). A column's reflections depend on each other,
      // so four columns go together (two lane pairs) to keep independent work in flight.
      let j = far;
      for (; j + 3 <= hi; j += 4) {
        let x0 = v128.load(at(h, k0 * n + j)), x1 = v128.load(at(h, (k0 + 1) * n + j));
        let y0 = v128.load(at(h, k0 * n + j + 2)), y1 = v128.load(at(h, (k0 + 1) * n + j + 2));
        for (let c = 0; c < count; c++) {
          const rc = at(reflectors, c * REFLECTOR);
          const V0 = v128.load(rc), V1 = v128.load(rc, 16), V2 = v128.load(rc, 32), b2 = v128.load(rc, 48);
          const row2 = at(h, (k0 + c + 2) * n + j), row0 = at(h, (k0 + c) * n + j);
          const x2 = v128.load(row2), y2 = v128.load(row2, 16);
          const p = f64x2.mul(b2, f64x2.add(f64x2.add(f64x2.mul(V0, x0), f64x2.mul(V1, x1)), f64x2.mul(V2, x2)));
          const q = f64x2.mul(b2, f64x2.add(f64x2.add(f64x2.mul(V0, y0), f64x2.mul(V1, y1)), f64x2.mul(V2, y2)));
          v128.store(row0, f64x2.sub(x0, f64x2.mul(p, V0)));
          v128.store(row0, f64x2.sub(y0, f64x2.mul(q, V0)), 16);
          x0 = f64x2.sub(x1, f64x2.mul(p, V1));
          x1 = f64x2.sub(x2, f64x2.mul(p, V2));
          y0 = f64x2.sub(y1, f64x2.mul(q, V1));
          y1 = f64x2.sub(y2, f64x2.mul(q, V2));
        }
        v128.store(at(h, (kEnd + 1) * n + j), x0);
        v128.store(at(h, (kEnd + 2) * n + j), x1);
        v128.store(at(h, (kEnd + 1) * n + j + 2), y0);
        v128.store(at(h, (kEnd + 2) * n + j + 2), y1);
      }
      for (; j + 1 <= hi; j += 2) {
        let x0 = v128.load(at(h, k0 * n + j)), x1 = v128.load(at(h, (k0 + 1) * n + j));
        for (let c = 0; c < count; c++) {
          const rc = at(reflectors, c * REFLECTOR);
          const V0 = v128.load(rc), V1 = v128.load(rc, 16), V2 = v128.load(rc, 32), b2 = v128.load(rc, 48);
          const x2 = v128.load(at(h, (k0 + c + 2) * n + j));
          const p = f64x2.mul(b2, f64x2.add(f64x2.add(f64x2.mul(V0, x0), f64x2.mul(V1, x1)), f64x2.mul(V2, x2)));
          v128.store(at(h, (k0 + c) * n + j), f64x2.sub(x0, f64x2.mul(p, V0)));
          x0 = f64x2.sub(x1, f64x2.mul(p, V1));
          x1 = f64x2.sub(x2, f64x2.mul(p, V2));
        }
        v128.store(at(h, (kEnd + 1) * n + j), x0);
        v128.store(at(h, (kEnd + 2) * n + j), x1);
      }
      if (j <= hi) {
        let x0 = ld(h, k0 * n + j), x1 = ld(h, (k0 + 1) * n + j);
        for (let c = 0; c < count; c++) {
          const rc = at(reflectors, c * REFLECTOR);
          const v0 = ld(rc, 0), v1 = ld(rc, 2), v2 = ld(rc, 4);
          const x2 = ld(h, (k0 + c + 2) * n + j);
          const p = ld(rc, 6) * (v0 * x0 + v1 * x1 + v2 * x2);
          st(h, (k0 + c) * n + j, x0 - p * v0);
          x0 = x1 - p * v1;
          x1 = x2 - p * v2;
        }
        st(h, (kEnd + 1) * n + j, x0);
        st(h, (kEnd + 2) * n + j, x1);
      }
      // the chunk's column updates above the window: rows l … k0−1, columns k0 … kEnd+2, a rolling window of three
      // columns (each reflection moves it right one column), two rows as one lane pair, two pairs together
      let i = l;
      for (; i + 3 < k0; i += 4) {
        const ra = at(h, i * n), rb = at(h, (i + 1) * n), rc2 = at(h, (i + 2) * n), rd = at(h, (i + 3) * n);
        let c0 = f64x2.replace_lane(f64x2.splat(ld(ra, k0)), 1, ld(rb, k0));
        let c1 = f64x2.replace_lane(f64x2.splat(ld(ra, k0 + 1)), 1, ld(rb, k0 + 1));
        let d0 = f64x2.replace_lane(f64x2.splat(ld(rc2, k0)), 1, ld(rd, k0));
        let d1 = f64x2.replace_lane(f64x2.splat(ld(rc2, k0 + 1)), 1, ld(rd, k0 + 1));
        for (let c = 0; c < count; c++) {
          const rc = at(reflectors, c * REFLECTOR);
          const V0 = v128.load(rc), V1 = v128.load(rc, 16), V2 = v128.load(rc, 32);
          const bV0 = v128.load(rc, 64), bV1 = v128.load(rc, 80), bV2 = v128.load(rc, 96);
          const col = k0 + c + 2;
          const c2 = f64x2.replace_lane(f64x2.splat(ld(ra, col)), 1, ld(rb, col));
          const d2 = f64x2.replace_lane(f64x2.splat(ld(rc2, col)), 1, ld(rd, col));
          const p = f64x2.add(f64x2.add(f64x2.mul(c0, bV0), f64x2.mul(c1, bV1)), f64x2.mul(c2, bV2));
          const q = f64x2.add(f64x2.add(f64x2.mul(d0, bV0), f64x2.mul(d1, bV1)), f64x2.mul(d2, bV2));
          const e0 = f64x2.sub(c0, f64x2.mul(p, V0)), g0 = f64x2.sub(d0, f64x2.mul(q, V0));
          st(ra, k0 + c, f64x2.extract_lane(e0, 0));
          st(rb, k0 + c, f64x2.extract_lane(e0, 1));
          st(rc2, k0 + c, f64x2.extract_lane(g0, 0));
          st(rd, k0 + c, f64x2.extract_lane(g0, 1));
          c0 = f64x2.sub(c1, f64x2.mul(p, V1));
          c1 = f64x2.sub(c2, f64x2.mul(p, V2));
          d0 = f64x2.sub(d1, f64x2.mul(q, V1));
          d1 = f64x2.sub(d2, f64x2.mul(q, V2));
        }
        st(ra, kEnd + 1, f64x2.extract_lane(c0, 0));
        st(rb, kEnd + 1, f64x2.extract_lane(c0, 1));
        st(ra, kEnd + 2, f64x2.extract_lane(c1, 0));
        st(rb, kEnd + 2, f64x2.extract_lane(c1, 1));
        st(rc2, kEnd + 1, f64x2.extract_lane(d0, 0));
        st(rd, kEnd + 1, f64x2.extract_lane(d0, 1));
        st(rc2, kEnd + 2, f64x2.extract_lane(d1, 0));
        st(rd, kEnd + 2, f64x2.extract_lane(d1, 1));
      }
      for (; i < k0; i++) {
        const row = at(h, i * n);
        let c0 = ld(row, k0), c1 = ld(row, k0 + 1);
        for (let c = 0; c < count; c++) {
          const rc = at(reflectors, c * REFLECTOR);
          const v0 = ld(rc, 0), v1 = ld(rc, 2), v2 = ld(rc, 4);
          const c2 = ld(row, k0 + c + 2);
          const p = c0 * ld(rc, 8) + c1 * ld(rc, 10) + c2 * ld(rc, 12);
          st(row, k0 + c, c0 - p * v0);
          c0 = c1 - p * v1;
          c1 = c2 - p * v2;
        }
        st(row, kEnd + 1, c0);
        st(row, kEnd + 2, c1);
      }
    }
    // the last reflection, on rows and columns hi−1, hi (2 elements), made at once over the whole block
    {
      const k = hi - 1;
      if (k > l) {
        x = ld(h, k * n + k - 1);
        y = ld(h, (k + 1) * n + k - 1);
      }
      z = 0;
      const scale = Math.abs(x) + Math.abs(y);
      if (scale != 0) {
        const xs = x / scale, ys = y / scale, zs: f64 = 0;
        const alpha = (x >= 0 ? -scale : scale) * Math.sqrt(xs * xs + ys * ys + zs * zs);
        const v0 = x - alpha, v1 = y;
        const vv = v0 * v0 + v1 * v1 + 0 * 0;
        if (vv != 0) {
          const beta = 2 / vv;
          const r0 = at(h, k * n), r1 = at(h, (k + 1) * n);
          const j0 = k > l ? k - 1 : l;
          for (let j = j0; j <= hi; j++) {
            const p = beta * (v0 * ld(r0, j) + v1 * ld(r1, j));
            st(r0, j, ld(r0, j) - p * v0);
            st(r1, j, ld(r1, j) - p * v1);
          }
          for (let i = l; i <= hi; i++) {
            const c = at(h, i * n + k);
            const c0 = ld(c, 0), c1 = ld(c, 1);
            const p = beta * (c0 * v0 + c1 * v1);
            st(c, 0, c0 - p * v0);
            st(c, 1, c1 - p * v1);
          }
          if (k > l) st(r1, k - 1, 0);
        }
      }
    }
  }
  return rho;
}

/**
 * The top eigenvalue of the symmetric n×n matrix at s (overwritten; σ_max² when s = AᵀA): Householder steps that use
 * the symmetry bring it to tridiagonal form, then bisection on the Sturm count finds the top eigenvalue to the
 * resolution of float64. `work` holds 4n float64s.
 */
export function symmetricTopEigenvalue(s: usize, n: i32, work: usize): f64 {
  const d = work, e = at(work, n), v = at(work, 2 * n), w = at(work, 3 * n);
  tridiagonalize(s, n, d, e, v, w);
  return largestTridiagonalEigenvalue(d, e, n);
}

/**
 * Householder tridiagonalization of the symmetric n×n matrix at s (overwritten): diagonal d, off-diagonal e.
 * Step k is the two-sided update S ← S − v wᵀ − w vᵀ with w = p − (β/2)(pᵀv) v and p = β S v. Only the upper
 * triangle is read and written (half the memory traffic of the full update): column k below the diagonal is row k
 * right of it, and p = S v takes one pass over the rows, each giving its dot product and its share of the rest.
 */
function tridiagonalize(s: usize, n: i32, d: usize, e: usize, v: usize, w: usize): void {
  for (let k = 0; k < n - 2; k++) {
    const rowK = at(s, k * n);
    st(d, k, ld(rowK, k));
    const len = n - k - 1;
    const x = at(rowK, k + 1);
    const norm = Math.sqrt(dot(x, x, len));
    const x0 = ld(x, 0);
    const alpha = x0 > 0 ? -norm : norm;
    st(e, k, alpha);
    let vv: f64 = 0;
    for (let i = 0; i < len; i++) {
      const vi = ld(x, i) - (i == 0 ? alpha : 0);
      st(v, k + 1 + i, vi);
      vv += vi * vi;
    }
    if (vv == 0) {
      st(e, k, x0); // row k is already zero right of k+1
      continue;
    }
    const beta = 2 / vv;
    memory.fill(at(w, k + 1), 0, <usize>len << 3);
    for (let i = k + 1; i < n; i++) {
      const row = at(s, i * n), vi = ld(v, i);
      const sum = dotAndAxpy(at(row, i + 1), at(v, i + 1), at(w, i + 1), vi, n - i - 1) + ld(row, i) * vi;
      st(w, i, ld(w, i) + sum);
    }
    let pv: f64 = 0;
    for (let i = k + 1; i < n; i++) {
      const p = beta * ld(w, i);
      st(w, i, p);
      pv += p * ld(v, i);
    }
    const half = (beta / 2) * pv;
    for (let i = k + 1; i < n; i++) st(w, i, ld(w, i) - half * ld(v, i));
    for (let i = k + 1; i < n; i++) {
      const row = at(s, i * n + i), from = n - i;
      axpy(row, -ld(v, i), at(w, i), from);
      axpy(row, -ld(w, i), at(v, i), from);
    }
  }
  if (n >= 2) {
    st(d, n - 2, ld(s, (n - 2) * n + n - 2));
    st(e, n - 2, ld(s, (n - 2) * n + n - 1));
  }
  if (n >= 1) st(d, n - 1, ld(s, (n - 1) * n + n - 1));
}

/** Largest eigenvalue of the symmetric tridiagonal (d, e) by bisection on the Sturm count, from Gershgorin's bounds. */
function largestTridiagonalEigenvalue(d: usize, e: usize, n: i32): f64 {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const radius = (i > 0 ? Math.abs(ld(e, i - 1)) : 0) + (i < n - 1 ? Math.abs(ld(e, i)) : 0);
    lo = Math.min(lo, ld(d, i) - radius);
    hi = Math.max(hi, ld(d, i) + radius);
  }
  // invariant: the top eigenvalue lies in [lo, hi]; stop at the resolution of float64
  for (let it = 0; it < 2100; it++) {
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;
    if (countBelow(d, e, n, mid) == n) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Eigenvalues of the tridiagonal (d, e) below x: the negative pivots of the LDLᵀ factorization of T − xI. */
function countBelow(d: usize, e: usize, n: i32, x: f64): i32 {
  let count = 0;
  let q: f64 = 1;
  for (let i = 0; i < n; i++) {
    const ei = i > 0 ? ld(e, i - 1) : 0;
    q = ld(d, i) - x - (i > 0 ? (ei * ei) / q : 0);
    if (q == 0) q = -1e-300;
    if (q < 0) count++;
  }
  return count;
}
