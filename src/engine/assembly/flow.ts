// The flow matrix's part of ∂L/∂W_hh at one distance d: ‖Σ_r a_r b_rᵀ‖_F over the rows r that reach d, where a_r
// is ∂ℓ_{t_r}/∂(recurrent pre-activation at k = t_r − d) and b_r = h_{k−1}.

@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 3);
}

/** x·y over n float64s, on pairs of lanes. */
function dot(x: usize, y: usize, n: i32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let j = 0;
  for (; j + 3 < n; j += 4) {
    s0 = f64x2.add(s0, f64x2.mul(v128.load(at(x, j)), v128.load(at(y, j))));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(at(x, j + 2)), v128.load(at(y, j + 2))));
  }
  const s = f64x2.add(s0, s1);
  let sum = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; j < n; j++) sum += load<f64>(at(x, j)) * load<f64>(at(y, j));
  return sum;
}

/**
 * ‖Σ_r a_r b_rᵀ‖²_F for the n rows of A (n×m, at a) and the rows of B (k wide, at b) that the n int32s at `rows`
 * name, by the Gram identity Σ_{r,s} (a_r·a_s)(b_r·b_s): n(n+1)/2 pairs of dot products of length m + k, instead of
 * the n·m·k of forming the sum (the rows are few and long). B is the hidden-state matrix, so its rows are not copied.
 */
export function outerSumNormSq(a: usize, b: usize, rows: usize, n: i32, m: i32, k: i32): f64 {
  let diagonal: f64 = 0, offDiagonal: f64 = 0;
  for (let r = 0; r < n; r++) {
    const ar = at(a, r * m), br = at(b, load<i32>(rows + (<usize>r << 2)) * k);
    diagonal += dot(ar, ar, m) * dot(br, br, k);
    for (let s = r + 1; s < n; s++) {
      const bs = at(b, load<i32>(rows + (<usize>s << 2)) * k);
      offDiagonal += dot(ar, at(a, s * m), m) * dot(br, bs, k);
    }
  }
  return diagonal + 2 * offDiagonal;
}
