// Gradient-flow diagnostics on a network that has run forward and backward on one sequence (batch 1):
// the flow matrix ‖∂ℓ_t/∂h_k‖ with the parts of ∂L/∂W_hh by distance, the decay fit, step Jacobian norms,
// and the spectral quantities of Pascanu et al. 2013. The flow rows reuse the BPTT cell backward step.
import type { Flow, FlowDecay, Spectral } from '../protocol/result';
import { gemmNTResident, block, residentB } from './linalg';
import { kernels, stage, type Kernels } from './wasm';
import { sigmaMax, spectralRadius } from './eigen';
import type { Network } from './network';

export interface FlowOutput {
  flow: Flow;
  whhByDistance: Float64Array;
}

/**
 * Rows t of the flow matrix: every step with a loss when Σ_t min(t+1, k) fits the budget (counted in
 * step-Jacobian products), otherwise the largest evenly spaced subset that fits (always including the last).
 */
export function chooseFlowRows(lossSteps: number[], truncate: number | null, budget: number): { rows: number[]; exact: boolean } {
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
  let lo = 1, hi = lossSteps.length;
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
  const { H, G } = net;
  const GH = G * H;
  const T = net.T;
  const lb = net.layers[net.L - 1];
  const { rows, exact } = chooseFlowRows(lossSteps, truncate, budget);
  const R = rows.length;
  const reach = (t: number) => (truncate === null ? t + 1 : Math.min(t + 1, truncate));
  const maxD = R > 0 ? reach(rows[R - 1]) : 0;
  const matrix = rows.map((t) => new Float64Array(t + 1));
  // ∂ℓ_t/∂h_k and ∂ℓ_t/∂c_k of every row at the current distance, and at the next one (filled, then swapped in)
  const rowViews = (buffer: Float64Array) => rows.map((_, r) => buffer.subarray(r * H, (r + 1) * H));
  let dh = new Float64Array(R * H), dhNext = new Float64Array(R * H);
  let dhRows = rowViews(dh), dhNextRows = rowViews(dhNext);
  let dcRows = rowViews(new Float64Array(R * H)), dcNextRows = rowViews(new Float64Array(R * H));
  for (let r = 0; r < R; r++) dh.set(lb.inject.subarray(rows[r] * H, (rows[r] + 1) * H), r * H);
  // A: ∂ℓ_t/∂(recurrent pre-activation at k) per row; k: each row's step. The W_hh part at distance d pairs a_r with
  // h_{k−1}, row k of Hs.
  const work = new OuterSums(R, GH, lb.Hs.subarray(0, (T + 1) * H), H);
  const { A, k: stepOf } = work;
  const stepHh = net.scratchHh().subarray(0, GH);
  const whh = new Float64Array(maxD);
  residentB(H, GH, net.recurrentTransposed(net.L - 1), 0);
  let first = 0; // rows before it no longer reach d
  for (let d = 0; d < maxD; d++) {
    while (reach(rows[first]) <= d) first++;
    for (let r = first; r < R; r++) {
      const k = rows[r] - d;
      matrix[r][k] = Math.sqrt(sumSq(dh, r * H, H));
      net.cellBackward(lb, k, 0, dhRows[r], dcRows[r], dhNextRows[r], dcNextRows[r]);
      A.set(stepHh, r * GH);
      stepOf[r] = k;
    }
    // ∂ℓ_t/∂h_{k−1} = the direct term cellBackward left in dhNext (GRU's (1 − z) path; zero for RNN and LSTM)
    // + (∂/∂pre_hh) · W_hh, for all rows in one product
    gemmNTResident(R - first, A, first * GH, dhNext, first * H, net.cell === 'gru');
    whh[d] = Math.sqrt(Math.max(0, work.normSq(first)));
    [dh, dhNext] = [dhNext, dh];
    [dhRows, dhNextRows] = [dhNextRows, dhRows];
    [dcRows, dcNextRows] = [dcNextRows, dcRows];
  }
  return {
    flow: { steps: rows, matrix, exact, truncate: truncate !== null && truncate < T ? truncate : null, decay: decayFit(rows, matrix, maxD) },
    whhByDistance: whh,
  };
}

/**
 * ‖Σ_{r ≥ first} a_r b_{k_r}ᵀ‖²_F for R rows a_r of A (each m long) and rows k_r of B (each n long), by the Gram
 * identity Σ_{r,s} (a_r·a_s)(b_r·b_s): the rows are few and long, so pairs of dot products beat forming the m·n sum.
 * With the WebAssembly kernels, A, B and k live in the kernels' memory for the object's lifetime, so a sum reads them
 * in place; nothing else may reserve kernel memory meanwhile (growing it would detach these views).
 */
export class OuterSums {
  readonly A: Float64Array;
  readonly k: Int32Array;
  private readonly B: Float64Array;
  /** The kernels and the byte addresses of A, B and k in their memory, when the sums run there. */
  private readonly wasm: { kernels: Kernels; a: number; b: number; k: number } | null = null;

  constructor(private readonly R: number, private readonly m: number, B: Float64Array, private readonly n: number, useKernels = true) {
    const found = useKernels ? kernels() : null;
    if (found) {
      const rows = B.length / n;
      const { view, address } = stage(found, R * m + rows * n + Math.ceil(R / 2));
      this.A = view.subarray(0, R * m);
      this.B = view.subarray(R * m, R * m + rows * n);
      this.B.set(B);
      this.k = new Int32Array(view.buffer, view.byteOffset + 8 * (R * m + rows * n), R);
      this.wasm = { kernels: found, a: address, b: address + 8 * R * m, k: address + 8 * (R * m + rows * n) };
    } else {
      this.A = new Float64Array(R * m);
      this.B = B;
      this.k = new Int32Array(R);
    }
  }

  normSq(first: number): number {
    const { R, m, n, A, B, k, wasm } = this;
    if (wasm) return wasm.kernels.outerSumNormSq(wasm.a + 8 * first * m, wasm.b, wasm.k + 4 * first, R - first, m, n);
    const dot = (X: Float64Array, x: number, y: number, len: number) => {
      let s = 0;
      for (let i = 0; i < len; i++) s += X[x + i] * X[y + i];
      return s;
    };
    let diagonal = 0, offDiagonal = 0;
    for (let r = first; r < R; r++) {
      diagonal += dot(A, r * m, r * m, m) * dot(B, k[r] * n, k[r] * n, n);
      for (let s = r + 1; s < R; s++) offDiagonal += dot(A, r * m, s * m, m) * dot(B, k[r] * n, k[s] * n, n);
    }
    return diagonal + 2 * offDiagonal;
  }
}

/** Mean and spread of log10‖∂ℓ_t/∂h_{t−d}‖ at each distance, the least-squares slope and the 1e-3 horizon. */
export function decayFit(rows: number[], matrix: Float64Array[], maxD: number): FlowDecay {
  const distance: number[] = [], meanLog10: number[] = [], stdLog10: number[] = [], count: number[] = [];
  for (let d = 0; d < maxD; d++) {
    let s = 0, s2 = 0, c = 0;
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
  let n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
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
  const { T, H, G, cell, relu } = net;
  const l = net.L - 1;
  const lb = net.layers[l];
  const W = net.p(`rnn.weight_hh_l${l}`);
  const frob = new Float64Array(T);
  const forgetMean = cell === 'lstm' ? new Float64Array(T) : undefined;
  // gram[i][g][g'] = W_g[i]·W_g'[i]; for GRU also W_g[i][i], the rows' entries on the diagonal term's column
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
  const c = new Float64Array(G);
  for (let t = 0; t < T; t++) {
    if (forgetMean) {
      let s = 0;
      for (let i = 0; i < H; i++) s += lb.acts![t * 4 * H + H + i];
      forgetMean[t] = s / H;
    }
    if (t === 0) continue;
    let total = 0;
    for (let i = 0; i < H; i++) {
      let direct = 0; // GRU's z_t on the diagonal
      if (cell === 'rnn') {
        const h = lb.Hs[(t + 1) * H + i];
        c[0] = relu ? (h > 0 ? 1 : 0) : 1 - h * h;
      } else if (cell === 'lstm') {
        const a = lb.acts!, g0 = t * 4 * H;
        const ig = a[g0 + i], fg = a[g0 + H + i], gg = a[g0 + 2 * H + i], og = a[g0 + 3 * H + i];
        const tc = lb.tanhC![t * H + i];
        const k = og * (1 - tc * tc);
        c[0] = k * gg * ig * (1 - ig);
        c[1] = k * lb.Cs![t * H + i] * fg * (1 - fg);
        c[2] = k * ig * (1 - gg * gg);
        c[3] = tc * og * (1 - og);
      } else {
        const a = lb.acts!, g0 = t * 3 * H;
        const r = a[g0 + i], z = a[g0 + H + i], n = a[g0 + 2 * H + i];
        const dn = (1 - z) * (1 - n * n);
        c[0] = dn * lb.hn![t * H + i] * r * (1 - r);
        c[1] = (lb.Hs[t * H + i] - n) * z * (1 - z);
        c[2] = dn * r;
        direct = z;
      }
      let q = 0, cross = 0;
      for (let g = 0; g < G; g++) {
        const row = (i * G + g) * G;
        let s = 0;
        for (let g2 = 0; g2 < G; g2++) s += gram[row + g2] * c[g2];
        q += c[g] * s;
        cross += c[g] * onDiagonal[i * G + g];
      }
      total += q + (direct !== 0 ? 2 * direct * cross + direct * direct : 0);
    }
    frob[t] = Math.sqrt(Math.max(0, total));
  }
  return { frob, forgetMean };
}

/** ρ and σ_max of the top layer's recurrent matrix (vanilla RNN) or of its candidate block (LSTM g, GRU n). */
export function spectralOf(net: Network): Spectral {
  const { H, cell } = net;
  const l = net.L - 1;
  const name = `rnn.weight_hh_l${l}`;
  const W = net.p(name);
  const M = cell === 'rnn' ? W : block(W, H, 2 * H, H);
  const { radius, sigma } = radiusAndSigma(M, H);
  const gamma = 1; // |tanh′| ≤ 1 and relu′ ∈ {0, 1}
  return {
    radius,
    sigmaMax: sigma,
    gamma,
    bound: '(γσ)^d',
    boundSlope: Math.log10(gamma * sigma),
    // TODO(issue 11, verdicts helper): the measured per-step gain from the step Jacobians.
    stepGain: null,
    matrix: cell === 'rnn' ? name : `${name}[${cell === 'lstm' ? 'g' : 'n'}]`,
  };
}

/**
 * The last matrix whose ρ and σ_max were computed, with the results. An analysis that runs again on the same
 * weights (a new data file, a re-save of the model) reuses them instead of repeating the O(H³) work. The matrix is
 * compared bit for bit, so weights changed in place are recomputed and a reused value is the one a recomputation
 * would give.
 */
let lastSpectral = { bits: new Uint32Array(0), radius: NaN, sigma: NaN };

function radiusAndSigma(M: Float64Array, H: number): { radius: number; sigma: number } {
  const bits = new Uint32Array(M.buffer, M.byteOffset, 2 * H * H);
  const last = lastSpectral.bits;
  let same = last.length === bits.length;
  for (let i = 0; same && i < bits.length; i++) same = last[i] === bits[i];
  if (!same) lastSpectral = { bits: Uint32Array.from(bits), radius: spectralRadius(M, H), sigma: sigmaMax(M, H, H) };
  return lastSpectral;
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
