// The whole algorithm in one place: forward through stacked RNN/LSTM/GRU layers, the output layer and loss,
// then backpropagation through time (full or truncated to k steps), with ∂L/∂h_t kept for every step.
//
// Layout: every per-step buffer is t-major, [t][b][unit], flat. Hs has T+1 rows: Hs[0] = h_0 = 0, Hs[t+1] = h_t.
// Buffers are allocated once per (T, B) and reused; the time loops allocate nothing.
// Cells follow PyTorch's equations (gate order i,f,g,o for LSTM; r,z,n for GRU with r applied to W_hn h + b_hn).
import type { CellKind, NonFinite, Precision, ResolvedModel } from '../protocol/result';
import type { ParamSet, SequenceData } from './types';
import { PackedOperand, gemmNT, gemmNTPacked, gemmTNAcc, transpose } from './linalg';
import { gateCount } from './params';

export interface LayerBuffers {
  D: number;
  /** Layer input, [T][B][D] (layer 0: the data; above: a view of the lower layer's Hs without its h_0 row). */
  X: Float64Array;
  preIh: Float64Array; // [T][B][GH]  W_ih x_t + b_ih
  Hs: Float64Array; // [T+1][B][H]
  Cs: Float64Array | null; // LSTM cell states, [T+1][B][H]
  acts: Float64Array | null; // gate activations [T][B][GH] (LSTM i,f,g,o; GRU r,z,n)
  tanhC: Float64Array | null; // LSTM tanh(c_t) [T][B][H]
  hn: Float64Array | null; // GRU W_hn h_{t−1} + b_hn  [T][B][H]
  dPreIh: Float64Array; // ∂L/∂(W_ih x_t + b_ih) [T][B][GH]
  dPreHh: Float64Array; // ∂L/∂(W_hh h_{t−1} + b_hh); the same array as dPreIh except for GRU
  dH: Float64Array; // ∂L/∂h_t [T][B][H], total
  inject: Float64Array; // gradient arriving at h_t from above (output layer or next layer) [T][B][H]
}

export class Network {
  readonly cell: CellKind;
  readonly relu: boolean;
  readonly H: number;
  readonly G: number;
  readonly L: number;
  readonly O: number;
  readonly xent: boolean;
  /** Arithmetic of the matrix products (model `precision`); everything else is float64. */
  readonly precision: Precision;
  T = 0;
  B = 0;
  layers: LayerBuffers[] = [];
  out = new Float64Array(0); // logits / predictions [T][B][O]
  dOut = new Float64Array(0);
  lossPerStep = new Float64Array(0); // [T], summed over the batch
  grads: ParamSet = new Map();
  nonFinite: NonFinite | null = null;
  /**
   * Transposed copies of the weights that multiply gradients in backward (W_hhᵀ and W_ihᵀ per layer, W_fcᵀ),
   * refreshed at the start of every backward (optimizers update params in place), so that each product is a
   * gemmNT over contiguous rows.
   */
  private readonly hhT: Float64Array[] = [];
  private readonly ihT: Float64Array[] = [];
  private readonly fcT: Float64Array;
  /** W_hh per layer, packed by forward for the per-step products W_hh h_{t−1}. */
  private readonly whhPacked: PackedOperand[] = [];
  /** W_hhᵀ per layer, packed with the transposes, for (∂/∂pre_hh) · W_hh in backward and in the flow rows. */
  private readonly whhTPacked: PackedOperand[] = [];
  // per-step scratch
  private hh = new Float64Array(0);
  private dhCarry = new Float64Array(0);
  private dcCarry = new Float64Array(0);
  private dhNext = new Float64Array(0);
  private dcNext = new Float64Array(0);
  private sIh = new Float64Array(0);
  private sHh = new Float64Array(0);

  constructor(
    readonly model: ResolvedModel,
    public params: ParamSet,
  ) {
    this.cell = model.cell;
    this.relu = model.cell === 'rnn' && model.nonlinearity === 'relu';
    this.H = model.hidden;
    this.G = gateCount(model.cell);
    this.L = model.layers;
    this.O = model.outputSize;
    this.xent = model.loss === 'xent';
    this.precision = model.precision ?? 'float64';
    for (const [name, t] of params) this.grads.set(name, { shape: t.shape, data: new Float64Array(t.data.length) });
    for (let l = 0; l < this.L; l++) {
      this.hhT.push(new Float64Array(this.p(`rnn.weight_hh_l${l}`).length));
      this.ihT.push(new Float64Array(this.p(`rnn.weight_ih_l${l}`).length));
      this.whhPacked.push(new PackedOperand(this.G * this.H, this.H, this.precision));
      this.whhTPacked.push(new PackedOperand(this.H, this.G * this.H, this.precision));
    }
    this.fcT = new Float64Array(this.p('fc.weight').length);
  }

  /** W_hhᵀ of layer l ([H][G·H]) as of the last backward, packed: ∂/∂h_{t−1} += (∂/∂pre_hh) · W_hh is gemmNTPacked with it. */
  recurrentTransposed(l: number): PackedOperand {
    return this.whhTPacked[l];
  }

  private refreshTransposes(): void {
    const { H, G, L } = this;
    for (let l = 0; l < L; l++) {
      transpose(G * H, H, this.p(`rnn.weight_hh_l${l}`), 0, this.hhT[l], 0);
      this.whhTPacked[l].load(this.hhT[l]);
      transpose(G * H, this.layers[l].D, this.p(`rnn.weight_ih_l${l}`), 0, this.ihT[l], 0);
    }
    transpose(this.O, H, this.p('fc.weight'), 0, this.fcT, 0);
  }

  /** The last cellBackward's ∂/∂(recurrent pre-activations), for callers that drive cellBackward themselves. */
  scratchHh(): Float64Array {
    return this.sHh;
  }

  p(name: string): Float64Array {
    return this.params.get(name)!.data;
  }

  g(name: string): Float64Array {
    return this.grads.get(name)!.data;
  }

  /** Allocate buffers for T steps × B sequences (kept when the size is unchanged). */
  ensure(T: number, B: number): void {
    if (T === this.T && B === this.B) return;
    this.T = T;
    this.B = B;
    const { H, G, L, O, cell } = this;
    const GH = G * H;
    this.layers = [];
    for (let l = 0; l < L; l++) {
      const D = l === 0 ? this.model.inputSize : H;
      const dPreIh = new Float64Array(T * B * GH);
      this.layers.push({
        D,
        X: l === 0 ? new Float64Array(T * B * D) : this.layers[l - 1].Hs.subarray(B * H),
        preIh: new Float64Array(T * B * GH),
        Hs: new Float64Array((T + 1) * B * H),
        Cs: cell === 'lstm' ? new Float64Array((T + 1) * B * H) : null,
        acts: cell === 'rnn' ? null : new Float64Array(T * B * GH),
        tanhC: cell === 'lstm' ? new Float64Array(T * B * H) : null,
        hn: cell === 'gru' ? new Float64Array(T * B * H) : null,
        dPreIh,
        dPreHh: cell === 'gru' ? new Float64Array(T * B * GH) : dPreIh,
        dH: new Float64Array(T * B * H),
        inject: new Float64Array(T * B * H),
      });
    }
    this.out = new Float64Array(T * B * O);
    this.dOut = new Float64Array(T * B * O);
    this.lossPerStep = new Float64Array(T);
    this.hh = new Float64Array(B * GH);
    this.dhCarry = new Float64Array(B * H);
    this.dcCarry = new Float64Array(B * H);
    this.dhNext = new Float64Array(B * H);
    this.dcNext = new Float64Array(B * H);
    this.sIh = new Float64Array(B * GH);
    this.sHh = cell === 'gru' ? new Float64Array(B * GH) : this.sIh;
  }

  /** Copy a batch of equal-length sequences into the input buffer. */
  load(batch: SequenceData[]): void {
    const T = batch[0].T;
    const B = batch.length;
    this.ensure(T, B);
    const D = this.model.inputSize;
    const X = this.layers[0].X;
    for (let b = 0; b < B; b++) {
      const s = batch[b];
      if (s.T !== T) throw new Error('a batch needs sequences of equal length');
      for (let t = 0; t < T; t++) X.set(s.inputs.subarray(t * D, (t + 1) * D), (t * B + b) * D);
    }
  }

  /** Forward pass over all layers and steps; returns the loss summed over steps, averaged over the batch. */
  forward(batch: SequenceData[]): number {
    this.load(batch);
    this.nonFinite = null;
    const { T, B, H, G, L } = this;
    const GH = G * H;
    for (let l = 0; l < L; l++) {
      const lb = this.layers[l];
      const W_ih = this.p(`rnn.weight_ih_l${l}`);
      const b_ih = this.p(`rnn.bias_ih_l${l}`);
      // Input projections of all steps at once: one product instead of T.
      gemmNT(T * B, GH, lb.D, lb.X, 0, W_ih, 0, lb.preIh, 0, false, this.precision);
      for (let r = 0; r < T * B; r++) for (let j = 0; j < GH; j++) lb.preIh[r * GH + j] += b_ih[j];
      this.whhPacked[l].load(this.p(`rnn.weight_hh_l${l}`));
      for (let t = 0; t < T; t++) {
        this.step(l, t);
        if (this.nonFinite === null && !finiteRun(lb.Hs, (t + 1) * B * H, B * H)) {
          this.nonFinite = { step: t, what: `hidden state h_t of layer ${l} is not finite`, tensor: `h_t (layer ${l})` };
        }
      }
    }
    return this.outputAndLoss(batch);
  }

  /** One recurrent step of layer l at time t for the whole batch. */
  private step(l: number, t: number): void {
    const { B, H, G } = this;
    const GH = G * H;
    const lb = this.layers[l];
    const b_hh = this.p(`rnn.bias_hh_l${l}`);
    const hPrev = t * B * H;
    const hOut = (t + 1) * B * H;
    const hh = this.hh;
    gemmNTPacked(B, lb.Hs, hPrev, this.whhPacked[l], hh, 0, false); // W_hh h_{t−1} (W_hh packed by forward)
    const pre = lb.preIh;
    const Hs = lb.Hs;
    for (let b = 0; b < B; b++) {
      const gOff = (t * B + b) * GH;
      const hb = b * GH;
      const ho = hOut + b * H;
      const hp = hPrev + b * H;
      if (this.cell === 'rnn') {
        for (let i = 0; i < H; i++) {
          const a = pre[gOff + i] + hh[hb + i] + b_hh[i];
          Hs[ho + i] = this.relu ? (a > 0 ? a : 0) : Math.tanh(a);
        }
      } else if (this.cell === 'lstm') {
        const acts = lb.acts!, Cs = lb.Cs!, tanhC = lb.tanhC!;
        for (let j = 0; j < GH; j++) {
          const a = pre[gOff + j] + hh[hb + j] + b_hh[j];
          acts[gOff + j] = j >= 2 * H && j < 3 * H ? Math.tanh(a) : sigmoid(a);
        }
        const sOff = (t * B + b) * H;
        for (let i = 0; i < H; i++) {
          const ig = acts[gOff + i], fg = acts[gOff + H + i], gg = acts[gOff + 2 * H + i], og = acts[gOff + 3 * H + i];
          const c = fg * Cs[hp + i] + ig * gg;
          Cs[ho + i] = c;
          const tc = Math.tanh(c);
          tanhC[sOff + i] = tc;
          Hs[ho + i] = og * tc;
        }
      } else {
        const acts = lb.acts!, hn = lb.hn!;
        const sOff = (t * B + b) * H;
        for (let i = 0; i < H; i++) {
          const r = sigmoid(pre[gOff + i] + hh[hb + i] + b_hh[i]);
          const z = sigmoid(pre[gOff + H + i] + hh[hb + H + i] + b_hh[H + i]);
          const hnv = hh[hb + 2 * H + i] + b_hh[2 * H + i];
          const n = Math.tanh(pre[gOff + 2 * H + i] + r * hnv);
          acts[gOff + i] = r;
          acts[gOff + H + i] = z;
          acts[gOff + 2 * H + i] = n;
          hn[sOff + i] = hnv;
          Hs[ho + i] = (1 - z) * n + z * Hs[hp + i];
        }
      }
    }
  }

  /** Output layer, per-step loss and ∂loss/∂output; fills lossPerStep (summed over batch). */
  private outputAndLoss(batch: SequenceData[]): number {
    const { T, B, H, O } = this;
    const top = this.layers[this.L - 1];
    const W = this.p('fc.weight');
    const bias = this.p('fc.bias');
    gemmNT(T * B, O, H, top.Hs, B * H, W, 0, this.out, 0, false, this.precision);
    const out = this.out, dOut = this.dOut;
    this.lossPerStep.fill(0);
    dOut.fill(0);
    let total = 0;
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const s = batch[b];
        const o = (t * B + b) * O;
        for (let j = 0; j < O; j++) out[o + j] += bias[j];
        if (!s.mask[t]) continue;
        let l = 0;
        if (this.xent) {
          const y = s.targets[t];
          let m = -Infinity;
          for (let j = 0; j < O; j++) m = Math.max(m, out[o + j]);
          let sum = 0;
          for (let j = 0; j < O; j++) sum += Math.exp(out[o + j] - m);
          const logZ = m + Math.log(sum);
          l = logZ - out[o + y];
          for (let j = 0; j < O; j++) dOut[o + j] = (Math.exp(out[o + j] - logZ) - (j === y ? 1 : 0)) / B;
        } else {
          for (let j = 0; j < O; j++) {
            const e = out[o + j] - s.targets[t * O + j];
            l += e * e;
            dOut[o + j] = (2 * e) / B;
          }
        }
        this.lossPerStep[t] += l;
        total += l;
      }
    }
    if (this.nonFinite === null && !Number.isFinite(total)) {
      let t = 0;
      while (t < T && Number.isFinite(this.lossPerStep[t])) t++;
      this.nonFinite = { step: Math.min(t, T - 1), what: 'loss ℓ_t is not finite', tensor: 'loss ℓ_t' };
    }
    return total / B;
  }

  /**
   * BPTT. truncate = null: exact ∂L/∂θ. truncate = k: the gradient of each ℓ_t reaches h_{t−k+1} … h_t only.
   * Leaves ∂L/∂θ in `grads` (zeroed first) and ∂L/∂h_t of every layer in layers[l].dH.
   */
  backward(truncate: number | null): void {
    const { T, B, H, O, L } = this;
    for (const g of this.grads.values()) g.data.fill(0);
    const top = this.layers[L - 1];
    // Output layer: ∂L/∂W_fc = Σ_t dOut_tᵀ h_t ; gradient into h_t of the top layer.
    gemmTNAcc(O, H, T * B, this.dOut, 0, top.Hs, B * H, this.g('fc.weight'), 0, this.precision);
    const gfb = this.g('fc.bias');
    for (let r = 0; r < T * B; r++) for (let j = 0; j < O; j++) gfb[j] += this.dOut[r * O + j];
    this.refreshTransposes();
    gemmNT(T * B, H, O, this.dOut, 0, this.fcT, 0, top.inject, 0, false, this.precision);
    for (const lb of this.layers) {
      lb.dH.fill(0);
      lb.dPreIh.fill(0);
      if (lb.dPreHh !== lb.dPreIh) lb.dPreHh.fill(0);
    }
    if (truncate === null || truncate >= T) {
      for (let l = L - 1; l >= 0; l--) {
        this.backwardWindow(l, 0, T - 1, this.layers[l].inject, null);
        if (l > 0) {
          const below = this.layers[l - 1];
          gemmNT(T * B, H, this.G * H, this.layers[l].dPreIh, 0, this.ihT[l], 0, below.inject, 0, false, this.precision);
        }
      }
    } else {
      this.backwardTruncated(truncate);
    }
    this.weightGrads();
    if (this.nonFinite === null) {
      for (let l = L - 1; l >= 0 && this.nonFinite === null; l--) {
        const dH = this.layers[l].dH;
        for (let t = T - 1; t >= 0; t--) {
          if (!finiteRun(dH, t * B * H, B * H)) {
            this.nonFinite = { step: t, what: `gradient ∂L/∂h_t of layer ${l} is not finite`, tensor: `∂L/∂h_t (layer ${l})` };
            break;
          }
        }
      }
    }
  }

  /** Per-loss truncation: for each step t with a loss, backpropagate ℓ_t through layers over steps t−k+1 … t. */
  private backwardTruncated(k: number): void {
    const { T, B, H, G, L } = this;
    const GH = G * H;
    const topInject = this.layers[L - 1].inject;
    // Per-t injections: row j of layer l receives the window's own gradient only.
    const inj: Float64Array[] = this.layers.map(() => new Float64Array(T * B * H));
    const local = this.layers.map(() => new Float64Array(T * B * GH));
    for (let t = 0; t < T; t++) {
      if (!anyNonZero(topInject, t * B * H, B * H)) continue;
      const lo = Math.max(0, t - k + 1);
      inj[L - 1].fill(0, lo * B * H, (t + 1) * B * H);
      inj[L - 1].set(topInject.subarray(t * B * H, (t + 1) * B * H), t * B * H);
      for (let l = L - 1; l >= 0; l--) {
        local[l].fill(0, lo * B * GH, (t + 1) * B * GH);
        this.backwardWindow(l, lo, t, inj[l], local[l]);
        if (l > 0) {
          inj[l - 1].fill(0, lo * B * H, (t + 1) * B * H);
          gemmNT((t - lo + 1) * B, H, GH, local[l], lo * B * GH, this.ihT[l], 0, inj[l - 1], lo * B * H, true, this.precision);
        }
      }
    }
  }

  /**
   * Backward through layer l over steps hi down to lo, starting with zero carried gradient at hi, adding
   * inject[t] at each step. Accumulates into dH, dPreIh, dPreHh. With `local`, also adds this window's
   * ∂/∂(W_ih x + b_ih) there (truncated mode feeds it to the layer below, per window).
   */
  private backwardWindow(l: number, lo: number, hi: number, inject: Float64Array, local: Float64Array | null): void {
    const { B, H, G } = this;
    const GH = G * H;
    const lb = this.layers[l];
    const whhT = this.whhTPacked[l];
    const sIh = this.sIh, sHh = this.sHh;
    let dh = this.dhCarry, dc = this.dcCarry, dhN = this.dhNext, dcN = this.dcNext;
    dh.fill(0);
    dc.fill(0);
    for (let t = hi; t >= lo; t--) {
      const base = t * B * H;
      for (let i = 0; i < B * H; i++) {
        dh[i] += inject[base + i];
        lb.dH[base + i] += dh[i];
      }
      for (let b = 0; b < B; b++) this.cellBackward(lb, t, b, dh, dc, dhN, dcN);
      const gOff = t * B * GH;
      addInto(lb.dPreIh, gOff, sIh, B * GH);
      if (lb.dPreHh !== lb.dPreIh) addInto(lb.dPreHh, gOff, sHh, B * GH);
      if (local) addInto(local, gOff, sIh, B * GH);
      if (t > lo) {
        // ∂/∂h_{t−1} = direct term (GRU) + (∂/∂pre_hh) · W_hh
        gemmNTPacked(B, sHh, 0, whhT, dhN, 0, this.cell === 'gru'); // only GRU has a direct term in dhN
        let tmp = dh; dh = dhN; dhN = tmp;
        tmp = dc; dc = dcN; dcN = tmp;
      }
    }
  }

  /** ∂L/∂W from the per-step pre-activation gradients: a few large products after the time loop. */
  private weightGrads(): void {
    const { T, B, H, G, L } = this;
    const GH = G * H;
    for (let l = 0; l < L; l++) {
      const lb = this.layers[l];
      gemmTNAcc(GH, lb.D, T * B, lb.dPreIh, 0, lb.X, 0, this.g(`rnn.weight_ih_l${l}`), 0, this.precision);
      gemmTNAcc(GH, H, T * B, lb.dPreHh, 0, lb.Hs, 0, this.g(`rnn.weight_hh_l${l}`), 0, this.precision);
      const gbi = this.g(`rnn.bias_ih_l${l}`), gbh = this.g(`rnn.bias_hh_l${l}`);
      for (let r = 0; r < T * B; r++) {
        for (let j = 0; j < GH; j++) {
          gbi[j] += lb.dPreIh[r * GH + j];
          gbh[j] += lb.dPreHh[r * GH + j];
        }
      }
    }
  }

  /**
   * Backward through one cell at step t for batch row b, given dh = ∂/∂h_t and (LSTM) dc = ∂/∂c_t from later
   * steps. Writes ∂/∂(input pre-activations) into sIh and ∂/∂(recurrent pre-activations) into sHh (the same
   * array except for GRU, whose candidate sees r ⊙ (W_hn h + b_hn)), the direct part of ∂/∂h_{t−1}
   * (GRU: dh ⊙ z, else 0) into dhPrev, and (LSTM) ∂/∂c_{t−1} into dcPrev.
   */
  cellBackward(lb: LayerBuffers, t: number, b: number, dh: Float64Array, dc: Float64Array, dhPrev: Float64Array, dcPrev: Float64Array): void {
    const { B, H, G } = this;
    const GH = G * H;
    const sIh = this.sIh, sHh = this.sHh;
    const o = b * H; // offset in the per-batch vectors
    const so = b * GH; // offset in the scratch pre-activation rows
    const st = (t * B + b) * H; // this step's per-unit caches
    const ht = (t + 1) * B * H + o; // h_t in Hs
    const hp = t * B * H + o; // h_{t−1} in Hs
    if (this.cell === 'rnn') {
      const Hs = lb.Hs;
      if (this.relu) for (let i = 0; i < H; i++) sIh[so + i] = dh[o + i] * (Hs[ht + i] > 0 ? 1 : 0);
      else
        for (let i = 0; i < H; i++) {
          const h = Hs[ht + i];
          sIh[so + i] = dh[o + i] * (1 - h * h);
        }
      dhPrev.fill(0, o, o + H);
    } else if (this.cell === 'lstm') {
      const acts = lb.acts!, Cs = lb.Cs!, tanhC = lb.tanhC!;
      const g0 = (t * B + b) * GH;
      for (let i = 0; i < H; i++) {
        const ig = acts[g0 + i], fg = acts[g0 + H + i], gg = acts[g0 + 2 * H + i], og = acts[g0 + 3 * H + i];
        const tc = tanhC[st + i];
        const dhi = dh[o + i];
        const dct = dc[o + i] + dhi * og * (1 - tc * tc);
        sIh[so + i] = dct * gg * ig * (1 - ig);
        sIh[so + H + i] = dct * Cs[hp + i] * fg * (1 - fg);
        sIh[so + 2 * H + i] = dct * ig * (1 - gg * gg);
        sIh[so + 3 * H + i] = dhi * tc * og * (1 - og);
        dcPrev[o + i] = dct * fg;
        dhPrev[o + i] = 0;
      }
    } else {
      const acts = lb.acts!, hn = lb.hn!, Hs = lb.Hs;
      const g0 = (t * B + b) * GH;
      for (let i = 0; i < H; i++) {
        const r = acts[g0 + i], z = acts[g0 + H + i], n = acts[g0 + 2 * H + i];
        const dhi = dh[o + i];
        const dnPre = dhi * (1 - z) * (1 - n * n);
        const drPre = dnPre * hn[st + i] * r * (1 - r);
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

function addInto(dst: Float64Array, off: number, src: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) dst[off + i] += src[i];
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

function finiteRun(a: Float64Array, off: number, n: number): boolean {
  let s = 0;
  for (let i = off; i < off + n; i++) s += a[i] * 0;
  return s === 0;
}

function anyNonZero(a: Float64Array, off: number, n: number): boolean {
  for (let i = off; i < off + n; i++) if (a[i] !== 0) return true;
  return false;
}
