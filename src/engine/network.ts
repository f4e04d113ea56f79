// Forward through stacked recurrent layers, the output layer and loss, then backpropagation through time (full or
// truncated to k steps), with ∂L/∂h_t kept for every step.
//
// Layout: every per-step buffer is t-major, [t][b][unit], flat. Hs has T+1 rows: Hs[0] = h_0 = 0, Hs[t+1] = h_t.
// Buffers are allocated once per (T, B) and reused; the time loops allocate nothing.
// The network owns the products with the weight matrices (W_ih x for all steps at once, W_hh h_{t−1} per step, the
// weight gradients after the time loop); the cell module (src/engine/cells) owns everything between them: its step,
// its backward step and its tape. Cells follow PyTorch's equations (cells/rnn.ts, lstm.ts, gru.ts).
// Parameters without a tensor in the ParamSet are left out: a model without bias_ih/bias_hh runs as bias=False.
import type { CellKind, NonFinite, Precision, ResolvedModel } from '../protocol/result';
import type { ParamSet, SequenceData } from './types';
import { PackedOperand, gemmNT, gemmNTPacked, gemmTNAcc, transpose } from './linalg';
import { cellOf, type Cell, type CellDims, type CellGrads, type CellWeights, type Tape } from './cells';
import { oneHotIndices, oneHotProjection, oneHotWeightGrad } from './oneHot';
import { softmaxXent } from './loss';

/** One layer's buffers: the cell's tape (pre, Hs, Cs, acts, aux, M; see cells/index.ts) and the gradients. */
export interface LayerBuffers extends Tape {
  D: number;
  /** Layer input, [T][B][D] (layer 0: the data; above: a view of the lower layer's Hs without its h_0 row). */
  X: Float64Array;
  dPreIh: Float64Array; // ∂L/∂(W_ih x_t + b_ih) [T][B][GH]
  dPreHh: Float64Array; // ∂L/∂(W_hh h_{t−1} + b_hh); the same array as dPreIh unless the cell has separateHh (GRU)
  dH: Float64Array; // ∂L/∂h_t [T][B][H], total
  inject: Float64Array; // gradient arriving at h_t from above (output layer or next layer) [T][B][H]
}

export class Network {
  readonly kind: CellKind;
  /** The cell's equations: step, backward step, Jacobian coefficients. */
  readonly cell: Cell;
  readonly dims: CellDims;
  readonly H: number;
  readonly G: number;
  readonly L: number;
  readonly O: number;
  readonly xent: boolean;
  /** Arithmetic of the matrix products and of the LSTM's step (model `precision`); everything else is float64. */
  readonly precision: Precision;
  /**
   * Whether a cell that can run a layer's whole time loop in the kernels' memory does so (cells `forwardLoop`,
   * `backwardLoop`); false steps through the cell one step at a time. The same values either way (tested).
   */
  loops = true;
  /**
   * Whether forward leaves the whole tape (gates, c_t, caches) in the layer buffers. A trainer that needs only the
   * gradients of full BPTT sets false: a cell running its time loop in the kernels' memory may then keep the top
   * layer's tape there for the backward that follows, and the buffers' gates and states (but Hs) are stale, as is the
   * bottom layer's ∂/∂pre (the weight gradients read it where the backward loop left it). Truncated BPTT reads the
   * buffers, so it needs true.
   */
  keepTape = true;
  T = 0;
  B = 0;
  layers: LayerBuffers[] = [];
  out = new Float64Array(0); // logits / predictions [T][B][O]
  dOut = new Float64Array(0);
  lossPerStep = new Float64Array(0); // [T], summed over the batch
  /** Cross-entropy: each row's class (−1: no target) and loss, [T][B]. */
  private classes = new Int32Array(0);
  private rowLoss = new Float64Array(0);
  grads: ParamSet = new Map();
  nonFinite: NonFinite | null = null;
  /**
   * Transposed copies of the weights that multiply gradients in backward (W_hhᵀ per layer, W_ihᵀ above layer 0, W_fcᵀ),
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
  /** Where cell.backward writes; dhPrev/dcPrev are pointed at the swapped carries each step. */
  private cellOut: CellGrads = {
    dIh: this.sIh,
    dHh: this.sHh,
    dhPrev: this.dhNext,
    dcPrev: this.dcNext,
    scratch: new Float64Array(0),
  };
  /** b_hh per layer (null without biases), refreshed by every forward: params may be replaced between runs. */
  private readonly weights: CellWeights[] = [];
  /**
   * When every row of the loaded input is one-hot (a char-lm's characters), the column of each row's 1 ([T·B], set by
   * load): W_ih x_t is then a gather of W_ih's columns and ∂L/∂W_ih a scatter-add (oneHot.ts), the same numbers as
   * the dense products. null otherwise.
   */
  private inputIds: Int32Array | null = null;
  private idScratch = new Int32Array(0);
  /** The gather's table and the scatter's sums (D·G·H each time). */
  private oneHotScratch = new Float64Array(0);

  constructor(
    readonly model: ResolvedModel,
    public params: ParamSet,
  ) {
    this.kind = model.cell;
    this.cell = cellOf(model.cell, model.nonlinearity);
    this.H = model.hidden;
    this.dims = { H: this.H, P: this.H };
    this.G = this.cell.G;
    this.L = model.layers;
    this.O = model.outputSize;
    this.xent = model.loss === 'xent';
    this.precision = model.precision ?? 'float64';
    for (const [name, t] of params) this.grads.set(name, { shape: t.shape, data: new Float64Array(t.data.length) });
    for (let l = 0; l < this.L; l++) {
      this.hhT.push(new Float64Array(this.p(`rnn.weight_hh_l${l}`).length));
      this.ihT.push(new Float64Array(l > 0 ? this.p(`rnn.weight_ih_l${l}`).length : 0));
      this.whhPacked.push(new PackedOperand(this.G * this.H, this.H, this.precision));
      this.whhTPacked.push(new PackedOperand(this.H, this.G * this.H, this.precision));
      this.weights.push({ bhh: null, whr: null, whrT: null });
    }
    this.fcT = new Float64Array(this.p('fc.weight').length);
  }

  /** W_hh of layer l ([G·H][H]) as of the last forward, packed in the products' precision: h · W_hhᵀ is gemmNTPacked with it. */
  recurrent(l: number): PackedOperand {
    return this.whhPacked[l];
  }

  /** W_hhᵀ of layer l ([H][G·H]) as of the last backward, packed: ∂/∂h_{t−1} += (∂/∂pre_hh) · W_hh is gemmNTPacked with it. */
  recurrentTransposed(l: number): PackedOperand {
    return this.whhTPacked[l];
  }

  /**
   * Refresh the transposes the diagnostics multiply with (backward does it on every call) for buffers filled from
   * elsewhere: the trace replay fills a one-layer network's tape and runs the diagnostics on it without a backward.
   */
  prepareDiagnostics(): void {
    this.refreshTransposes();
    // A network filled from elsewhere (a trace replay) never ran forward, which packs W_hh for the step gain.
    for (let l = 0; l < this.L; l++) this.whhPacked[l].load(this.p(`rnn.weight_hh_l${l}`));
  }

  private refreshTransposes(): void {
    const { H, G, L } = this;
    for (let l = 0; l < L; l++) {
      transpose(G * H, H, this.p(`rnn.weight_hh_l${l}`), 0, this.hhT[l], 0);
      this.whhTPacked[l].load(this.hhT[l]);
      // W_ihᵀ carries gradients to the layer below: none below layer 0
      if (l > 0) transpose(G * H, this.layers[l].D, this.p(`rnn.weight_ih_l${l}`), 0, this.ihT[l], 0);
    }
    transpose(this.O, H, this.p('fc.weight'), 0, this.fcT, 0);
  }

  /** The weights cell steps of layer l take besides W_ih and W_hh (as of the last forward). */
  cellWeights(l: number): CellWeights {
    return this.weights[l];
  }

  p(name: string): Float64Array {
    return this.params.get(name)!.data;
  }

  /** A parameter that a model may leave out (biases with bias=False): null when absent. */
  private optional(name: string): Float64Array | null {
    return this.params.get(name)?.data ?? null;
  }

  g(name: string): Float64Array {
    return this.grads.get(name)!.data;
  }

  /** Allocate buffers for T steps × B sequences (kept when the size is unchanged). */
  ensure(T: number, B: number): void {
    if (T === this.T && B === this.B) return;
    this.T = T;
    this.B = B;
    const { H, G, L, O, cell, dims } = this;
    const { P } = dims;
    const GH = G * H;
    const layout = cell.tape(dims);
    this.layers = [];
    for (let l = 0; l < L; l++) {
      const D = l === 0 ? this.model.inputSize : P;
      const dPreIh = new Float64Array(T * B * GH);
      this.layers.push({
        B,
        D,
        X: l === 0 ? new Float64Array(T * B * D) : this.layers[l - 1].Hs.subarray(B * P),
        pre: new Float64Array(T * B * GH),
        Hs: new Float64Array((T + 1) * B * P),
        Cs: layout.cellState ? new Float64Array((T + 1) * B * H) : null,
        acts: layout.acts ? new Float64Array(T * B * GH) : null,
        aux: layout.aux ? new Float64Array(T * B * H) : null,
        M: layout.projected ? new Float64Array(T * B * H) : null,
        precision: this.precision,
        dPreIh,
        dPreHh: cell.separateHh ? new Float64Array(T * B * GH) : dPreIh,
        dH: new Float64Array(T * B * H),
        inject: new Float64Array(T * B * H),
      });
    }
    this.out = new Float64Array(T * B * O);
    this.dOut = new Float64Array(T * B * O);
    this.lossPerStep = new Float64Array(T);
    this.classes = new Int32Array(this.xent ? T * B : 0);
    this.rowLoss = new Float64Array(this.xent ? T * B : 0);
    this.hh = new Float64Array(B * GH);
    this.dhCarry = new Float64Array(B * H);
    this.dcCarry = new Float64Array(B * H);
    this.dhNext = new Float64Array(B * H);
    this.dcNext = new Float64Array(B * H);
    this.sIh = new Float64Array(B * GH);
    this.sHh = cell.separateHh ? new Float64Array(B * GH) : this.sIh;
    this.cellOut = {
      dIh: this.sIh,
      dHh: this.sHh,
      dhPrev: this.dhNext,
      dcPrev: this.dcNext,
      scratch: new Float64Array(layout.projected ? B * H : 0),
    };
  }

  /** Copy a batch of equal-length sequences into the input buffer. */
  load(batch: SequenceData[]): void {
    const T = batch[0].T;
    const B = batch.length;
    this.ensure(T, B);
    const D = this.model.inputSize;
    const X = this.layers[0].X;
    let given = true;
    for (const s of batch) {
      if (s.T !== T) throw new Error('a batch needs sequences of equal length');
      if (!s.inputIds || !inRange(s.inputIds, T, D)) given = false;
    }
    if (this.idScratch.length !== T * B) this.idScratch = new Int32Array(T * B);
    const ids = this.idScratch;
    if (given) {
      // One-hot rows given by their columns (a char-lm's windows): X from those, without reading `inputs`.
      X.fill(0);
      for (let b = 0; b < B; b++) {
        const c = batch[b].inputIds!;
        for (let t = 0; t < T; t++) {
          ids[t * B + b] = c[t];
          X[(t * B + b) * D + c[t]] = 1;
        }
      }
      this.inputIds = ids;
    } else {
      for (let b = 0; b < B; b++) {
        const s = batch[b];
        for (let t = 0; t < T; t++) X.set(s.inputs.subarray(t * D, (t + 1) * D), (t * B + b) * D);
      }
      this.inputIds = oneHotIndices(T * B, D, X, 0, ids) ? ids : null;
    }
    if (this.inputIds && this.oneHotScratch.length < D * this.G * this.H)
      this.oneHotScratch = new Float64Array(D * this.G * this.H);
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
      const b_ih = this.optional(`rnn.bias_ih_l${l}`);
      // Input projections of all steps at once: one product instead of T (a gather of W_ih's columns for one-hot inputs).
      const ids = l === 0 ? this.inputIds : null;
      if (!ids || !oneHotProjection(T * B, GH, lb.D, ids, W_ih, b_ih, lb.pre, this.precision, this.oneHotScratch)) {
        gemmNT(T * B, GH, lb.D, lb.X, 0, W_ih, 0, lb.pre, 0, false, this.precision, b_ih);
      }
      this.whhPacked[l].load(this.p(`rnn.weight_hh_l${l}`));
      this.weights[l].bhh = this.optional(`rnn.bias_hh_l${l}`);
      const looped =
        this.loops &&
        this.cell.forwardLoop?.(
          lb,
          T,
          this.whhPacked[l],
          this.weights[l].bhh,
          this.dims,
          this.precision,
          this.keepTape || l < L - 1,
        );
      if (!looped) for (let t = 0; t < T; t++) this.step(l, t);
      for (let t = 0; t < T && this.nonFinite === null; t++) {
        if (!finiteRun(lb.Hs, (t + 1) * B * H, B * H)) {
          this.nonFinite = {
            step: t,
            what: `hidden state h_t of layer ${l} is not finite`,
            tensor: `h_t (layer ${l})`,
          };
        }
      }
    }
    return this.outputAndLoss(batch);
  }

  /**
   * One recurrent step of layer l at time t for the whole batch: W_hh h_{t−1} + b_hh here (W_hh packed by forward; the
   * product adds the bias row, as the cell's own add would), the rest in the cell, which is told of no b_hh.
   */
  private step(l: number, t: number): void {
    const lb = this.layers[l];
    gemmNTPacked(this.B, lb.Hs, t * this.B * this.dims.P, this.whhPacked[l], this.hh, 0, false, this.weights[l].bhh);
    this.cell.forward(lb, t, this.hh, NO_BHH, this.dims);
  }

  /** Output layer, per-step loss and ∂loss/∂output; fills lossPerStep (summed over batch). */
  private outputAndLoss(batch: SequenceData[]): number {
    const { T, B, H, O } = this;
    const top = this.layers[this.L - 1];
    const W = this.p('fc.weight');
    const bias = this.p('fc.bias');
    gemmNT(T * B, O, H, top.Hs, B * H, W, 0, this.out, 0, false, this.precision);
    const out = this.out,
      dOut = this.dOut,
      lossPerStep = this.lossPerStep;
    lossPerStep.fill(0);
    let total = 0;
    if (this.xent) {
      // Every row's class (−1: no target at that step), then softmax and ∂ℓ/∂out over all T·B rows in one call.
      const ys = this.classes,
        rowLoss = this.rowLoss;
      for (let b = 0; b < B; b++) {
        const s = batch[b];
        for (let t = 0; t < T; t++) {
          const y = s.targets[t];
          if (s.mask[t] && !(Number.isInteger(y) && y >= 0 && y < O))
            throw new RangeError(`the target of step ${t + 1} is ${y}, not a class index in 0…${O - 1}`);
          ys[t * B + b] = s.mask[t] ? y : -1;
        }
      }
      softmaxXent(T * B, O, out, bias, ys, B, dOut, rowLoss);
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) {
          if (ys[t * B + b] < 0) continue;
          const l = rowLoss[t * B + b];
          lossPerStep[t] += l;
          total += l;
        }
      }
    } else {
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) {
          const s = batch[b];
          const o = (t * B + b) * O;
          for (let j = 0; j < O; j++) out[o + j] += bias[j];
          if (!s.mask[t]) {
            dOut.fill(0, o, o + O);
            continue;
          }
          let l = 0;
          for (let j = 0; j < O; j++) {
            const e = out[o + j] - s.targets[t * O + j];
            l += e * e;
            dOut[o + j] = (2 * e) / B;
          }
          lossPerStep[t] += l;
          total += l;
        }
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
    if (truncate !== null && truncate < T && !this.keepTape)
      throw new Error('truncated BPTT reads the whole tape: set keepTape before the forward');
    for (const g of this.grads.values()) g.data.fill(0);
    const top = this.layers[L - 1];
    // Output layer: ∂L/∂W_fc = Σ_t dOut_tᵀ h_t ; gradient into h_t of the top layer.
    // (and ∂L/∂b_fc = Σ_t dOut_t, summed as the product stages dOut)
    gemmTNAcc(O, H, T * B, this.dOut, 0, top.Hs, B * H, this.g('fc.weight'), 0, this.precision, this.g('fc.bias'));
    this.refreshTransposes();
    gemmNT(T * B, H, O, this.dOut, 0, this.fcT, 0, top.inject, 0, false, this.precision);
    if (truncate === null || truncate >= T) {
      // Full BPTT sets every row of dH, dPreIh and dPreHh once (backwardWindow without `local`): no zeroing first.
      for (let l = L - 1; l >= 0; l--) {
        const lb = this.layers[l];
        const looped =
          this.loops &&
          this.cell.backwardLoop?.(
            lb,
            T,
            this.whhTPacked[l],
            lb.inject,
            lb.dH,
            lb.dPreIh,
            this.dims,
            this.precision,
            this.keepTape || l > 0, // the layer below reads ∂/∂pre from the buffer
          );
        if (!looped) this.backwardWindow(l, 0, T - 1, lb.inject, null);
        if (l > 0) {
          const below = this.layers[l - 1];
          gemmNT(
            T * B,
            H,
            this.G * H,
            this.layers[l].dPreIh,
            0,
            this.ihT[l],
            0,
            below.inject,
            0,
            false,
            this.precision,
          );
        }
      }
    } else {
      for (const lb of this.layers) {
        lb.dH.fill(0);
        lb.dPreIh.fill(0);
        if (lb.dPreHh !== lb.dPreIh) lb.dPreHh.fill(0);
      }
      this.backwardTruncated(truncate);
    }
    this.weightGrads();
    if (this.nonFinite === null) {
      for (let l = L - 1; l >= 0 && this.nonFinite === null; l--) {
        const dH = this.layers[l].dH;
        for (let t = T - 1; t >= 0; t--) {
          if (!finiteRun(dH, t * B * H, B * H)) {
            this.nonFinite = {
              step: t,
              what: `gradient ∂L/∂h_t of layer ${l} is not finite`,
              tensor: `∂L/∂h_t (layer ${l})`,
            };
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
          gemmNT(
            (t - lo + 1) * B,
            H,
            GH,
            local[l],
            lo * B * GH,
            this.ihT[l],
            0,
            inj[l - 1],
            lo * B * H,
            true,
            this.precision,
          );
        }
      }
    }
  }

  /**
   * Backward through layer l over steps hi down to lo, starting with zero carried gradient at hi, adding
   * inject[t] at each step. With `local` (truncated mode), accumulates into dH, dPreIh, dPreHh and also adds this
   * window's ∂/∂(W_ih x + b_ih) to `local` (fed to the layer below, per window); without it (full BPTT, every step
   * visited once), sets their rows.
   */
  private backwardWindow(l: number, lo: number, hi: number, inject: Float64Array, local: Float64Array | null): void {
    const { B, H, G } = this;
    const GH = G * H;
    const lb = this.layers[l];
    const whhT = this.whhTPacked[l];
    const sIh = this.sIh,
      sHh = this.sHh,
      out = this.cellOut,
      w = this.weights[l],
      cell = this.cell;
    let dh = this.dhCarry,
      dc = this.dcCarry,
      dhN = this.dhNext,
      dcN = this.dcNext;
    dh.fill(0);
    dc.fill(0);
    out.dIh = sIh;
    out.dHh = sHh;
    for (let t = hi; t >= lo; t--) {
      const base = t * B * H;
      const dH = lb.dH;
      if (local)
        for (let i = 0; i < B * H; i++) {
          dh[i] += inject[base + i];
          dH[base + i] += dh[i];
        }
      else
        for (let i = 0; i < B * H; i++) {
          const v = dh[i] + inject[base + i];
          dh[i] = v;
          dH[base + i] = v;
        }
      out.dhPrev = dhN;
      out.dcPrev = dcN;
      const gOff = t * B * GH;
      if (local) {
        cell.backward(lb, t, dh, dc, w, this.dims, out);
        addInto(lb.dPreIh, gOff, sIh, B * GH);
        if (lb.dPreHh !== lb.dPreIh) addInto(lb.dPreHh, gOff, sHh, B * GH);
        addInto(local, gOff, sIh, B * GH);
      } else {
        // Full BPTT visits each step once and dPreIh/dPreHh start at zero: the cell writes its rows there directly.
        out.dIh = lb.dPreIh.subarray(gOff, gOff + B * GH);
        out.dHh = lb.dPreHh === lb.dPreIh ? out.dIh : lb.dPreHh.subarray(gOff, gOff + B * GH);
        cell.backward(lb, t, dh, dc, w, this.dims, out);
      }
      if (t > lo) {
        // ∂/∂h_{t−1} = the cell's direct term (GRU) + (∂/∂pre_hh) · W_hh
        if (local) gemmNTPacked(B, sHh, 0, whhT, dhN, 0, cell.directPrev);
        else gemmNTPacked(B, lb.dPreHh, gOff, whhT, dhN, 0, cell.directPrev);
        let tmp = dh;
        dh = dhN;
        dhN = tmp;
        tmp = dc;
        dc = dcN;
        dcN = tmp;
      }
    }
  }

  /** ∂L/∂W from the per-step pre-activation gradients: a few large products after the time loop. */
  private weightGrads(): void {
    const { T, B, H, G, L } = this;
    const GH = G * H;
    for (let l = 0; l < L; l++) {
      const lb = this.layers[l];
      const gih = this.g(`rnn.weight_ih_l${l}`);
      // The bias gradients are the column sums of the pre-activation gradients, formed as the products stage them
      // (null without biases); without separateHh both biases see the same gradient, so the same sums.
      const gbi = this.grads.get(`rnn.bias_ih_l${l}`)?.data ?? null,
        gbh = this.grads.get(`rnn.bias_hh_l${l}`)?.data ?? null;
      const shared = lb.dPreHh === lb.dPreIh;
      const ids = l === 0 ? this.inputIds : null;
      // ∂/∂pre and Hs where a cell's backward loop left them in the kernels' memory (-1: read the buffers)
      const resident = this.cell.residentGradients?.(lb) ?? null;
      const dPreAt = resident ? resident.dPre : -1,
        hsAt = resident ? resident.Hs : -1;
      // One-hot inputs: a scatter-add, with ∂L/∂b_ih's column sums in the same pass over dPreIh. If a sum came out
      // non-finite: the dense product (whose 0·∞ terms spread NaN), from the zeros backward started them at.
      const scattered =
        ids !== null &&
        oneHotWeightGrad(
          GH,
          lb.D,
          T * B,
          lb.dPreIh,
          0,
          ids,
          gih,
          this.precision,
          this.oneHotScratch,
          gbi,
          true,
          dPreAt,
        );
      if (!scattered) {
        if (ids) {
          gih.fill(0);
          if (gbi) gbi.fill(0);
        }
        gemmTNAcc(GH, lb.D, T * B, lb.dPreIh, 0, lb.X, 0, gih, 0, this.precision, gbi, dPreAt);
      }
      gemmTNAcc(
        GH,
        H,
        T * B,
        lb.dPreHh,
        0,
        lb.Hs,
        0,
        this.g(`rnn.weight_hh_l${l}`),
        0,
        this.precision,
        shared ? null : gbh,
        shared ? dPreAt : -1,
        hsAt,
      );
      if (shared && gbi && gbh) gbh.set(gbi);
    }
  }
}

/** The cell weights of a step whose product already added b_hh (a network has no projection: no W_hr). */
const NO_BHH: CellWeights = { bhh: null, whr: null, whrT: null };

/** Whether ids[0 … T) are all columns of a row of D: 0 ≤ id < D. */
function inRange(ids: Int32Array, T: number, D: number): boolean {
  if (ids.length < T) return false;
  for (let t = 0; t < T; t++) if (!(ids[t] >= 0 && ids[t] < D)) return false;
  return true;
}

function addInto(dst: Float64Array, off: number, src: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) dst[off + i] += src[i];
}

/** Whether a[off … off + n) is all finite: x·0 is 0 for finite x and NaN otherwise (four sums, so the adds overlap). */
function finiteRun(a: Float64Array, off: number, n: number): boolean {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let i = off;
  const end = off + n;
  for (; i + 3 < end; i += 4) {
    s0 += a[i] * 0;
    s1 += a[i + 1] * 0;
    s2 += a[i + 2] * 0;
    s3 += a[i + 3] * 0;
  }
  for (; i < end; i++) s0 += a[i] * 0;
  return s0 + s1 + s2 + s3 === 0;
}

function anyNonZero(a: Float64Array, off: number, n: number): boolean {
  for (let i = off; i < off + n; i++) if (a[i] !== 0) return true;
  return false;
}
