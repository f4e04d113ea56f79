// The scatter-add of a weight gradient for one-hot inputs (src/engine/oneHot.ts says why it equals the dense product):
// rows of float64 pre-activation gradients added into the sums of the class each row's input is, on SIMD lanes across
// the row, so each sum still takes its rows one after another.

import { Region } from './region';

const region = new Region(1 << 16);

/** A region of at least `bytes` bytes for the scatter's operands, apart from the other kernels' regions. */
export function oneHotReserve(bytes: i32): usize {
  return region.reserve(<usize>bytes);
}

/**
 * For r < rows (row r: the n float64s at a + r·n·8, its class the i32 at ids + 4r): sums[class·n + j] += row[j],
 * float64 sums, or with f32 float32 sums of the rows rounded to float32 (every partial sum rounded, as f32.add does);
 * and when col is not 0, the float64 col[j] += row[j].
 */
export function oneHotScatter(a: usize, rows: i32, n: i32, ids: usize, sums: usize, col: usize, f32: bool): void {
  const n4 = n & ~3;
  for (let r = 0; r < rows; r++) {
    const c = <usize>load<i32>(ids + (<usize>r << 2));
    const pa = a + <usize>r * <usize>n * 8;
    if (f32) {
      const ps = sums + c * <usize>n * 4;
      for (let j = 0; j < n4; j += 4) {
        const lo = v128.load(pa + (<usize>j << 3)),
          hi = v128.load(pa + (<usize>j << 3), 16);
        const v = i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
        const at = ps + (<usize>j << 2);
        v128.store(at, f32x4.add(v128.load(at), v));
        if (col) {
          const pc = col + (<usize>j << 3);
          v128.store(pc, f64x2.add(v128.load(pc), lo));
          v128.store(pc, f64x2.add(v128.load(pc, 16), hi), 16);
        }
      }
      for (let j = n4; j < n; j++) {
        const x = load<f64>(pa + (<usize>j << 3));
        const at = ps + (<usize>j << 2);
        store<f32>(at, load<f32>(at) + <f32>x);
        if (col) store<f64>(col + (<usize>j << 3), load<f64>(col + (<usize>j << 3)) + x);
      }
    } else {
      const ps = sums + c * <usize>n * 8;
      for (let j = 0; j < n4; j += 4) {
        const lo = v128.load(pa + (<usize>j << 3)),
          hi = v128.load(pa + (<usize>j << 3), 16);
        const at = ps + (<usize>j << 3);
        v128.store(at, f64x2.add(v128.load(at), lo));
        v128.store(at, f64x2.add(v128.load(at, 16), hi), 16);
        if (col) {
          const pc = col + (<usize>j << 3);
          v128.store(pc, f64x2.add(v128.load(pc), lo));
          v128.store(pc, f64x2.add(v128.load(pc, 16), hi), 16);
        }
      }
      for (let j = n4; j < n; j++) {
        const x = load<f64>(pa + (<usize>j << 3));
        const at = ps + (<usize>j << 3);
        store<f64>(at, load<f64>(at) + x);
        if (col) store<f64>(col + (<usize>j << 3), load<f64>(col + (<usize>j << 3)) + x);
      }
    }
  }
}

/**
 * c[j·D + k] += sums[k·n + j] for k < D, j < n: one slice's sums (float64, or float32 widened with f32) added to the
 * float64 n×D gradient at c, each entry one float64 add, as oneHot.ts's JavaScript does it.
 */
export function oneHotAddSums(sums: usize, c: usize, n: i32, D: i32, f32: bool): void {
  for (let k = 0; k < D; k++) {
    for (let j = 0; j < n; j++) {
      const at = c + ((<usize>j * <usize>D + <usize>k) << 3);
      const i = <usize>k * <usize>n + <usize>j;
      const v: f64 = f32 ? <f64>load<f32>(sums + (i << 2)) : load<f64>(sums + (i << 3));
      store<f64>(at, load<f64>(at) + v);
    }
  }
}
