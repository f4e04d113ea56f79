// Gradient-flow diagnostics on a network that has run forward and backward on one sequence (batch 1):
// the flow matrix ‖∂ℓ_t/∂h_k‖ with the parts of ∂L/∂W_hh by distance, the decay fit, step Jacobian norms,
// and the spectral quantities of Pascanu et al. 2013. The flow rows reuse the cell's backward step, and the step norms
// and the step gain its Jacobian coefficients (src/engine/cells): no derivative is written here.
import type { CellKind, Flow, FlowDecay, Spectral } from '../protocol/result';
import { gemmNT, gemmNTPacked, gemmTNAcc } from './linalg';
import { kernels, stage, type Kernels } from './wasm';
import { largestTridiagonalEigenvalue, sigmaMax, spectralRadius } from './eigen';
import type { Network } from './network';
import type { AnalysisCache } from './cache';
import { candidateBlock, cellOf, type CellGrads } from './cells';

export interface FlowOutput {
  flow: Flow;
  whhByDistance: Float64Array;
}

/**
 * Rows t of the flow matrix: every step with a loss when Σ_t min(t+1, k) fits the budget (counted in
 * step-Jacobian products), otherwise the largest evenly spaced subset that fits (always including the last).
 */
export function chooseFlowRows(
  lossSteps: number[],
  truncate: number | null,
  budget: number,
): { rows: number[]; exact: boolean } {
  const cost = (t: number) => (truncate === null ? t + 1 : Math.min(t + 1, truncate));
  const total = lossSteps.reduce((a, t) => a + cost(t), 0);
  if (total <= budget) return { rows: lossSteps, exact: true };
  const pick = (R: number) => {
    if (R === 1) return [lossSteps[lossSteps.length - 1]];
    const out: number[] = [];
    const n = lossSteps.length;
    for (let i = 0; i < R; i++) {
      const t = lossSteps[Math.round((i * (n - 1)) / (R - 1))];
      if (out[out.length - 1] !== t) out.push(t);
    }
    return out;
  };
  let lo = 1,
    hi = lossSteps.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (pick(mid).reduce((a, t) => a + cost(t), 0) <= budget) lo = mid;
    else hi = mid - 1;
  }
  return { rows: pick(lo), exact: false };
}

/**
 * For each chosen row t (ascending), backpropagate ℓ_t alone through the top layer and record ‖∂ℓ_t/∂h_k‖ for k ≤ t
 * (zero past a truncation cut). All rows advance together by distance d = t − k: one product with W_hh serves every
 * row still going back, and the part of ∂L/∂W_hh made of the terms at distance d is summed across rows and measured
 * before moving to d + 1. Reach grows with t, so the rows still going back at d are always the last ones.
 */
export function computeFlow(net: Network, lossSteps: number[], truncate: number | null, budget: number): FlowOutput {
  const { H, G, cell, dims } = net;
  const GH = G * H;
  const T = net.T;
  const lb = net.layers[net.L - 1];
  const weights = net.cellWeights(net.L - 1);
  const { rows, exact } = chooseFlowRows(lossSteps, truncate, budget);
  const R = rows.length;
  const reach = (t: number) => (truncate === null ? t + 1 : Math.min(t + 1, truncate));
  const maxD = R > 0 ? reach(rows[R - 1]) : 0;
  const matrix = rows.map((t) => new Float64Array(t + 1));
  // ∂ℓ_t/∂h_k and ∂ℓ_t/∂c_k of every row at the current distance, and at the next one (filled, then swapped in)
  const rowViews = (buffer: Float64Array) => rows.map((_, r) => buffer.subarray(r * H, (r + 1) * H));
  let dh = new Float64Array(R * H),
    dhNext = new Float64Array(R * H);
  let dhRows = rowViews(dh),
    dhNextRows = rowViews(dhNext);
  let dcRows = rowViews(new Float64Array(R * H)),
    dcNextRows = rowViews(new Float64Array(R * H));
  for (let r = 0; r < R; r++) dh.set(lb.inject.subarray(rows[r] * H, (rows[r] + 1) * H), r * H);
  // A: ∂ℓ_t/∂(recurrent pre-activation at k) per row; k: each row's step. The W_hh part at distance d pairs a_r with
  // h_{k−1}, row k of Hs.
  const work = new OuterSums(R, GH, lb.Hs.subarray(0, (T + 1) * H), H);
  const { A, k: stepOf } = work;
  // the cell's backward step writes ∂ℓ_t/∂(recurrent pre-activations) of row r straight into A's row r
  const stepIh = new Float64Array(GH),
    none = new Float64Array(0);
  const out: CellGrads[] = rows.map((_, r) => {
    const a = A.subarray(r * GH, (r + 1) * GH);
    return { dIh: cell.separateHh ? stepIh : a, dHh: a, dhPrev: none, dcPrev: none, scratch: none };
  });
  const whh = new Float64Array(maxD);
  const whhT = net.recurrentTransposed(net.L - 1);
  let first = 0; // rows before it no longer reach d
  for (let d = 0; d < maxD; d++) {
    while (reach(rows[first]) <= d) first++;
    for (let r = first; r < R; r++) {
      const k = rows[r] - d;
      matrix[r][k] = Math.sqrt(sumSq(dh, r * H, H));
      out[r].dhPrev = dhNextRows[r];
      out[r].dcPrev = dcNextRows[r];
      cell.backward(lb, k, dhRows[r], dcRows[r], weights, dims, out[r]);
      stepOf[r] = k;
    }
    // ∂ℓ_t/∂h_{k−1} = the direct term the backward step left in dhNext (GRU's z path; none for RNN and LSTM)
    // + (∂/∂pre_hh) · W_hh, for all rows in one product
    gemmNTPacked(R - first, A, first * GH, whhT, dhNext, first * H, cell.directPrev);
    whh[d] = Math.sqrt(Math.max(0, work.normSq(first)));
    [dh, dhNext] = [dhNext, dh];
    [dhRows, dhNextRows] = [dhNextRows, dhRows];
    [dcRows, dcNextRows] = [dcNextRows, dcRows];
  }
  return {
    flow: {
      steps: rows,
      matrix,
      exact,
      truncate: truncate !== null && truncate < T ? truncate : null,
      decay: decayFit(rows, matrix, maxD),
    },
    whhByDistance: whh,
  };
}

/**
 * ‖Σ_{r ≥ first} a_r b_{k_r}ᵀ‖²_F for R rows a_r of A (each m long) and rows k_r of B (each n long), by the Gram
 * identity Σ_{r,s} (a_r·a_s)(b_r·b_s): the rows are few and long, so pairs of dot products beat forming the m·n sum.
 * With the WebAssembly kernels, B is copied into the kernels' memory once, for the object's lifetime, and each sum
 * copies the rows of A and k it reads (a product may grow the memory meanwhile, which keeps its contents but not
 * views on it, so the addresses are kept and the views made at each sum); nothing else may stage kernel operands
 * meanwhile.
 */
export class OuterSums {
  readonly A: Float64Array;
  readonly k: Int32Array;
  private readonly B: Float64Array;
  /** The kernels and the byte addresses of A, B and k in their memory, when the sums run there. */
  private readonly wasm: { kernels: Kernels; a: number; b: number; k: number } | null = null;

  constructor(
    private readonly R: number,
    private readonly m: number,
    B: Float64Array,
    private readonly n: number,
    useKernels = true,
  ) {
    const found = useKernels ? kernels() : null;
    this.A = new Float64Array(R * m);
    this.k = new Int32Array(R);
    if (found) {
      const rows = B.length / n;
      const { view, address } = stage(found, R * m + rows * n + Math.ceil(R / 2));
      view.set(B, R * m);
      this.B = B;
      this.wasm = { kernels: found, a: address, b: address + 8 * R * m, k: address + 8 * (R * m + rows * n) };
    } else {
      this.B = B;
    }
  }

  normSq(first: number): number {
    const { R, m, n, A, B, k, wasm } = this;
    const rows = R - first;
    // The Gram identity costs about rows²/2 · (m + n) multiply-adds, forming the m×n sum rows · m · n: many rows of a
    // small state (every row of a small model fits the flow budget) make the sum the cheaper one.
    if (rows * m * n + m * n < ((rows * (rows + 1)) / 2) * (m + n)) return this.formedNormSq(first);
    if (wasm) {
      const buffer = wasm.kernels.memory.buffer;
      new Float64Array(buffer, wasm.a + 8 * first * m, (R - first) * m).set(A.subarray(first * m, R * m));
      new Int32Array(buffer, wasm.k + 4 * first, R - first).set(k.subarray(first, R));
      return wasm.kernels.outerSumNormSq(wasm.a + 8 * first * m, wasm.b, wasm.k + 4 * first, R - first, m, n);
    }
    const dot = (X: Float64Array, x: number, y: number, len: number) => {
      let s = 0;
      for (let i = 0; i < len; i++) s += X[x + i] * X[y + i];
      return s;
    };
    let diagonal = 0,
      offDiagonal = 0;
    for (let r = first; r < R; r++) {
      diagonal += dot(A, r * m, r * m, m) * dot(B, k[r] * n, k[r] * n, n);
      for (let s = r + 1; s < R; s++) offDiagonal += dot(A, r * m, s * m, m) * dot(B, k[r] * n, k[s] * n, n);
    }
    return diagonal + 2 * offDiagonal;
  }

  /** Rows k_r of B gathered one under another, and the m×n sum, for formedNormSq (allocated at its first use). */
  private formed: { rowsB: Float64Array; sum: Float64Array } | null = null;

  /** ‖Σ_{r ≥ first} a_r b_{k_r}ᵀ‖²_F from the m×n sum itself: Aᵀ times the gathered rows of B, one product. */
  private formedNormSq(first: number): number {
    const { R, m, n, A, B, k } = this;
    this.formed ??= { rowsB: new Float64Array(R * n), sum: new Float64Array(m * n) };
    const { rowsB, sum } = this.formed;
    const rows = R - first;
    for (let r = 0; r < rows; r++) rowsB.set(B.subarray(k[first + r] * n, (k[first + r] + 1) * n), r * n);
    sum.fill(0);
    gemmTNAcc(m, n, rows, A, first * m, rowsB, 0, sum, 0);
    let s = 0;
    for (let i = 0; i < m * n; i++) s += sum[i] * sum[i];
    return s;
  }
}

/** Mean and spread of log10‖∂ℓ_t/∂h_{t−d}‖ at each distance, the least-squares slope and the 1e-3 horizon. */
export function decayFit(rows: number[], matrix: Float64Array[], maxD: number): FlowDecay {
  const distance: number[] = [],
    meanLog10: number[] = [],
    stdLog10: number[] = [],
    count: number[] = [];
  for (let d = 0; d < maxD; d++) {
    let s = 0,
      s2 = 0,
      c = 0;
    for (let r = 0; r < rows.length; r++) {
      const k = rows[r] - d;
      if (k < 0) continue;
      const v = matrix[r][k];
      if (!(v > 0) || !Number.isFinite(v)) continue;
      const lg = Math.log10(v);
      s += lg;
      s2 += lg * lg;
      c++;
    }
    distance.push(d);
    count.push(c);
    const mean = c > 0 ? s / c : NaN;
    meanLog10.push(mean);
    stdLog10.push(c > 0 ? Math.sqrt(Math.max(0, s2 / c - mean * mean)) : NaN);
  }
  let n = 0,
    sx = 0,
    sy = 0,
    sxx = 0,
    sxy = 0;
  for (let d = 0; d < maxD; d++) {
    if (!Number.isFinite(meanLog10[d])) continue;
    n++;
    sx += d;
    sy += meanLog10[d];
    sxx += d * d;
    sxy += d * meanLog10[d];
  }
  const slope = n >= 2 ? (n * sxy - sx * sy) / (n * sxx - sx * sx) : NaN;
  let horizon: number | null = null;
  if (Number.isFinite(meanLog10[0])) {
    for (let d = 1; d < maxD; d++) {
      if (meanLog10[d] <= meanLog10[0] - 3 || (count[d] === 0 && count[d - 1] > 0 && allBelowFloor(rows, matrix, d))) {
        horizon = d;
        break;
      }
    }
  }
  return { distance, meanLog10, stdLog10, count, slope, horizon };
}

/** True when every row that reaches distance d has underflowed to exactly 0 there (an extreme vanish). */
function allBelowFloor(rows: number[], matrix: Float64Array[], d: number): boolean {
  let any = false;
  for (let r = 0; r < rows.length; r++) {
    const k = rows[r] - d;
    if (k < 0) continue;
    any = true;
    if (matrix[r][k] !== 0) return false;
  }
  return any;
}

/**
 * ‖∂h_t/∂h_{t−1}‖_F of the top layer for every step (entry 0 is 0: h_{−1} is the fixed h_0). For LSTM, c_{t−1}
 * is held fixed (the h path); the cell path's diag(f_t) is reported separately as forgetMean.
 * Row i of the Jacobian is Σ_g c_g(t, i) W_g[i] over the gate blocks g (plus z_t e_i for GRU), so its squared norm
 * is the quadratic form cᵀ M_i c with M_i the Gram matrix of unit i's rows: G² multiply-adds per unit and step
 * instead of G·H, after G²·H² once.
 */
export function stepJacobians(net: Network): { frob: Float64Array; forgetMean: Float64Array | undefined } {
  const { T, H, G, cell } = net;
  const l = net.L - 1;
  const lb = net.layers[l];
  const W = net.p(`rnn.weight_hh_l${l}`);
  const frob = new Float64Array(T);
  const forget = cell.gates.indexOf('f');
  const forgetMean = forget >= 0 ? new Float64Array(T) : undefined;
  // gram[i][g][g'] = W_g[i]·W_g'[i]; and W_g[i][i], the rows' entries on the direct term's column
  const gram = new Float64Array(H * G * G);
  const onDiagonal = new Float64Array(H * G);
  for (let i = 0; i < H; i++) {
    for (let g = 0; g < G; g++) {
      onDiagonal[i * G + g] = W[(g * H + i) * H + i];
      for (let g2 = g; g2 < G; g2++) {
        const d = dot(W, (g * H + i) * H, (g2 * H + i) * H, H);
        gram[(i * G + g) * G + g2] = d;
        gram[(i * G + g2) * G + g] = d;
      }
    }
  }
  const coef = new Float64Array(cell.jacobianWidth * H);
  const rows = new Float64Array((G + 1) * H); // the h path's coefficients: [g][i] on W_g's rows, then [i] on e_i
  for (let t = 0; t < T; t++) {
    if (forgetMean) {
      let s = 0;
      for (let i = 0; i < H; i++) s += lb.acts![(t * G + forget) * H + i];
      forgetMean[t] = s / H;
    }
    if (t === 0) continue;
    cell.jacobian(lb, t, 0, H, coef, 0);
    cell.hPath(coef, 0, H, rows);
    let total = 0;
    for (let i = 0; i < H; i++) {
      const direct = rows[G * H + i]; // GRU's z_t on the diagonal
      let q = 0,
        cross = 0;
      for (let g = 0; g < G; g++) {
        const row = (i * G + g) * G;
        let s = 0;
        for (let g2 = 0; g2 < G; g2++) s += gram[row + g2] * rows[g2 * H + i];
        q += rows[g * H + i] * s;
        cross += rows[g * H + i] * onDiagonal[i * G + g];
      }
      total += q + (direct !== 0 ? 2 * direct * cross + direct * direct : 0);
    }
    frob[t] = Math.sqrt(Math.max(0, total));
  }
  return { frob, forgetMean };
}

/** ρ and σ_max of the top layer's recurrent matrix (vanilla RNN) or of its candidate block (LSTM g, GRU n), with the measured step gain. */
export function spectralOf(net: Network, stepGain: number | null = null, cache?: AnalysisCache): Spectral {
  const { H, cell } = net;
  const l = net.L - 1;
  const name = `rnn.weight_hh_l${l}`;
  const M = candidateBlock(cell, net.p(name), H);
  const { radius, sigma } = cache
    ? cache.radiusAndSigma(M, H)
    : { radius: spectralRadius(M, H), sigma: sigmaMax(M, H, H) };
  const gamma = 1; // |tanh′| ≤ 1 and relu′ ∈ {0, 1}
  return {
    radius,
    sigmaMax: sigma,
    gamma,
    bound: '(γσ)^d',
    boundSlope: Math.log10(gamma * sigma),
    stepGain,
    matrix: cell.G === 1 ? name : `${name}[${cell.gates[cell.candidate]}]`,
  };
}

/**
 * Lanczos steps per step Jacobian: exact when the state has at most this many entries, and for larger ones far closer
 * to ‖J‖₂ than as many power iterations (its error shrinks with the square root of the spectral gap, not the gap).
 */
export const STEP_GAIN_ITERATIONS = 12;

/**
 * Multiply-adds of the step gain at one step: STEP_GAIN_ITERATIONS Lanczos steps, each a product with the recurrent
 * matrix W_hh (G·H × H) and one with its transpose, plus the reorthogonalization (k·n per step, small beside them).
 */
export function stepGainWorkPerStep(kind: CellKind, H: number): number {
  const cell = cellOf(kind);
  const G = cell.G;
  const n = cell.stateWidth(H);
  return STEP_GAIN_ITERATIONS * (2 * G * H * H + 4 * STEP_GAIN_ITERATIONS * n);
}

/** The steps t ≥ 1 whose step Jacobian the gain measures: all T − 1 when `maxSteps` allows, else an evenly spaced subset. */
export function stepGainSteps(T: number, maxSteps: number): number[] {
  const n = T - 1;
  if (n <= 0) return [];
  const S = Math.max(1, Math.min(n, Math.floor(maxSteps)));
  if (S === n) return Array.from({ length: n }, (_, i) => i + 1);
  const out: number[] = [];
  for (let i = 0; i < S; i++) {
    const t = 1 + Math.round(S === 1 ? n - 1 : (i * (n - 1)) / (S - 1));
    if (out[out.length - 1] !== t) out.push(t);
  }
  return out;
}

/**
 * The measured per-step gain of the top layer: the geometric mean over steps t ≥ 1 of ‖J_t‖₂, the spectral norm of
 * the full step Jacobian J_t = ∂s_t/∂s_{t−1} with every gate's dependence on the state included. The state s is h for
 * RNN and GRU and (h, c) for LSTM, whose gradient travels back through both. Since ‖Π J‖ ≤ Π ‖J‖, a gain below 1
 * means the gradient must shrink; for a vanilla RNN J_t = diag(f′(a_t)) W_hh, so it never exceeds γσ_max.
 *
 * ‖J_t‖₂² is the largest eigenvalue of J_tᵀJ_t, from a Lanczos run with full reorthogonalization (a Ritz value: never
 * above the true one, exact when the Krylov space fills the state). Every J_t is diagonal scalings around the same
 * W_hh (J_t v = Σ_g diag(c_{t,g}) W_g v, plus diagonal terms), so the runs of all steps advance together and each of
 * their products is one matrix product of the stacked vectors with W_hh or W_hhᵀ, which the engine's kernels do fast.
 * `maxSteps` caps the steps measured (evenly spaced). null with fewer than 2 steps or a non-finite state.
 */
export function stepGainOf(net: Network, maxSteps = Infinity): number | null {
  const { T, H, G, cell } = net;
  const steps = stepGainSteps(T, maxSteps);
  const S = steps.length;
  if (S === 0) return null;
  const l = net.L - 1;
  const lb = net.layers[l];
  const W = net.p(`rnn.weight_hh_l${l}`); // G·H × H
  const Wt = net.recurrentTransposed(l); // H × G·H
  // W as forward packed it, when that is float64 (the same products as gemmNT's, without packing W at every one)
  const packedW = net.precision === 'float64' ? net.recurrent(l) : null;
  const GH = G * H;
  const n = cell.stateWidth(H);
  const k = Math.min(n, STEP_GAIN_ITERATIONS);
  // Per step s, the cell's Jacobian coefficients (C per unit): J_s v is diagonal scalings of W_hh's blocks applied to v.
  const C = cell.jacobianWidth;
  const coef = new Float64Array(S * C * H);
  for (let s = 0; s < S; s++) cell.jacobian(lb, steps[s], 0, H, coef, s * C * H);
  // Lanczos bases Q[s][j] (n each), the vectors being multiplied (h part, S × H), W v (S × G·H), J v (S × n),
  // the gate-wise vectors for Wᵀ (S × G·H), Wᵀ x (S × H) and J_tᵀJ_t q (S × n).
  const Q = new Float64Array(S * (k + 1) * n);
  const qh = new Float64Array(S * H),
    y = new Float64Array(S * GH),
    u = new Float64Array(S * n);
  const x = new Float64Array(S * GH),
    wh = new Float64Array(S * H),
    w = new Float64Array(S * n);
  const alpha = new Float64Array(S * k),
    beta = new Float64Array(S * k);
  const built = new Int32Array(S); // Lanczos vectors built per step
  const done = new Uint8Array(S);
  const liveSteps = new Int32Array(S); // the steps still running at this Lanczos step
  const start = new Float64Array(n);
  for (let i = 0; i < n; i++) start[i] = 1 + ((i * 0.618034) % 1); // a fixed generic start with no zero entry
  normalize(start);
  for (let s = 0; s < S; s++) Q.set(start, s * (k + 1) * n);
  for (let j = 0; j < k; j++) {
    // w_s = J_sᵀ J_s q_s for every step s at once
    for (let s = 0; s < S; s++) qh.set(Q.subarray((s * (k + 1) + j) * n, (s * (k + 1) + j) * n + H), s * H);
    if (packedW) gemmNTPacked(S, qh, 0, packedW, y, 0, false);
    else gemmNT(S, GH, H, qh, 0, W, 0, y, 0, false);
    for (let s = 0; s < S; s++) cell.jv(coef, s * C * H, H, y, s * GH, Q, (s * (k + 1) + j) * n, u, s * n, x, s * GH);
    gemmNTPacked(S, x, 0, Wt, wh, 0, false);
    let live = 0;
    for (let s = 0; s < S; s++) {
      if (done[s]) continue;
      const ws = w.subarray(s * n, (s + 1) * n);
      for (let i = 0; i < H; i++) ws[i] = wh[s * H + i];
      cell.jtDirect(coef, s * C * H, H, u, s * n, w, s * n);
      const base = s * (k + 1) * n;
      const q = Q.subarray(base + j * n, base + (j + 1) * n);
      let a = 0;
      for (let i = 0; i < n; i++) a += q[i] * ws[i];
      alpha[s * k + j] = a;
      liveSteps[live++] = s;
    }
    orthogonalizeSteps(w, Q, liveSteps, live, j + 1, n, (k + 1) * n);
    for (let s = 0; s < S; s++) {
      if (done[s]) continue;
      const ws = w.subarray(s * n, (s + 1) * n);
      const base = s * (k + 1) * n;
      built[s] = j + 1;
      if (j === k - 1) continue;
      const b = Math.sqrt(sumSq(ws, 0, n));
      const next = Q.subarray(base + (j + 1) * n, base + (j + 2) * n);
      if (b > 1e-12 * Math.max(Math.abs(alpha[s * k]), Number.MIN_VALUE)) {
        beta[s * k + j] = b;
        for (let i = 0; i < n; i++) next[i] = ws[i] / b;
        continue;
      }
      // breakdown: the vectors so far span an invariant subspace. The rest of the spectrum is orthogonal to it: go on
      // from a vector orthogonal to them all, with a zero coupling, so the tridiagonal matrix splits into blocks.
      beta[s * k + j] = 0;
      next.fill(0);
      for (let attempt = 0; attempt < 3 && !(sumSq(next, 0, n) > 1e-16); attempt++) {
        for (let i = 0; i < n; i++) next[i] = scatter(i, j + attempt * k);
        orthogonalize(next, Q.subarray(base), j + 1, n);
      }
      const r = Math.sqrt(sumSq(next, 0, n));
      if (r > 1e-8) for (let i = 0; i < n; i++) next[i] /= r;
      else done[s] = 1; // the whole space is spanned: the values so far are exact
    }
  }
  let logSum = 0;
  for (let s = 0; s < S; s++) {
    const m = built[s];
    const value = largestTridiagonalEigenvalue(alpha.subarray(s * k, s * k + m), beta.subarray(s * k, s * k + m - 1));
    if (!Number.isFinite(value)) return null;
    const sigma = Math.sqrt(Math.max(0, value));
    if (sigma === 0) return 0;
    logSum += Math.log(sigma);
  }
  return Math.exp(logSum / S);
}

/**
 * orthogonalize for the steps listed in `steps` (the first `live`): w_s (at s·n in w) against its own basis (at
 * s·stride in Q). Four steps go through each loop together, so that the dot products' dependent sums of four steps
 * overlap; each step's arithmetic is orthogonalize's, in the same order.
 */
function orthogonalizeSteps(
  w: Float64Array,
  Q: Float64Array,
  steps: Int32Array,
  live: number,
  count: number,
  n: number,
  stride: number,
): void {
  let g = 0;
  for (; g + 3 < live; g += 4) {
    const w0 = steps[g] * n,
      w1 = steps[g + 1] * n,
      w2 = steps[g + 2] * n,
      w3 = steps[g + 3] * n;
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < count; p++) {
        const q0 = steps[g] * stride + p * n,
          q1 = steps[g + 1] * stride + p * n,
          q2 = steps[g + 2] * stride + p * n,
          q3 = steps[g + 3] * stride + p * n;
        let d0 = 0,
          d1 = 0,
          d2 = 0,
          d3 = 0;
        for (let i = 0; i < n; i++) {
          d0 += Q[q0 + i] * w[w0 + i];
          d1 += Q[q1 + i] * w[w1 + i];
          d2 += Q[q2 + i] * w[w2 + i];
          d3 += Q[q3 + i] * w[w3 + i];
        }
        for (let i = 0; i < n; i++) {
          w[w0 + i] -= d0 * Q[q0 + i];
          w[w1 + i] -= d1 * Q[q1 + i];
          w[w2 + i] -= d2 * Q[q2 + i];
          w[w3 + i] -= d3 * Q[q3 + i];
        }
      }
    }
  }
  for (; g < live; g++) {
    const s = steps[g];
    orthogonalize(w.subarray(s * n, (s + 1) * n), Q.subarray(s * stride), count, n);
  }
}

/** w minus its components along the first `count` rows of Q (each n long, orthonormal), twice over. */
function orthogonalize(w: Float64Array, Q: Float64Array, count: number, n: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let p = 0; p < count; p++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += Q[p * n + i] * w[i];
      for (let i = 0; i < n; i++) w[i] -= d * Q[p * n + i];
    }
  }
}

/** A fixed, irregular value in (−1, 1) for entry i of the seed-th generic vector (no randomness: results are reproducible). */
function scatter(i: number, seed: number): number {
  const x = Math.sin((i + 1) * 12.9898 + (seed + 1) * 78.233) * 43758.5453;
  return 2 * (x - Math.floor(x)) - 1;
}

function normalize(v: Float64Array): void {
  const s = Math.sqrt(sumSq(v, 0, v.length));
  if (s > 0) for (let i = 0; i < v.length; i++) v[i] /= s;
}

function sumSq(a: Float64Array, off: number, n: number): number {
  let s = 0;
  for (let i = off; i < off + n; i++) s += a[i] * a[i];
  return s;
}

function dot(a: Float64Array, x: number, y: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[x + i] * a[y + i];
  return s;
}
