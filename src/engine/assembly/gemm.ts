// The matrix products of the engine: C (+)= A·Bᵀ with B packed in panels, in float64 (f64x2) or float32 (f32x4).
// All pointers and strides are byte addresses into this module's memory; src/engine/linalg.ts stages the operands.
//
// Layouts:
// - A: element (i, k) at a + ⌊i/4⌋·aps + (i mod 4)·ars + k·acs: row-major (ars = K·size, acs = size, aps = 4·ars),
//   or packed in panels of four rows (ars = size, acs = 4·size, aps = 4·K·size) as the weight-gradient sums stage
//   their transposed A. From four rows up, rows go four at a time: the caller leaves room for up to three rows past
//   M, whose results land in rows of C it ignores; fewer than four rows are read row-major (a + i·ars + k·acs).
// - B: panels of PANEL columns (4 float64s or 8 float32s, two vectors): the PANEL values B[p·PANEL + q, k], q < PANEL,
//   are contiguous at b + p·pbs + k·bks. Packed panels (pbs = K·PANEL·size, bks = PANEL·size) suit a B used for
//   many products; a K×N row-major B (the weight-gradient sums) is read in place with pbs = PANEL·size and
//   bks = N·size. Columns past N are zeros or values whose results land in columns of C the caller ignores.
// - C: row-major float64 with row stride ldc bytes, rows and columns padded to the tiles. float32 products sum
//   in float32 lanes and are widened to float64 once, when added to or stored in C.
//
// Each kernel has one form per build: with relaxed SIMD (ASC_FEATURE_RELAXED_SIMD) the multiply-adds are
// relaxed_madd, fused where the hardware has FMA; without it they are a multiply then an add.

import { Region } from './region';

@inline function madd64(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(f64x2.mul(a, b), c);
}

@inline function madd32(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** C[at] = (accumulate ? C[at] : 0) + s, for one f64x2. */
@inline function put64(p: usize, s: v128, accumulate: bool): void {
  v128.store(p, accumulate ? f64x2.add(v128.load(p), s) : s);
}

/** The four float32 lanes of s widened and added to (or stored in) the four float64s at p. */
@inline function put32(p: usize, s: v128, accumulate: bool): void {
  const lo = f64x2.promote_low_f32x4(s);
  const hi = f64x2.promote_low_f32x4(i32x4.shuffle(s, s, 2, 3, 0, 1));
  if (accumulate) {
    v128.store(p, f64x2.add(v128.load(p), lo));
    v128.store(p, f64x2.add(v128.load(p, 16), hi), 16);
  } else {
    v128.store(p, lo);
    v128.store(p, hi, 16);
  }
}

/**
 * float64: C (+)= A·Bᵀ for rows 0 … M−1 (rounded up to a multiple of 4 when M ≥ 4) and panels 0 … panels−1
 * (4 columns each). Four rows at a time hold a 4×4 tile in eight f64x2 accumulators; fewer than four rows go
 * one at a time, one panel per pass, four k at a time into eight accumulators (so the adds do not wait on each
 * other) summed at the end.
 */
export function gemm64(M: i32, panels: i32, K: i32, a: usize, ars: usize, acs: usize, aps: usize, b: usize, pbs: usize, bks: usize, c: usize, ldc: usize, accumulate: bool): void {
  const panelBytes = pbs;
  if (M >= 4) {
    for (let i = 0; i < M; i += 4) {
      const a0 = a + <usize>(i >> 2) * aps, c0 = c + <usize>i * ldc;
      for (let p = 0; p < panels; p++) {
        let pa = a0, pb = b + <usize>p * panelBytes;
        let s00 = f64x2.splat(0), s01 = f64x2.splat(0), s10 = f64x2.splat(0), s11 = f64x2.splat(0);
        let s20 = f64x2.splat(0), s21 = f64x2.splat(0), s30 = f64x2.splat(0), s31 = f64x2.splat(0);
        for (let k = 0; k < K; k++) {
          const y0 = v128.load(pb), y1 = v128.load(pb, 16);
          let x = v128.load64_splat(pa);
          s00 = madd64(x, y0, s00); s01 = madd64(x, y1, s01);
          x = v128.load64_splat(pa + ars);
          s10 = madd64(x, y0, s10); s11 = madd64(x, y1, s11);
          x = v128.load64_splat(pa + 2 * ars);
          s20 = madd64(x, y0, s20); s21 = madd64(x, y1, s21);
          x = v128.load64_splat(pa + 3 * ars);
          s30 = madd64(x, y0, s30); s31 = madd64(x, y1, s31);
          pa += acs;
          pb += bks;
        }
        const cp = c0 + (<usize>p << 5);
        put64(cp, s00, accumulate); put64(cp + 16, s01, accumulate);
        put64(cp + ldc, s10, accumulate); put64(cp + ldc + 16, s11, accumulate);
        put64(cp + 2 * ldc, s20, accumulate); put64(cp + 2 * ldc + 16, s21, accumulate);
        put64(cp + 3 * ldc, s30, accumulate); put64(cp + 3 * ldc + 16, s31, accumulate);
      }
    }
    return;
  }
  for (let i = 0; i < M; i++) {
    const a0 = a + <usize>i * ars, c0 = c + <usize>i * ldc;
    for (let p = 0; p < panels; p++) {
      // One panel, four k per pass into four pairs of accumulators (independent adds, one contiguous run of B).
      let pa = a0, pb = b + <usize>p * panelBytes;
      let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
      let s4 = f64x2.splat(0), s5 = f64x2.splat(0), s6 = f64x2.splat(0), s7 = f64x2.splat(0);
      let k = 0;
      for (; k + 3 < K; k += 4) {
        let x = v128.load64_splat(pa);
        s0 = madd64(x, v128.load(pb), s0); s1 = madd64(x, v128.load(pb, 16), s1);
        x = v128.load64_splat(pa + acs);
        s2 = madd64(x, v128.load(pb + bks), s2); s3 = madd64(x, v128.load(pb + bks, 16), s3);
        x = v128.load64_splat(pa + 2 * acs);
        s4 = madd64(x, v128.load(pb + 2 * bks), s4); s5 = madd64(x, v128.load(pb + 2 * bks, 16), s5);
        x = v128.load64_splat(pa + 3 * acs);
        s6 = madd64(x, v128.load(pb + 3 * bks), s6); s7 = madd64(x, v128.load(pb + 3 * bks, 16), s7);
        pa += 4 * acs;
        pb += 4 * bks;
      }
      for (; k < K; k++) {
        const x = v128.load64_splat(pa);
        s0 = madd64(x, v128.load(pb), s0); s1 = madd64(x, v128.load(pb, 16), s1);
        pa += acs;
        pb += bks;
      }
      const cp = c0 + (<usize>p << 5);
      put64(cp, f64x2.add(f64x2.add(s0, s2), f64x2.add(s4, s6)), accumulate);
      put64(cp + 16, f64x2.add(f64x2.add(s1, s3), f64x2.add(s5, s7)), accumulate);
    }
  }
}

/**
 * float32: as gemm64 with float32 operands (A and B) and panels of 8 columns; sums in f32x4 lanes, then widened
 * into the float64 C.
 */
export function gemm32(M: i32, panels: i32, K: i32, a: usize, ars: usize, acs: usize, aps: usize, b: usize, pbs: usize, bks: usize, c: usize, ldc: usize, accumulate: bool): void {
  const panelBytes = pbs;
  if (M >= 4) {
    for (let i = 0; i < M; i += 4) {
      const a0 = a + <usize>(i >> 2) * aps, c0 = c + <usize>i * ldc;
      for (let p = 0; p < panels; p++) {
        let pa = a0, pb = b + <usize>p * panelBytes;
        let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
        let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
        for (let k = 0; k < K; k++) {
          const y0 = v128.load(pb), y1 = v128.load(pb, 16);
          let x = v128.load32_splat(pa);
          s00 = madd32(x, y0, s00); s01 = madd32(x, y1, s01);
          x = v128.load32_splat(pa + ars);
          s10 = madd32(x, y0, s10); s11 = madd32(x, y1, s11);
          x = v128.load32_splat(pa + 2 * ars);
          s20 = madd32(x, y0, s20); s21 = madd32(x, y1, s21);
          x = v128.load32_splat(pa + 3 * ars);
          s30 = madd32(x, y0, s30); s31 = madd32(x, y1, s31);
          pa += acs;
          pb += bks;
        }
        const cp = c0 + (<usize>p << 6); // 8 float64s per panel
        put32(cp, s00, accumulate); put32(cp + 32, s01, accumulate);
        put32(cp + ldc, s10, accumulate); put32(cp + ldc + 32, s11, accumulate);
        put32(cp + 2 * ldc, s20, accumulate); put32(cp + 2 * ldc + 32, s21, accumulate);
        put32(cp + 3 * ldc, s30, accumulate); put32(cp + 3 * ldc + 32, s31, accumulate);
      }
    }
    return;
  }
  for (let i = 0; i < M; i++) {
    const a0 = a + <usize>i * ars, c0 = c + <usize>i * ldc;
    for (let p = 0; p < panels; p++) {
      // One panel, four k per pass into four pairs of accumulators (independent adds, one contiguous run of B).
      let pa = a0, pb = b + <usize>p * panelBytes;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
      let k = 0;
      for (; k + 3 < K; k += 4) {
        let x = v128.load32_splat(pa);
        s0 = madd32(x, v128.load(pb), s0); s1 = madd32(x, v128.load(pb, 16), s1);
        x = v128.load32_splat(pa + acs);
        s2 = madd32(x, v128.load(pb + bks), s2); s3 = madd32(x, v128.load(pb + bks, 16), s3);
        x = v128.load32_splat(pa + 2 * acs);
        s4 = madd32(x, v128.load(pb + 2 * bks), s4); s5 = madd32(x, v128.load(pb + 2 * bks, 16), s5);
        x = v128.load32_splat(pa + 3 * acs);
        s6 = madd32(x, v128.load(pb + 3 * bks), s6); s7 = madd32(x, v128.load(pb + 3 * bks, 16), s7);
        pa += 4 * acs;
        pb += 4 * bks;
      }
      for (; k < K; k++) {
        const x = v128.load32_splat(pa);
        s0 = madd32(x, v128.load(pb), s0); s1 = madd32(x, v128.load(pb, 16), s1);
        pa += acs;
        pb += bks;
      }
      const cp = c0 + (<usize>p << 6);
      put32(cp, f32x4.add(f32x4.add(s0, s2), f32x4.add(s4, s6)), accumulate);
      put32(cp + 32, f32x4.add(f32x4.add(s1, s3), f32x4.add(s5, s7)), accumulate);
    }
  }
}

/**
 * The n float64s at src rounded to float32 at dst (round to nearest even, as a store into a Float32Array): how the
 * float32 products stage their operands after a plain copy of the float64s into this memory. dst ≤ src or
 * dst ≥ src + 8n (each pass reads its 32 bytes before it writes 16).
 */
export function demote32(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const lo = f32x4.demote_f64x2_zero(v128.load(src + (<usize>i << 3)));
    const hi = f32x4.demote_f64x2_zero(v128.load(src + (<usize>i << 3), 16));
    v128.store(dst + (<usize>i << 2), i32x4.shuffle(lo, hi, 0, 1, 4, 5));
  }
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), <f32>load<f64>(src + (<usize>i << 3)));
}

/**
 * Packs the rows × cols float64 matrix at src (row-major) into panels of `width` (4 or 8) columns at dst, as the
 * kernels read B (and A in panels of four): panel p holds, for each row r, the values of columns p·width … p·width +
 * width − 1, zeros past cols. Float64 (width 4) or, with f32, rounded to float32 as demote32 rounds. This is how the
 * weight-gradient sums stage their slices: a plain copy of the float64s into this memory, then this.
 */
export function packPanels(src: usize, rows: i32, cols: i32, width: i32, dst: usize, f32: bool): void {
  const es: usize = f32 ? 4 : 8;
  const rowBytes = <usize>cols << 3;
  const full = cols / width;
  for (let p = 0; p < full; p++) {
    let s = src + (<usize>(p * width) << 3), d = dst + <usize>p * <usize>rows * <usize>width * es;
    if (!f32) {
      // width 4: 32 bytes a row
      for (let r = 0; r < rows; r++) {
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
        s += rowBytes;
        d += 32;
      }
    } else if (width == 4) {
      for (let r = 0; r < rows; r++) {
        const lo = f32x4.demote_f64x2_zero(v128.load(s)), hi = f32x4.demote_f64x2_zero(v128.load(s, 16));
        v128.store(d, i32x4.shuffle(lo, hi, 0, 1, 4, 5));
        s += rowBytes;
        d += 16;
      }
    } else {
      for (let r = 0; r < rows; r++) {
        const v0 = f32x4.demote_f64x2_zero(v128.load(s)), v1 = f32x4.demote_f64x2_zero(v128.load(s, 16));
        const v2 = f32x4.demote_f64x2_zero(v128.load(s, 32)), v3 = f32x4.demote_f64x2_zero(v128.load(s, 48));
        v128.store(d, i32x4.shuffle(v0, v1, 0, 1, 4, 5));
        v128.store(d, i32x4.shuffle(v2, v3, 0, 1, 4, 5), 16);
        s += rowBytes;
        d += 32;
      }
    }
  }
  const left = cols - full * width;
  if (left == 0) return;
  // the last, partial panel
  let s = src + (<usize>(full * width) << 3), d = dst + <usize>full * <usize>rows * <usize>width * es;
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < width; q++) {
      const v = q < left ? load<f64>(s + (<usize>q << 3)) : 0.0;
      if (f32) store<f32>(d + (<usize>q << 2), <f32>v);
      else store<f64>(d + (<usize>q << 3), v);
    }
    s += rowBytes;
    d += <usize>width * es;
  }
}

/**
 * out[j] += Σ_r src[r·cols + j] for the rows × cols float64s at src, adding the rows in order (each column's sum is
 * the one a loop over r would form): the bias gradients, from the slices the weight-gradient sums stage.
 */
export function columnSums(src: usize, rows: i32, cols: i32, out: usize): void {
  const rowBytes = <usize>cols << 3;
  let r = 0;
  // four rows per pass over out (each sum still adds the rows in order)
  for (; r + 3 < rows; r += 4) {
    const s0 = src + <usize>r * rowBytes;
    let j = 0;
    for (; j + 1 < cols; j += 2) {
      const o = out + (<usize>j << 3), s = s0 + (<usize>j << 3);
      let acc = f64x2.add(v128.load(o), v128.load(s));
      acc = f64x2.add(acc, v128.load(s + rowBytes));
      acc = f64x2.add(acc, v128.load(s + 2 * rowBytes));
      v128.store(o, f64x2.add(acc, v128.load(s + 3 * rowBytes)));
    }
    if (j < cols) {
      const o = out + (<usize>j << 3), s = s0 + (<usize>j << 3);
      store<f64>(o, load<f64>(o) + load<f64>(s) + load<f64>(s + rowBytes) + load<f64>(s + 2 * rowBytes) + load<f64>(s + 3 * rowBytes));
    }
  }
  for (; r < rows; r++) {
    const s0 = src + <usize>r * rowBytes;
    for (let j = 0; j < cols; j++) {
      const o = out + (<usize>j << 3);
      store<f64>(o, load<f64>(o) + load<f64>(s0 + (<usize>j << 3)));
    }
  }
}

const region = new Region(1 << 16);

/**
 * The address of the products' own region of at least `bytes` bytes (apart from `reserve`'s, so a product never
 * overwrites what another kernel's caller staged there). It grows to powers of two, so it moves rarely.
 */
export function gemmReserve(bytes: i32): usize {
  return region.reserve(<usize>bytes);
}
