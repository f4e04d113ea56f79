// Eigenvalues for the spectral diagnostics: ρ(W_hh) by Hessenberg reduction and Francis double-shift QR (real
// arithmetic, two shifts per sweep so complex pairs need no complex numbers), σ_max via the symmetric AᵀA.
// spectralRadius and sigmaMax run the same algorithms compiled to WebAssembly SIMD (assembly/spectral.ts; AᵀA is a
// product on the linalg kernel), about 3× faster; the JavaScript versions here are the fallback where WebAssembly is
// missing and the tests' reference.
import { allFinite, gemmTNAcc } from './linalg';
import { kernels, stage } from './wasm';

/** Reflections per chunk of the kernel's QR sweep (assembly/spectral.ts); its work area holds 14 float64s for each. */
const SPECTRAL_CHUNK = 16;

/** Eigenvalues of a real n×n matrix (complex pairs as re ± i·im). */
export function eigenvalues(a: Float64Array, n: number): { re: Float64Array; im: Float64Array } {
  const h = hessenberg(a, n);
  const re = new Float64Array(n),
    im = new Float64Array(n);
  const eps = 2.220446049250313e-16;
  let norm = 0;
  for (let i = 0; i < n * n; i++) norm += h[i] * h[i];
  norm = Math.sqrt(norm) || 1;
  const at = (i: number, j: number) => i * n + j;
  let hi = n - 1;
  let iterations = 0;
  while (hi >= 0) {
    // l: start of the unreduced block that ends at hi (a negligible subdiagonal entry splits the matrix).
    let l = hi;
    for (; l > 0; l--) {
      const s = Math.abs(h[at(l - 1, l - 1)]) + Math.abs(h[at(l, l)]) || norm;
      if (Math.abs(h[at(l, l - 1)]) <= eps * s) {
        h[at(l, l - 1)] = 0;
        break;
      }
    }
    if (l === hi) {
      re[hi] = h[at(hi, hi)];
      hi--;
      iterations = 0;
      continue;
    }
    const a11 = h[at(hi - 1, hi - 1)],
      a12 = h[at(hi - 1, hi)],
      a21 = h[at(hi, hi - 1)],
      a22 = h[at(hi, hi)];
    if (l === hi - 1) {
      // A 2×2 block: its eigenvalues directly.
      const mid = (a11 + a22) / 2,
        p = (a11 - a22) / 2,
        q = p * p + a12 * a21;
      if (q >= 0) {
        const r = Math.sqrt(q);
        re[hi - 1] = mid + r;
        re[hi] = mid - r;
      } else {
        re[hi - 1] = re[hi] = mid;
        im[hi - 1] = Math.sqrt(-q);
        im[hi] = -im[hi - 1];
      }
      hi -= 2;
      iterations = 0;
      continue;
    }
    if (++iterations > 100 * n) throw new Error('eigenvalues: QR iteration did not converge');
    // Shifts λ1, λ2: the eigenvalues of the trailing 2×2 block. The first column of (H − λ1 I)(H − λ2 I) has three
    // non-zeros; it is formed from the sum s and product t of λ − h00 (the block's eigenvalues after subtracting
    // h00), not from H² − (λ1 + λ2)H + λ1λ2 I, whose terms of size ‖H‖² cancel to round-off when the eigenvalues
    // cluster (a matrix near the identity, as an IRNN's W_hh stays) and the iteration then never converges.
    const h00 = h[at(l, l)],
      h01 = h[at(l, l + 1)],
      h10 = h[at(l + 1, l)],
      h11 = h[at(l + 1, l + 1)];
    const p = a11 - h00,
      q = a22 - h00;
    let s = p + q,
      t = p * q - a12 * a21;
    if (iterations % 11 === 10) {
      // An exceptional shift breaks the rare cycles of the standard one: a22 + (0.75 ± 0.66i)·w (EISPACK's hqr).
      const w = Math.abs(a21) + Math.abs(h[at(hi - 1, hi - 2)]);
      const c = q + 0.75 * w;
      s = 2 * c;
      t = c * c + 0.4375 * w * w;
    }
    let x = t + h01 * h10;
    let y = h10 * (h11 - h00 - s);
    let z = h10 * h[at(l + 2, l + 1)];
    // Chase the bulge down the block with 3-element Householder reflections, then one 2-element reflection.
    for (let k = l; k <= hi - 1; k++) {
      if (k > l) {
        x = h[k * n + k - 1];
        y = h[(k + 1) * n + k - 1];
        z = k + 2 <= hi ? h[(k + 2) * n + k - 1] : 0;
      }
      const three = k + 2 <= hi;
      const scale = Math.abs(x) + Math.abs(y) + Math.abs(z);
      if (scale === 0) continue;
      const xs = x / scale,
        ys = y / scale,
        zs = z / scale;
      const alpha = -(x >= 0 ? 1 : -1) * scale * Math.sqrt(xs * xs + ys * ys + zs * zs);
      const v0 = x - alpha,
        v1 = y,
        v2 = three ? z : 0;
      const vv = v0 * v0 + v1 * v1 + v2 * v2;
      if (vv === 0) continue;
      const beta = 2 / vv;
      const r0 = k * n,
        r1 = r0 + n,
        r2 = r1 + n;
      const last = Math.min(k + 3, hi);
      if (three) {
        // rows k, k+1, k+2 ← (I − β v vᵀ) rows, over the columns of the active block
        for (let j = k > l ? k - 1 : l; j <= hi; j++) {
          const p = beta * (v0 * h[r0 + j] + v1 * h[r1 + j] + v2 * h[r2 + j]);
          h[r0 + j] -= p * v0;
          h[r1 + j] -= p * v1;
          h[r2 + j] -= p * v2;
        }
        // columns k, k+1, k+2 ← columns (I − β v vᵀ), over the rows the bulge reaches
        for (let i = l, ik = l * n + k; i <= last; i++, ik += n) {
          const p = beta * (h[ik] * v0 + h[ik + 1] * v1 + h[ik + 2] * v2);
          h[ik] -= p * v0;
          h[ik + 1] -= p * v1;
          h[ik + 2] -= p * v2;
        }
      } else {
        for (let j = k > l ? k - 1 : l; j <= hi; j++) {
          const p = beta * (v0 * h[r0 + j] + v1 * h[r1 + j]);
          h[r0 + j] -= p * v0;
          h[r1 + j] -= p * v1;
        }
        for (let i = l, ik = l * n + k; i <= last; i++, ik += n) {
          const p = beta * (h[ik] * v0 + h[ik + 1] * v1);
          h[ik] -= p * v0;
          h[ik + 1] -= p * v1;
        }
      }
      if (k > l) {
        // The reflection zeroed the bulge below the subdiagonal of column k−1.
        h[r1 + k - 1] = 0;
        if (three) h[r2 + k - 1] = 0;
      }
    }
  }
  return { re, im };
}

/** Upper Hessenberg form by Householder reflections (similar to a, so same eigenvalues). Returns a new array. */
function hessenberg(src: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(src);
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  const u = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    let norm = 0;
    for (let i = k + 1; i < n; i++) norm += a[i * n + k] * a[i * n + k];
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const x0 = a[(k + 1) * n + k];
    const alpha = x0 > 0 ? -norm : norm;
    let vnorm = 0;
    for (let i = k + 1; i < n; i++) {
      v[i] = a[i * n + k] - (i === k + 1 ? alpha : 0);
      vnorm += v[i] * v[i];
    }
    if (vnorm === 0) continue;
    const scale = 2 / vnorm;
    v[k] = 0; // v is zero up to k (entries before k were cleared at earlier steps)
    // A ← P A P with P = I − scale·v vᵀ, in two passes over A instead of four. With u = A v and w = scale·Aᵀv
    // (both from the A before this step), P A P = A − v wᵀ − z vᵀ where z = scale·(u − (wᵀv) v).
    // Pass 1 reads each row once for both u_i and its share of w (rows ≤ k have v_i = 0: only u).
    // Rows below k are zero left of column k, and v is zero up to k, so only columns k… change.
    w.fill(0);
    for (let i = 0; i <= k; i++) {
      const row = i * n;
      let s = 0;
      for (let j = k + 1; j < n; j++) s += a[row + j] * v[j];
      u[i] = s;
    }
    let i = k + 1;
    for (; i + 1 < n; i += 2) {
      const row = i * n,
        row1 = row + n,
        vi = v[i],
        vi1 = v[i + 1];
      w[k] += vi * a[row + k] + vi1 * a[row1 + k];
      let s = 0,
        s1 = 0;
      for (let j = k + 1; j < n; j++) {
        const x = a[row + j],
          x1 = a[row1 + j],
          vj = v[j];
        s += x * vj;
        s1 += x1 * vj;
        w[j] += vi * x + vi1 * x1;
      }
      u[i] = s;
      u[i + 1] = s1;
    }
    if (i < n) {
      const row = i * n,
        vi = v[i];
      w[k] += vi * a[row + k];
      let s = 0;
      for (let j = k + 1; j < n; j++) {
        s += a[row + j] * v[j];
        w[j] += vi * a[row + j];
      }
      u[i] = s;
    }
    let wv = 0;
    for (let j = k; j < n; j++) {
      w[j] *= scale;
      wv += w[j] * v[j];
    }
    for (let i = 0; i < n; i++) u[i] = scale * (u[i] - wv * v[i]);
    // Pass 2: A −= v wᵀ + z vᵀ (z in u)
    for (let i = 0; i <= k; i++) {
      const row = i * n,
        zi = u[i];
      for (let j = k + 1; j < n; j++) a[row + j] -= zi * v[j];
    }
    for (i = k + 1; i + 1 < n; i += 2) {
      const row = i * n,
        row1 = row + n,
        zi = u[i],
        vi = v[i],
        zi1 = u[i + 1],
        vi1 = v[i + 1];
      a[row + k] -= vi * w[k];
      a[row1 + k] -= vi1 * w[k];
      for (let j = k + 1; j < n; j++) {
        const wj = w[j],
          vj = v[j];
        a[row + j] -= vi * wj + zi * vj;
        a[row1 + j] -= vi1 * wj + zi1 * vj;
      }
    }
    if (i < n) {
      const row = i * n,
        zi = u[i],
        vi = v[i];
      a[row + k] -= vi * w[k];
      for (let j = k + 1; j < n; j++) a[row + j] -= vi * w[j] + zi * v[j];
    }
    for (let i = k + 2; i < n; i++) a[i * n + k] = 0;
  }
  return a;
}

/**
 * A diverged training can leave weights near the float64 limit, where the products inside the QR iteration or AᵀA
 * overflow. ρ(cA) = cρ(A) and σ_max(cA) = cσ_max(A), so such a matrix is scaled by a power of two (exact) into
 * range first, and the answer scaled back; ordinary matrices are left alone, bit for bit.
 */
function inRange(a: Float64Array, length: number): { a: Float64Array; scale: number } {
  let max = 0;
  for (let i = 0; i < length; i++) max = Math.max(max, Math.abs(a[i]));
  if (max === 0 || (max < 2 ** 200 && max > 2 ** -200)) return { a, scale: 1 };
  const scale = 2 ** Math.round(Math.log2(max));
  return { a: Float64Array.from(a.subarray(0, length), (x) => x / scale), scale };
}

/** ρ(A) = max |λ|. */
export function spectralRadius(matrix: Float64Array, n: number): number {
  if (!allFinite(matrix)) return NaN;
  const { a, scale } = inRange(matrix, n * n);
  if (scale !== 1) return scale * spectralRadius(a, n);
  const k = kernels();
  if (!k) return jsSpectralRadius(a, n);
  const { view, address } = stage(k, n * n + 6 * n + 14 * SPECTRAL_CHUNK);
  view.set(a.subarray(0, n * n));
  const rho = k.spectralRadius(address, n, address + 8 * n * n);
  if (rho < 0) throw new Error('eigenvalues: QR iteration did not converge');
  return rho;
}

/** ρ(A) from the JavaScript eigenvalues (the fallback, and the reference of the tests). */
export function jsSpectralRadius(a: Float64Array, n: number): number {
  if (!allFinite(a)) return NaN;
  const { re, im } = eigenvalues(a, n);
  let r = 0;
  for (let i = 0; i < n; i++) r = Math.max(r, Math.hypot(re[i], im[i]));
  return r;
}

/**
 * σ_max(A) for an m×n matrix: √ of the largest eigenvalue of the symmetric AᵀA. A Householder reduction that uses
 * the symmetry brings AᵀA to tridiagonal form (about n³ multiply-adds, a third of the general Hessenberg reduction),
 * and the top eigenvalue of a symmetric tridiagonal matrix is found by bisection to machine precision.
 */
export function sigmaMax(matrix: Float64Array, m: number, n: number): number {
  if (!allFinite(matrix)) return NaN;
  const { a, scale } = inRange(matrix, m * n);
  if (scale !== 1) return scale * sigmaMax(a, m, n);
  const k = kernels();
  if (!k) return jsSigmaMax(a, m, n);
  // AᵀA first: its product may grow the kernels' memory, which would detach a view staged before it.
  const ata = gram(a, m, n);
  const { view, address } = stage(k, n * n + 4 * n);
  view.set(ata);
  return Math.sqrt(Math.max(0, k.symmetricTopEigenvalue(address, n, address + 8 * n * n)));
}

/** σ_max in JavaScript (the fallback, and the reference of the tests). */
export function jsSigmaMax(a: Float64Array, m: number, n: number): number {
  if (!allFinite(a)) return NaN;
  const ata = gram(a, m, n);
  const diag = new Float64Array(n);
  const off = new Float64Array(Math.max(0, n - 1));
  tridiagonalize(ata, n, diag, off);
  return Math.sqrt(Math.max(0, largestTridiagonalEigenvalue(diag, off)));
}

/** AᵀA of the m×n matrix a, on the products' SIMD kernel. */
function gram(a: Float64Array, m: number, n: number): Float64Array {
  const ata = new Float64Array(n * n);
  gemmTNAcc(n, n, m, a, 0, a, 0, ata, 0);
  return ata;
}

/**
 * Householder tridiagonalization of the symmetric n×n matrix s (overwritten): fills the diagonal d and the
 * off-diagonal e of a tridiagonal matrix with the same eigenvalues. Step k reflects rows/columns k+1… so that
 * column k is zero below k+1, as the symmetric two-sided update S ← S − v wᵀ − w vᵀ with w = p − (β/2)(pᵀv) v,
 * p = β S v.
 */
function tridiagonalize(s: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    d[k] = s[k * n + k];
    let norm = 0;
    for (let i = k + 1; i < n; i++) norm += s[i * n + k] * s[i * n + k];
    norm = Math.sqrt(norm);
    const x0 = s[(k + 1) * n + k];
    const alpha = x0 > 0 ? -norm : norm;
    e[k] = alpha;
    let vv = 0;
    for (let i = k + 1; i < n; i++) {
      v[i] = s[i * n + k] - (i === k + 1 ? alpha : 0);
      vv += v[i] * v[i];
    }
    if (vv === 0) {
      e[k] = x0; // column k is already zero below k+1
      continue;
    }
    const beta = 2 / vv;
    // p = β S v over the trailing block, and pᵀv
    let pv = 0;
    let r = k + 1;
    for (; r + 1 < n; r += 2) {
      const row = r * n,
        row1 = row + n;
      let dot = 0,
        dot1 = 0;
      for (let j = k + 1; j < n; j++) {
        const vj = v[j];
        dot += s[row + j] * vj;
        dot1 += s[row1 + j] * vj;
      }
      w[r] = beta * dot;
      w[r + 1] = beta * dot1;
      pv += w[r] * v[r] + w[r + 1] * v[r + 1];
    }
    if (r < n) {
      let dot = 0;
      for (let j = k + 1; j < n; j++) dot += s[r * n + j] * v[j];
      w[r] = beta * dot;
      pv += w[r] * v[r];
    }
    const half = (beta / 2) * pv;
    for (let i = k + 1; i < n; i++) w[i] -= half * v[i];
    // S ← S − v wᵀ − w vᵀ over the trailing block, two rows per pass (each load of w[j], v[j] serves both)
    let i = k + 1;
    for (; i + 1 < n; i += 2) {
      const row = i * n,
        row1 = row + n,
        vi = v[i],
        wi = w[i],
        vi1 = v[i + 1],
        wi1 = w[i + 1];
      for (let j = k + 1; j < n; j++) {
        const wj = w[j],
          vj = v[j];
        s[row + j] -= vi * wj + wi * vj;
        s[row1 + j] -= vi1 * wj + wi1 * vj;
      }
    }
    if (i < n) {
      const row = i * n,
        vi = v[i],
        wi = w[i];
      for (let j = k + 1; j < n; j++) s[row + j] -= vi * w[j] + wi * v[j];
    }
  }
  if (n >= 2) {
    d[n - 2] = s[(n - 2) * n + n - 2];
    e[n - 2] = s[(n - 1) * n + n - 2];
  }
  if (n >= 1) d[n - 1] = s[(n - 1) * n + n - 1];
}

/**
 * Largest eigenvalue of the symmetric tridiagonal matrix with diagonal d and off-diagonal e, by bisection on the
 * Sturm count (how many eigenvalues lie below x), starting from the Gershgorin interval.
 */
export function largestTridiagonalEigenvalue(d: Float64Array, e: Float64Array): number {
  const n = d.length;
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const radius = (i > 0 ? Math.abs(e[i - 1]) : 0) + (i < n - 1 ? Math.abs(e[i]) : 0);
    lo = Math.min(lo, d[i] - radius);
    hi = Math.max(hi, d[i] + radius);
  }
  const tiny = 1e-300;
  /** Eigenvalues below x: the negative pivots of the LDLᵀ factorization of T − xI. */
  const countBelow = (x: number) => {
    let count = 0,
      q = 1;
    for (let i = 0; i < n; i++) {
      q = d[i] - x - (i > 0 ? (e[i - 1] * e[i - 1]) / q : 0);
      if (q === 0) q = -tiny;
      if (q < 0) count++;
    }
    return count;
  };
  // Invariant: the top eigenvalue lies in [lo, hi]; stop when the interval is at the resolution of float64.
  for (let it = 0; it < 2100; it++) {
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;
    if (countBelow(mid) === n) hi = mid;
    else lo = mid;
  }
  return hi;
}
