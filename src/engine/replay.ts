// The trace replay (issue 13): forward and BPTT of a recorded PyTorch nn.RNN/nn.LSTM/nn.GRU, with its whole surface
// (layers, both directions, proj_size, bias or not, a given h0/c0), where the loss reaches the module only through
// the recorded ∂L/∂output and ∂L/∂h_n (and ∂L/∂c_n): the "external output gradient" mode. Float64 throughout (the
// recorded float32 values are exact in float64).
//
// Layout: t-major, [t][s][unit], flat; t is the time index whatever the direction. A direction's states Hs have T+1
// rows: forward Hs[0] = h0 and Hs[t+1] = h_t; reverse Hs[T] = h0 and Hs[t] = h_t (it runs from t = T−1 down), so
// the states a step reads (prev) and writes (out) are each one contiguous block of T rows.
import type { Tensor } from '../protocol/result';
import { gemmNT, gemmTNAcc, transpose } from './linalg';
import { sigmoid } from './network';
import { directionsOf, gatesOf, outputSizeOf, recurrentParamShapes, type RecurrentConfig, type ReplaySnapshot } from './replayTypes';

/** One direction of one layer after the replay: its buffers, kept for the analysis of that layer. */
export interface DirectionRun {
  layer: number;
  reverse: boolean;
  /** Input size of the layer. */
  D: number;
  /** Layer input [T][S][D] (shared by the layer's directions). */
  X: Float64Array;
  /** States [T+1][S][P], cells [T+1][S][H] (LSTM). */
  Hs: Float64Array;
  Cs: Float64Array | null;
  /** Gate activations [T][S][G·H] (LSTM i,f,g,o; GRU r,z,n), tanh(c_t) and h before projection [T][S][H]. */
  acts: Float64Array | null;
  tanhC: Float64Array | null;
  hRaw: Float64Array | null;
  /** GRU: W_hn h_{t−1} + b_hn [T][S][H]. */
  hn: Float64Array | null;
  /** ∂L/∂(pre-activations) [T][S][G·H]: of W_ih x + b_ih, and of W_hh h + b_hh (the same array except GRU). */
  dPreIh: Float64Array;
  dPreHh: Float64Array;
  /** Gradient arriving at h_t from outside the recurrence (output gradient, or the layer above) [T][S][P]. */
  inject: Float64Array;
  /** Total ∂L/∂h_t [T][S][P]. */
  dH: Float64Array;
  /** ∂L/∂h0 [S][P] and ∂L/∂c0 [S][H]. */
  dH0: Float64Array;
  dC0: Float64Array | null;
}

export interface ReplayRun {
  config: RecurrentConfig;
  S: number;
  T: number;
  H: number;
  P: number;
  G: number;
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
  const G = gatesOf(config.mode), H = config.hiddenSize, P = outputSizeOf(config), dirs = directionsOf(config);
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
  const G = gatesOf(config.mode), H = config.hiddenSize, P = outputSizeOf(config), dirs = directionsOf(config);
  let total = 0;
  for (let l = 0; l < config.numLayers; l++) {
    const D = l === 0 ? config.inputSize : dirs * P;
    total += T * S * D; // X
    total += dirs * ((T + 1) * S * (P + H) + T * S * (3 * G * H + 3 * H + 3 * P));
  }
  return total;
}

class Weights {
  readonly wih: Float64Array;
  readonly whh: Float64Array;
  readonly bih: Float64Array | null;
  readonly bhh: Float64Array | null;
  readonly whr: Float64Array | null;
  /** Transposes for the backward products: W_hhᵀ [P][G·H], W_ihᵀ [D][G·H], W_hrᵀ [H][P]. */
  readonly whhT: Float64Array;
  readonly wihT: Float64Array;
  readonly whrT: Float64Array | null;
  constructor(params: Map<string, Tensor>, sfx: string, G: number, H: number, P: number, D: number) {
    const get = (n: string) => params.get(`${n}_${sfx}`)?.data ?? null;
    this.wih = get('weight_ih')!;
    this.whh = get('weight_hh')!;
    this.bih = get('bias_ih');
    this.bhh = get('bias_hh');
    this.whr = get('weight_hr');
    this.whhT = new Float64Array(P * G * H);
    transpose(G * H, P, this.whh, 0, this.whhT, 0);
    this.wihT = new Float64Array(D * G * H);
    transpose(G * H, D, this.wih, 0, this.wihT, 0);
    this.whrT = this.whr ? new Float64Array(H * P) : null;
    if (this.whr) transpose(P, H, this.whr, 0, this.whrT!, 0);
  }
}

/** Checks that the snapshot's tensors have the shapes its config needs (the reader already did; engine callers may not). */
function checkShapes(snap: ReplaySnapshot): void {
  const { config, S, T } = snap;
  const K = config.numLayers * directionsOf(config), P = outputSizeOf(config), H = config.hiddenSize;
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
  for (const { name, shape } of recurrentParamShapes(config)) need(name, snap.params.get(name)?.data ?? null, shape.reduce((a, b) => a * b, 1));
}

/**
 * Forward from the recorded input, h0/c0 and weights, then BPTT with grad_output and grad_h_n/grad_c_n as the loss
 * source: ∂L/∂h_t of every layer and direction, the parameter gradients and ∂L/∂h0/c0.
 */
export function replay(snap: ReplaySnapshot): ReplayRun {
  checkShapes(snap);
  const { config, S, T } = snap;
  const G = gatesOf(config.mode), H = config.hiddenSize, P = outputSizeOf(config), dirs = directionsOf(config), L = config.numLayers;
  const K = L * dirs;
  const lstm = config.mode === 'LSTM', gru = config.mode === 'GRU';
  const GH = G * H;
  const runs: DirectionRun[] = [];
  const weights: Weights[] = [];
  // Layer 0's input, t-major.
  let X = new Float64Array(T * S * config.inputSize);
  for (let s = 0; s < S; s++) for (let t = 0; t < T; t++) X.set(snap.input.subarray((s * T + t) * config.inputSize, (s * T + t + 1) * config.inputSize), (t * S + s) * config.inputSize);
  const hN = new Float64Array(K * S * P);
  const cN = lstm ? new Float64Array(K * S * H) : null;
  const preIh = new Float64Array(T * S * GH);
  const hh = new Float64Array(S * GH);
  for (let l = 0; l < L; l++) {
    const D = l === 0 ? config.inputSize : dirs * P;
    const next = new Float64Array(T * S * dirs * P); // this layer's output, the next layer's input
    for (let d = 0; d < dirs; d++) {
      const k = l * dirs + d;
      const w = new Weights(snap.params, `l${l}${d === 1 ? '_reverse' : ''}`, G, H, P, D);
      weights.push(w);
      const run: DirectionRun = {
        layer: l, reverse: d === 1, D, X,
        Hs: new Float64Array((T + 1) * S * P),
        Cs: lstm ? new Float64Array((T + 1) * S * H) : null,
        acts: G > 1 ? new Float64Array(T * S * GH) : null,
        tanhC: lstm ? new Float64Array(T * S * H) : null,
        hRaw: config.projSize > 0 ? new Float64Array(T * S * H) : null,
        hn: gru ? new Float64Array(T * S * H) : null,
        dPreIh: new Float64Array(T * S * GH),
        dPreHh: new Float64Array(0),
        inject: new Float64Array(T * S * P),
        dH: new Float64Array(T * S * P),
        dH0: new Float64Array(S * P),
        dC0: lstm ? new Float64Array(S * H) : null,
      };
      run.dPreHh = gru ? new Float64Array(T * S * GH) : run.dPreIh;
      runs.push(run);
      gemmNT(T * S, GH, D, X, 0, w.wih, 0, preIh, 0, false);
      if (w.bih) for (let r = 0; r < T * S; r++) for (let j = 0; j < GH; j++) preIh[r * GH + j] += w.bih[j];
      const init = d === 1 ? T : 0;
      run.Hs.set(snap.h0.subarray(k * S * P, (k + 1) * S * P), init * S * P);
      if (run.Cs) run.Cs.set(snap.c0!.subarray(k * S * H, (k + 1) * S * H), init * S * H);
      for (let i = 0; i < T; i++) {
        const t = d === 1 ? T - 1 - i : i;
        const prev = d === 1 ? t + 1 : t, out = d === 1 ? t : t + 1;
        gemmNT(S, GH, P, run.Hs, prev * S * P, w.whh, 0, hh, 0, false);
        cellForward(config, run, w, preIh, hh, t, prev, out, S, H, P);
      }
      const last = d === 1 ? 0 : T;
      hN.set(run.Hs.subarray(last * S * P, (last + 1) * S * P), k * S * P);
      if (cN) cN.set(run.Cs!.subarray(last * S * H, (last + 1) * S * H), k * S * H);
      const outRows = d === 1 ? 0 : 1;
      for (let t = 0; t < T; t++) for (let s = 0; s < S; s++) next.set(run.Hs.subarray(((t + outRows) * S + s) * P, ((t + outRows) * S + s + 1) * P), (t * S + s) * dirs * P + d * P);
    }
    X = next;
  }
  // The output, batch first.
  const output = new Float64Array(S * T * dirs * P);
  const W = dirs * P;
  for (let t = 0; t < T; t++) for (let s = 0; s < S; s++) output.set(X.subarray((t * S + s) * W, (t * S + s + 1) * W), (s * T + t) * W);

  // BPTT, top layer first. The top layer's injection is grad_output; a lower layer's is ∂L/∂(its output) from above.
  const grads = new Map<string, Tensor>();
  for (const { name, shape } of recurrentParamShapes(config)) grads.set(name, { shape, data: new Float64Array(shape.reduce((a, b) => a * b, 1)) });
  const gradH0 = new Float64Array(K * S * P);
  const gradC0 = lstm ? new Float64Array(K * S * H) : null;
  let dOut = new Float64Array(T * S * W); // ∂L/∂(layer output) [T][S][dirs·P]
  for (let s = 0; s < S; s++) for (let t = 0; t < T; t++) dOut.set(snap.gradOutput.subarray((s * T + t) * W, (s * T + t + 1) * W), (t * S + s) * W);
  for (let l = L - 1; l >= 0; l--) {
    const D = l === 0 ? config.inputSize : dirs * P;
    const dX = l > 0 ? new Float64Array(T * S * D) : null;
    for (let d = 0; d < dirs; d++) {
      const k = l * dirs + d;
      const run = runs[k], w = weights[k];
      for (let t = 0; t < T; t++) for (let s = 0; s < S; s++) run.inject.set(dOut.subarray((t * S + s) * W + d * P, (t * S + s) * W + (d + 1) * P), (t * S + s) * P);
      backwardDirection(config, run, w, snap.gradHn.subarray(k * S * P, (k + 1) * S * P), snap.gradCn ? snap.gradCn.subarray(k * S * H, (k + 1) * S * H) : null, S, T, H, P);
      gradH0.set(run.dH0, k * S * P);
      if (gradC0) gradC0.set(run.dC0!, k * S * H);
      const sfx = `l${l}${d === 1 ? '_reverse' : ''}`;
      const g = (n: string) => grads.get(`${n}_${sfx}`)?.data;
      gemmTNAcc(GH, D, T * S, run.dPreIh, 0, run.X, 0, g('weight_ih')!, 0);
      const prevRows = d === 1 ? 1 : 0;
      gemmTNAcc(GH, P, T * S, run.dPreHh, 0, run.Hs, prevRows * S * P, g('weight_hh')!, 0);
      if (config.bias) {
        const gbi = g('bias_ih')!, gbh = g('bias_hh')!;
        for (let r = 0; r < T * S; r++) {
          for (let j = 0; j < GH; j++) {
            gbi[j] += run.dPreIh[r * GH + j];
            gbh[j] += run.dPreHh[r * GH + j];
          }
        }
      }
      if (config.projSize > 0) {
        gemmTNAcc(P, H, T * S, run.dH, 0, run.hRaw!, 0, g('weight_hr')!, 0);
      }
      if (dX) gemmNT(T * S, D, GH, run.dPreIh, 0, w.wihT, 0, dX, 0, true);
    }
    if (dX) dOut = dX;
  }
  return { config, S, T, H, P, G, params: snap.params, gradHn: snap.gradHn, runs, output, hN, cN, grads, gradH0, gradC0 };
}

// The cell equations below follow PyTorch's (gate order i,f,g,o for LSTM; r,z,n for GRU with r applied to
// W_hn h + b_hn), as src/engine/network.ts does for the engine's own models.

function cellForward(config: RecurrentConfig, run: DirectionRun, w: Weights, preIh: Float64Array, hh: Float64Array, t: number, prev: number, out: number, S: number, H: number, P: number): void {
  const mode = config.mode;
  const G = gatesOf(mode), GH = G * H;
  const bhh = w.bhh;
  const Hs = run.Hs;
  for (let s = 0; s < S; s++) {
    const pOff = (t * S + s) * GH, hb = s * GH;
    const ho = (out * S + s) * P, hp = (prev * S + s) * P;
    const u = (t * S + s) * H;
    if (mode === 'RNN_TANH' || mode === 'RNN_RELU') {
      for (let i = 0; i < H; i++) {
        const a = preIh[pOff + i] + hh[hb + i] + (bhh ? bhh[i] : 0);
        Hs[ho + i] = mode === 'RNN_RELU' ? (a > 0 ? a : 0) : Math.tanh(a);
      }
    } else if (mode === 'LSTM') {
      const acts = run.acts!, Cs = run.Cs!, tanhC = run.tanhC!;
      for (let j = 0; j < GH; j++) {
        const a = preIh[pOff + j] + hh[hb + j] + (bhh ? bhh[j] : 0);
        acts[pOff + j] = j >= 2 * H && j < 3 * H ? Math.tanh(a) : sigmoid(a);
      }
      const co = (out * S + s) * H, cp = (prev * S + s) * H;
      const raw = run.hRaw;
      for (let i = 0; i < H; i++) {
        const ig = acts[pOff + i], fg = acts[pOff + H + i], gg = acts[pOff + 2 * H + i], og = acts[pOff + 3 * H + i];
        const c = fg * Cs[cp + i] + ig * gg;
        Cs[co + i] = c;
        const tc = Math.tanh(c);
        tanhC[u + i] = tc;
        if (raw) raw[u + i] = og * tc;
        else Hs[ho + i] = og * tc;
      }
    } else {
      const acts = run.acts!, hn = run.hn!;
      for (let i = 0; i < H; i++) {
        const r = sigmoid(preIh[pOff + i] + hh[hb + i] + (bhh ? bhh[i] : 0));
        const z = sigmoid(preIh[pOff + H + i] + hh[hb + H + i] + (bhh ? bhh[H + i] : 0));
        const hnv = hh[hb + 2 * H + i] + (bhh ? bhh[2 * H + i] : 0);
        const n = Math.tanh(preIh[pOff + 2 * H + i] + r * hnv);
        acts[pOff + i] = r;
        acts[pOff + H + i] = z;
        acts[pOff + 2 * H + i] = n;
        hn[u + i] = hnv;
        Hs[ho + i] = (1 - z) * n + z * Hs[hp + i];
      }
    }
  }
  // proj_size: h_t = W_hr (o ⊙ tanh c_t)
  if (run.hRaw) gemmNT(S, P, H, run.hRaw, t * S * H, w.whr!, 0, Hs, out * S * P, false);
}

/**
 * BPTT through one direction of one layer, in its own time order reversed, starting from ∂L/∂h_n (and ∂L/∂c_n) and
 * adding run.inject at every step. Leaves ∂L/∂h_t in run.dH, the pre-activation gradients, and ∂L/∂h0, ∂L/∂c0.
 */
function backwardDirection(config: RecurrentConfig, run: DirectionRun, w: Weights, gradHn: Float64Array, gradCn: Float64Array | null, S: number, T: number, H: number, P: number): void {
  const mode = config.mode;
  const G = gatesOf(mode), GH = G * H;
  const reverse = run.reverse;
  let dh = Float64Array.from(gradHn); // ∂L/∂h at the current step [S][P]
  let dc = gradCn ? Float64Array.from(gradCn) : new Float64Array(S * H);
  let dhPrev = new Float64Array(S * P), dcPrev = new Float64Array(S * H);
  const dRaw = run.hRaw ? new Float64Array(S * H) : null;
  const sIh = new Float64Array(S * GH);
  const sHh = mode === 'GRU' ? new Float64Array(S * GH) : sIh;
  for (let i = T - 1; i >= 0; i--) {
    const t = reverse ? T - 1 - i : i;
    const prev = reverse ? t + 1 : t, out = reverse ? t : t + 1;
    const base = t * S * P;
    for (let j = 0; j < S * P; j++) {
      dh[j] += run.inject[base + j];
      run.dH[base + j] = dh[j];
    }
    // through the projection: ∂L/∂(o ⊙ tanh c) = ∂L/∂h · W_hr
    const dhCell = dRaw ?? dh;
    if (dRaw) gemmNT(S, H, P, dh, 0, w.whrT!, 0, dRaw, 0, false);
    cellBackward(mode, run, t, prev, out, S, H, P, dhCell, dc, dhPrev, dcPrev, sIh, sHh);
    run.dPreIh.set(sIh, t * S * GH);
    if (run.dPreHh !== run.dPreIh) run.dPreHh.set(sHh, t * S * GH);
    // ∂L/∂h_{t−1} = direct term (GRU) + (∂/∂pre_hh) · W_hh
    gemmNT(S, P, GH, sHh, 0, w.whhT, 0, dhPrev, 0, mode === 'GRU');
    [dh, dhPrev] = [dhPrev, dh];
    [dc, dcPrev] = [dcPrev, dc];
  }
  run.dH0.set(dh);
  if (run.dC0) run.dC0.set(dc);
}

function cellBackward(mode: RecurrentConfig['mode'], run: DirectionRun, t: number, prev: number, out: number, S: number, H: number, P: number,
  dh: Float64Array, dc: Float64Array, dhPrev: Float64Array, dcPrev: Float64Array, sIh: Float64Array, sHh: Float64Array): void {
  const G = gatesOf(mode), GH = G * H;
  for (let s = 0; s < S; s++) {
    const o = s * H, so = s * GH, u = (t * S + s) * H, g0 = (t * S + s) * GH;
    if (mode === 'RNN_TANH' || mode === 'RNN_RELU') {
      const Hs = run.Hs, ho = (out * S + s) * P;
      for (let i = 0; i < H; i++) {
        const h = Hs[ho + i];
        sIh[so + i] = dh[o + i] * (mode === 'RNN_RELU' ? (h > 0 ? 1 : 0) : 1 - h * h);
      }
    } else if (mode === 'LSTM') {
      const acts = run.acts!, Cs = run.Cs!, tanhC = run.tanhC!;
      const cp = (prev * S + s) * H;
      for (let i = 0; i < H; i++) {
        const ig = acts[g0 + i], fg = acts[g0 + H + i], gg = acts[g0 + 2 * H + i], og = acts[g0 + 3 * H + i];
        const tc = tanhC[u + i];
        const dhi = dh[o + i];
        const dct = dc[o + i] + dhi * og * (1 - tc * tc);
        sIh[so + i] = dct * gg * ig * (1 - ig);
        sIh[so + H + i] = dct * Cs[cp + i] * fg * (1 - fg);
        sIh[so + 2 * H + i] = dct * ig * (1 - gg * gg);
        sIh[so + 3 * H + i] = dhi * tc * og * (1 - og);
        dcPrev[o + i] = dct * fg;
      }
    } else {
      const acts = run.acts!, hn = run.hn!, Hs = run.Hs, hp = (prev * S + s) * P;
      for (let i = 0; i < H; i++) {
        const r = acts[g0 + i], z = acts[g0 + H + i], n = acts[g0 + 2 * H + i];
        const dhi = dh[o + i];
        const dnPre = dhi * (1 - z) * (1 - n * n);
        const drPre = dnPre * hn[u + i] * r * (1 - r);
        const dzPre = dhi * (Hs[hp + i] - n) * z * (1 - z);
        sIh[so + i] = drPre;
        sIh[so + H + i] = dzPre;
        sIh[so + 2 * H + i] = dnPre;
        sHh[so + i] = drPre;
        sHh[so + H + i] = dzPre;
        sHh[so + 2 * H + i] = dnPre * r;
        dhPrev[o + i] = dhi * z;
      }
    }
  }
}

/** Relative error of a replayed tensor against the recorded one: ‖a − b‖_∞ / max(‖b‖_∞, tiny). */
export function relativeError(replayed: Float64Array, recorded: Float64Array): number {
  let diff = 0, scale = 0;
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
export function checkReplay(run: ReplayRun, recorded: Map<string, Tensor>, forward: { output: Float64Array; hN: Float64Array; cN: Float64Array | null }, dtype: 'float32' | 'float64', approximate: string | null) {
  const compared: { name: string; relErr: number }[] = [];
  for (const [name, t] of recorded) {
    const mine = name === 'h0' ? run.gradH0 : name === 'c0' ? run.gradC0 : run.grads.get(name)?.data;
    if (!mine || mine.length !== t.data.length) continue;
    compared.push({ name, relErr: relativeError(mine, t.data) });
  }
  compared.sort((a, b) => (Number.isNaN(b.relErr) ? 1 : 0) - (Number.isNaN(a.relErr) ? 1 : 0) || b.relErr - a.relErr);
  const forwardErrors = [{ name: 'output', relErr: relativeError(run.output, forward.output) }, { name: 'h_n', relErr: relativeError(run.hN, forward.hN) }];
  if (forward.cN && run.cN) forwardErrors.push({ name: 'c_n', relErr: relativeError(run.cN, forward.cN) });
  forwardErrors.sort((a, b) => b.relErr - a.relErr);
  const maxRelErr = compared.length > 0 ? compared[0].relErr : 0;
  const tolerance = REPLAY_TOLERANCE[dtype];
  const forwardOk = forwardErrors.every((e) => e.relErr <= tolerance);
  return {
    check: { maxRelErr, compared, tolerance, ok: maxRelErr <= tolerance && forwardOk && approximate === null, approximate, dtype },
    forward: { maxRelErr: forwardErrors[0].relErr, compared: forwardErrors, ok: forwardOk },
  };
}
