// The trace replay (issue 13): forward and BPTT of a recorded PyTorch nn.RNN/nn.LSTM/nn.GRU, with its whole surface
// (layers, both directions, proj_size, bias or not, a given h0/c0), where the loss reaches the module only through
// the recorded ∂L/∂output and ∂L/∂h_n (and ∂L/∂c_n): the "external output gradient" mode. The cell equations are the
// cell modules' (src/engine/cells). Arithmetic: the snapshot's `precision`, as the engine's model precision means it:
// a float32 recording replays with float32 matrix products (the precision PyTorch ran it in; its recorded values are
// float32 already, so only the products' sums round) and float64 elsewhere, a float64 recording in float64 throughout.
//
// Layout: t-major, [i][s][unit], flat, where i is the step in the direction's own order: time t = i forward, and
// t = T−1−i for a reverse direction (which PyTorch runs from the last step down). A direction's tape is therefore an
// ordinary forward tape (Hs row block 0 = h0, block i+1 = the state after step i), and only the layer's input and
// output are reordered.
import type { Precision, Tensor } from '../protocol/result';
import { cellOf, type Cell, type CellDims, type CellGrads, type CellWeights, type Tape } from './cells';
import { PackedOperand, gemmNT, gemmNTPacked, gemmTNAcc, transpose } from './linalg';
import {
  directionsOf,
  gatesOf,
  outputSizeOf,
  recurrentParamShapes,
  type RecurrentConfig,
  type ReplaySnapshot,
} from './replayTypes';

/** One direction of one layer after the replay: its tape and gradients, in the direction's step order. */
export interface DirectionRun extends Tape {
  layer: number;
  reverse: boolean;
  /** Input size of the layer. */
  D: number;
  /** Layer input in step order [T][S][D]. */
  X: Float64Array;
  /** ∂L/∂(pre-activations) [T][S][G·H]: of W_ih x + b_ih, and of W_hh h + b_hh (the same array unless GRU). */
  dPreIh: Float64Array;
  dPreHh: Float64Array;
  /** Gradient arriving at h from outside the recurrence (output gradient, or the layer above) [T][S][P]. */
  inject: Float64Array;
  /** Total ∂L/∂h after each step [T][S][P]. */
  dH: Float64Array;
  /** ∂L/∂h0 [S][P] and ∂L/∂c0 [S][H]. */
  dH0: Float64Array;
  dC0: Float64Array | null;
  /** The weights the cell steps took (b_hh, W_hr). */
  weights: CellWeights;
}

export interface ReplayRun {
  config: RecurrentConfig;
  cell: Cell;
  dims: CellDims;
  S: number;
  T: number;
  H: number;
  P: number;
  G: number;
  /** The arithmetic of its matrix products (the snapshot's `precision`). */
  precision: Precision;
  /** The recorded parameters and ∂L/∂h_n the replay ran with. */
  params: Map<string, Tensor>;
  gradHn: Float64Array;
  /** runs[l * dirs + d]. */
  runs: DirectionRun[];
  /** The replayed output [S][T][dirs·P] (batch first, as recorded), h_n [K][S][P], c_n [K][S][H]. */
  output: Float64Array;
  hN: Float64Array;
  cN: Float64Array | null;
  /** ∂L/∂θ under state_dict names, ∂L/∂h0 [K][S][P] and ∂L/∂c0 [K][S][H]. */
  grads: Map<string, Tensor>;
  gradH0: Float64Array;
  gradC0: Float64Array | null;
}

/** Multiply-adds of the replay (forward + BPTT of every layer and direction), for the cost check. */
export function replayMultiplyAdds(config: RecurrentConfig, S: number, T: number): number {
  const G = gatesOf(config.mode),
    H = config.hiddenSize,
    P = outputSizeOf(config),
    dirs = directionsOf(config);
  const proj = config.projSize > 0 ? 3 * P * H : 0;
  let total = 0;
  for (let l = 0; l < config.numLayers; l++) {
    const D = l === 0 ? config.inputSize : dirs * P;
    // forward G·H·(D + P) (+ P·H projection); backward ∂W_ih, ∂W_hh, ∂h_{t−1}, ∂x below (+ 2·P·H projection)
    total += dirs * T * S * (G * H * (D + P) + G * H * (D + 2 * P) + (l > 0 ? G * H * D : 0) + proj);
  }
  return total;
}

/** Float64 values the replay holds (buffers of every direction), for the cost check. */
export function replayDoubles(config: RecurrentConfig, S: number, T: number): number {
  const G = gatesOf(config.mode),
    H = config.hiddenSize,
    P = outputSizeOf(config),
    dirs = directionsOf(config);
  let total = 0;
  for (let l = 0; l < config.numLayers; l++) {
    const D = l === 0 ? config.inputSize : dirs * P;
    total += dirs * (T * S * D + (T + 1) * S * (P + H) + T * S * (4 * G * H + 2 * H + 2 * P));
  }
  return total;
}

/** Checks that the snapshot's tensors have the shapes its config needs (the reader already did; engine callers may not). */
function checkShapes(snap: ReplaySnapshot): void {
  const { config, S, T } = snap;
  const K = config.numLayers * directionsOf(config),
    P = outputSizeOf(config),
    H = config.hiddenSize;
  const need = (what: string, a: Float64Array | null, n: number) => {
    if (!a || a.length !== n) throw new Error(`replay: ${what} has ${a?.length ?? 0} values, expected ${n}`);
  };
  need('input', snap.input, S * T * config.inputSize);
  need('h0', snap.h0, K * S * P);
  need('grad_output', snap.gradOutput, S * T * directionsOf(config) * P);
  need('grad_h_n', snap.gradHn, K * S * P);
  if (config.mode === 'LSTM') {
    need('c0', snap.c0, K * S * H);
    need('grad_c_n', snap.gradCn, K * S * H);
  }
  for (const { name, shape } of recurrentParamShapes(config))
    need(
      name,
      snap.params.get(name)?.data ?? null,
      shape.reduce((a, b) => a * b, 1),
    );
}

/** Rows [T][S][W] of `src` (time order) into `dst` in a direction's step order, at column `col` of rows `dstW` wide. */
function reorder(
  src: Float64Array,
  srcW: number,
  srcCol: number,
  dst: Float64Array,
  dstW: number,
  dstCol: number,
  W: number,
  T: number,
  S: number,
  reverse: boolean,
  accumulate = false,
): void {
  for (let i = 0; i < T; i++) {
    const t = reverse ? T - 1 - i : i;
    for (let s = 0; s < S; s++) {
      const a = (t * S + s) * srcW + srcCol,
        b = (i * S + s) * dstW + dstCol;
      if (accumulate) for (let j = 0; j < W; j++) dst[b + j] += src[a + j];
      else dst.set(src.subarray(a, a + W), b);
    }
  }
}

/**
 * Forward from the recorded input, h0/c0 and weights, then BPTT with grad_output and grad_h_n/grad_c_n as the loss
 * source: ∂L/∂h of every layer and direction, the parameter gradients and ∂L/∂h0/c0.
 */
export function replay(snap: ReplaySnapshot): ReplayRun {
  checkShapes(snap);
  const { config, S, T } = snap;
  const precision: Precision = snap.precision ?? 'float64';
  const f32 = precision === 'float32';
  const cell = cellOf(
    config.mode === 'LSTM' ? 'lstm' : config.mode === 'GRU' ? 'gru' : 'rnn',
    config.mode === 'RNN_RELU' ? 'relu' : 'tanh',
  );
  const G = cell.G,
    H = config.hiddenSize,
    P = outputSizeOf(config),
    dirs = directionsOf(config),
    L = config.numLayers;
  const dims: CellDims = { H, P };
  const layout = cell.tape(dims);
  const K = L * dirs,
    GH = G * H,
    W = dirs * P;
  const runs: DirectionRun[] = [];
  const wih: Float64Array[] = [],
    whh: Float64Array[] = [];
  // Layer input in time order [T][S][D]: layer 0 from the batch-first input.
  let Xt = new Float64Array(T * S * config.inputSize);
  for (let s = 0; s < S; s++)
    for (let t = 0; t < T; t++)
      Xt.set(
        snap.input.subarray((s * T + t) * config.inputSize, (s * T + t + 1) * config.inputSize),
        (t * S + s) * config.inputSize,
      );
  const hN = new Float64Array(K * S * P);
  const cN = layout.cellState ? new Float64Array(K * S * H) : null;
  const hh = new Float64Array(S * GH);
  for (let l = 0; l < L; l++) {
    const D = l === 0 ? config.inputSize : W;
    const next = new Float64Array(T * S * W); // this layer's output in time order, the next layer's input
    for (let d = 0; d < dirs; d++) {
      const k = l * dirs + d,
        reverse = d === 1;
      const name = (n: string) => `${n}_l${l}${reverse ? '_reverse' : ''}`;
      const param = (n: string) => snap.params.get(name(n))?.data ?? null;
      const whr = param('weight_hr');
      let whrT: Float64Array | null = null;
      if (whr) {
        whrT = new Float64Array(H * P);
        transpose(P, H, whr, 0, whrT, 0);
      }
      wih.push(param('weight_ih')!);
      whh.push(param('weight_hh')!);
      let X = Xt;
      if (reverse) {
        X = new Float64Array(T * S * D);
        reorder(Xt, D, 0, X, D, 0, D, T, S, true);
      }
      const dPreIh = new Float64Array(T * S * GH);
      const run: DirectionRun = {
        layer: l,
        reverse,
        D,
        X,
        B: S,
        pre: new Float64Array(T * S * GH),
        Hs: new Float64Array((T + 1) * S * P),
        Cs: layout.cellState ? new Float64Array((T + 1) * S * H) : null,
        acts: layout.acts ? new Float64Array(T * S * GH) : null,
        aux: layout.aux ? new Float64Array(T * S * H) : null,
        M: layout.projected ? new Float64Array(T * S * H) : null,
        dPreIh,
        dPreHh: cell.separateHh ? new Float64Array(T * S * GH) : dPreIh,
        inject: new Float64Array(T * S * P),
        dH: new Float64Array(T * S * P),
        dH0: new Float64Array(S * P),
        dC0: layout.cellState ? new Float64Array(S * H) : null,
        weights: { bhh: param('bias_hh'), whr, whrT },
      };
      runs.push(run);
      gemmNT(T * S, GH, D, X, 0, wih[k], 0, run.pre, 0, false, precision);
      const bih = param('bias_ih');
      if (bih) for (let r = 0; r < T * S; r++) for (let j = 0; j < GH; j++) run.pre[r * GH + j] += bih[j];
      run.Hs.set(snap.h0.subarray(k * S * P, (k + 1) * S * P), 0);
      if (run.Cs) run.Cs.set(snap.c0!.subarray(k * S * H, (k + 1) * S * H), 0);
      // W_hh packed once for the T per-step products W_hh h_{i−1}
      const packed = new PackedOperand(GH, P, precision);
      packed.load(whh[k]);
      for (let i = 0; i < T; i++) {
        rangeSafe(S, GH, P, run.Hs, i * S * P, hh, 0, false, f32, (a, aOff, c, cOff, acc) =>
          gemmNTPacked(S, a, aOff, packed, c, cOff, acc),
        );
        cell.forward(run, i, hh, run.weights, dims);
      }
      hN.set(run.Hs.subarray(T * S * P, (T + 1) * S * P), k * S * P);
      if (cN) cN.set(run.Cs!.subarray(T * S * H, (T + 1) * S * H), k * S * H);
      reorder(run.Hs.subarray(S * P), P, 0, next, W, d * P, P, T, S, reverse);
    }
    Xt = next;
  }
  // The output, batch first.
  const output = new Float64Array(S * T * W);
  for (let t = 0; t < T; t++)
    for (let s = 0; s < S; s++) output.set(Xt.subarray((t * S + s) * W, (t * S + s + 1) * W), (s * T + t) * W);

  // BPTT, top layer first. The top layer's injection is grad_output; a lower layer's is ∂L/∂(its output) from above.
  const grads = new Map<string, Tensor>();
  for (const { name, shape } of recurrentParamShapes(config))
    grads.set(name, { shape, data: new Float64Array(shape.reduce((a, b) => a * b, 1)) });
  const gradH0 = new Float64Array(K * S * P);
  const gradC0 = layout.cellState ? new Float64Array(K * S * H) : null;
  let dOut = new Float64Array(T * S * W); // ∂L/∂(layer output), time order [T][S][dirs·P]
  for (let s = 0; s < S; s++)
    for (let t = 0; t < T; t++)
      dOut.set(snap.gradOutput.subarray((s * T + t) * W, (s * T + t + 1) * W), (t * S + s) * W);
  const dXStep = new Float64Array(T * S * Math.max(config.inputSize, W));
  for (let l = L - 1; l >= 0; l--) {
    const D = l === 0 ? config.inputSize : W;
    const dX = l > 0 ? new Float64Array(T * S * D) : null;
    for (let d = 0; d < dirs; d++) {
      const k = l * dirs + d,
        run = runs[k];
      reorder(dOut, W, d * P, run.inject, P, 0, P, T, S, run.reverse);
      backwardDirection(
        cell,
        dims,
        run,
        whh[k],
        snap.gradHn.subarray(k * S * P, (k + 1) * S * P),
        snap.gradCn ? snap.gradCn.subarray(k * S * H, (k + 1) * S * H) : null,
        T,
        precision,
      );
      gradH0.set(run.dH0, k * S * P);
      if (gradC0) gradC0.set(run.dC0!, k * S * H);
      const g = (n: string) => grads.get(`${n}_l${l}${run.reverse ? '_reverse' : ''}`)?.data;
      // The sums over steps: float32 products unless the gradient's scale is outside float32's (see inFloat32Range)
      const sumPrecision = (a: Float64Array, n: number) => (inFloat32Range(a, n) ? precision : 'float64');
      gemmTNAcc(GH, D, T * S, run.dPreIh, 0, run.X, 0, g('weight_ih')!, 0, sumPrecision(run.dPreIh, T * S * GH));
      gemmTNAcc(GH, P, T * S, run.dPreHh, 0, run.Hs, 0, g('weight_hh')!, 0, sumPrecision(run.dPreHh, T * S * GH));
      const gbi = g('bias_ih'),
        gbh = g('bias_hh');
      if (gbi && gbh) {
        for (let r = 0; r < T * S; r++) {
          for (let j = 0; j < GH; j++) {
            gbi[j] += run.dPreIh[r * GH + j];
            gbh[j] += run.dPreHh[r * GH + j];
          }
        }
      }
      // ∂L/∂W_hr = Σ ∂L/∂h_t ⊗ m_t
      if (run.M) gemmTNAcc(P, H, T * S, run.dH, 0, run.M, 0, g('weight_hr')!, 0, sumPrecision(run.dH, T * S * P));
      if (dX) {
        const wihT = new Float64Array(D * GH);
        transpose(GH, D, wih[k], 0, wihT, 0);
        rangeSafe(T * S, D, GH, run.dPreIh, 0, dXStep, 0, false, f32, (a, aOff, c, cOff, acc) =>
          gemmNT(T * S, D, GH, a, aOff, wihT, 0, c, cOff, acc, precision),
        );
        reorder(dXStep, D, 0, dX, D, 0, D, T, S, run.reverse, true);
      }
    }
    if (dX) dOut = dX;
  }
  return {
    config,
    cell,
    dims,
    S,
    T,
    H,
    P,
    G,
    precision,
    params: snap.params,
    gradHn: snap.gradHn,
    runs,
    output,
    hN,
    cN,
    grads,
    gradH0,
    gradC0,
  };
}

/**
 * BPTT through one direction of one layer, from its last step down, starting from ∂L/∂h_n (and ∂L/∂c_n) and adding
 * run.inject at every step. Leaves ∂L/∂h in run.dH, the pre-activation gradients, and ∂L/∂h0, ∂L/∂c0.
 */
function backwardDirection(
  cell: Cell,
  dims: CellDims,
  run: DirectionRun,
  whh: Float64Array,
  gradHn: Float64Array,
  gradCn: Float64Array | null,
  T: number,
  precision: Precision,
): void {
  const { H, P } = dims;
  const S = run.B,
    GH = cell.G * H;
  const whhT = new Float64Array(P * GH);
  transpose(GH, P, whh, 0, whhT, 0);
  const packed = new PackedOperand(P, GH, precision);
  packed.load(whhT);
  const f32 = precision === 'float32';
  let dh: Float64Array = Float64Array.from(gradHn);
  let dc: Float64Array = gradCn ? Float64Array.from(gradCn) : new Float64Array(S * H);
  const dIh = new Float64Array(S * GH);
  const out: CellGrads = {
    dIh,
    dHh: cell.separateHh ? new Float64Array(S * GH) : dIh,
    dhPrev: new Float64Array(S * P),
    dcPrev: new Float64Array(S * H),
    scratch: new Float64Array(S * H),
  };
  for (let i = T - 1; i >= 0; i--) {
    const base = i * S * P;
    for (let j = 0; j < S * P; j++) {
      dh[j] += run.inject[base + j];
      run.dH[base + j] = dh[j];
    }
    cell.backward(run, i, dh, dc, run.weights, dims, out);
    run.dPreIh.set(out.dIh, i * S * GH);
    if (run.dPreHh !== run.dPreIh) run.dPreHh.set(out.dHh, i * S * GH);
    // ∂L/∂h_{i−1} = direct term (GRU) + (∂/∂pre_hh) · W_hh
    rangeSafe(S, P, GH, out.dHh, 0, out.dhPrev, 0, cell.directPrev, f32, (a, aOff, c, cOff, acc) =>
      gemmNTPacked(S, a, aOff, packed, c, cOff, acc),
    );
    [dh, out.dhPrev] = [out.dhPrev, dh];
    [dc, out.dcPrev] = [out.dcPrev, dc];
  }
  run.dH0.set(dh);
  if (run.dC0) run.dC0.set(dc);
}

/**
 * Float32 products round their operands to float32, whose normal range is 2^−126 … 2^128: a row of gradients that
 * has vanished below it would turn into zeros (PyTorch's float32 backward may have flushed it too, but the replayed
 * ∂L/∂h_t should still say how small it is). Magnitudes inside [2^−60, 2^60] are safe: what a product loses there is
 * below float32's own rounding.
 */
const F32_SAFE = 2 ** 60;

function maxAbs(a: Float64Array, off: number, n: number): number {
  let m = 0;
  for (let i = off; i < off + n; i++) {
    const v = Math.abs(a[i]);
    if (v > m) m = v;
  }
  return m;
}

/** True when the largest magnitude of a[0…n) is zero, not finite, or inside float32's safe range. */
function inFloat32Range(a: Float64Array, n: number): boolean {
  const m = maxAbs(a, 0, n);
  return !(m > 0 && Number.isFinite(m)) || (m >= 1 / F32_SAFE && m <= F32_SAFE);
}

/**
 * C (+)= A·Bᵀ for M rows of A (K long) and N columns, by `product` (which multiplies by the caller's B). In float32,
 * rows of A whose largest magnitude is outside the safe range are multiplied by a power of two that brings it near 1
 * and their results divided by it, which is exact (only the exponent changes); the other rows go to the product as
 * they are, so the result is the one the plain product gives whenever no row needs it.
 */
function rangeSafe(
  M: number,
  N: number,
  K: number,
  A: Float64Array,
  aOff: number,
  C: Float64Array,
  cOff: number,
  accumulate: boolean,
  f32: boolean,
  product: (A: Float64Array, aOff: number, C: Float64Array, cOff: number, accumulate: boolean) => void,
): void {
  let scales: Float64Array | null = null;
  if (f32) {
    for (let i = 0; i < M; i++) {
      const m = maxAbs(A, aOff + i * K, K);
      if (!(m > 0 && Number.isFinite(m)) || (m >= 1 / F32_SAFE && m <= F32_SAFE)) continue;
      scales ??= new Float64Array(M).fill(1);
      scales[i] = 2 ** Math.max(-1000, Math.min(1000, -Math.floor(Math.log2(m))));
    }
  }
  if (!scales) {
    product(A, aOff, C, cOff, accumulate);
    return;
  }
  const As = new Float64Array(M * K),
    Cs = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) As[i * K + k] = A[aOff + i * K + k] * scales[i];
  product(As, 0, Cs, 0, false);
  for (let i = 0; i < M; i++) {
    const inv = 1 / scales[i];
    for (let j = 0; j < N; j++) {
      const v = Cs[i * N + j] * inv;
      C[cOff + i * N + j] = accumulate ? C[cOff + i * N + j] + v : v;
    }
  }
}

/** Relative error of a replayed tensor against the recorded one: ‖a − b‖_∞ / max(‖b‖_∞, tiny). */
export function relativeError(replayed: Float64Array, recorded: Float64Array): number {
  let diff = 0,
    scale = 0;
  for (let i = 0; i < recorded.length; i++) {
    const d = Math.abs(replayed[i] - recorded[i]);
    if (!(d <= diff)) diff = d; // NaN propagates
    scale = Math.max(scale, Math.abs(recorded[i]));
  }
  return diff / Math.max(scale, 1e-300);
}

/** The replay's bound on the relative error, per recorded dtype (docs/TRACE-FORMAT.md). */
export const REPLAY_TOLERANCE = { float32: 1e-5, float64: 1e-10 } as const;

/**
 * The replay's self-check (ReplayCheck): each recorded gradient (parameters, h0, c0) against the replayed one, worst
 * first; and the forward (output, h_n, c_n) against the recorded forward, which says whether the module is what the
 * config says before any gradient is blamed.
 */
export function checkReplay(
  run: ReplayRun,
  recorded: Map<string, Tensor>,
  forward: { output: Float64Array; hN: Float64Array; cN: Float64Array | null },
  dtype: 'float32' | 'float64',
  approximate: string | null,
) {
  const compared: { name: string; relErr: number }[] = [];
  for (const [name, t] of recorded) {
    const mine = name === 'h0' ? run.gradH0 : name === 'c0' ? run.gradC0 : run.grads.get(name)?.data;
    if (!mine || mine.length !== t.data.length) continue;
    compared.push({ name, relErr: relativeError(mine, t.data) });
  }
  compared.sort((a, b) => (Number.isNaN(b.relErr) ? 1 : 0) - (Number.isNaN(a.relErr) ? 1 : 0) || b.relErr - a.relErr);
  const forwardErrors = [
    { name: 'output', relErr: relativeError(run.output, forward.output) },
    { name: 'h_n', relErr: relativeError(run.hN, forward.hN) },
  ];
  if (forward.cN && run.cN) forwardErrors.push({ name: 'c_n', relErr: relativeError(run.cN, forward.cN) });
  forwardErrors.sort((a, b) => b.relErr - a.relErr);
  const maxRelErr = compared.length > 0 ? compared[0].relErr : 0;
  const tolerance = REPLAY_TOLERANCE[dtype];
  const forwardOk = forwardErrors.every((e) => e.relErr <= tolerance);
  return {
    check: {
      maxRelErr,
      compared,
      tolerance,
      ok: maxRelErr <= tolerance && forwardOk && approximate === null,
      approximate,
      dtype,
      products: run.precision,
    },
    forward: { maxRelErr: forwardErrors[0].relErr, compared: forwardErrors, ok: forwardOk },
  };
}
