// The recurrent cells as modules. A cell owns everything that depends on its equations: its gate blocks and their
// names, its PyTorch parameters, its forward step, its backward step, its step-Jacobian coefficients (for the
// diagnostics), the W_hh block whose ρ/σ_max the analysis reports, and the memory its tape takes per step. The network
// (network.ts) and the diagnostics (diagnostics.ts) drive every cell through this interface, so each derivative is
// written once, in the cell's file. Adding a cell: one module here, its entry in `cellOf`, and the names listed in
// docs/ARCHITECTURE.md ("A cell").
//
// Widths: H units per gate block (and per LSTM cell state), P the width of h_t (H, except an LSTM with proj_size,
// whose h_t = W_hr (o ⊙ tanh c_t) has P = proj_size). Every per-step array is t-major, [t][b][width], flat; a cell
// step works on all B rows of a step at once, so the hot loops make no call per element.
import type { CellKind, GateName, Precision, ResolvedModel } from '../../protocol/result';
import type { PackedOperand } from '../linalg';
import { gru } from './gru';
import { lstm } from './lstm';
import { rnnRelu, rnnTanh } from './rnn';

export { sigmoid, standardParams } from './common';

/** One layer's widths: H units per gate block, P entries of h_t (P = H but for an LSTM with proj_size). */
export interface CellDims {
  H: number;
  P: number;
}

/**
 * What the forward steps leave for the backward steps and the diagnostics, t-major. The caller allocates it (the
 * cell says which arrays it uses and how wide they are: `Cell.tape`).
 */
export interface Tape {
  /** Rows per step. */
  B: number;
  /** The input projection W_ih x_t (+ b_ih), [T][B][G·H]; the caller fills it before the steps. */
  pre: Float64Array;
  /** Hidden states, [T+1][B][P]; row block 0 is h_0. */
  Hs: Float64Array;
  /** LSTM cell states, [T+1][B][H] (block 0 is c_0); null for the others. */
  Cs: Float64Array | null;
  /** Gate activations, [T][B][G·H] in the cell's gate order; null for RNN (h_t is its only activation). */
  acts: Float64Array | null;
  /** One per-unit cache, [T][B][H]: LSTM tanh(c_t), GRU W_hn h_{t−1} + b_hn; null for RNN. */
  aux: Float64Array | null;
  /** LSTM with proj_size: m_t = o_t ⊙ tanh(c_t), the vector W_hr multiplies, [T][B][H]; null otherwise. */
  M: Float64Array | null;
  /**
   * float32: the LSTM's step after the sums (gates, c_t, h_t and their derivatives) in float32 arithmetic where the
   * kernels run it, as the model's float32 precision asks; absent or float64: float64.
   */
  precision?: Precision;
}

/** Which tape arrays a cell uses. */
export interface TapeLayout {
  cellState: boolean;
  acts: boolean;
  aux: boolean;
  /** The projected LSTM's m_t. */
  projected: boolean;
}

/** The weights a step needs besides the two products the caller makes (W_ih x_t and W_hh h_{t−1}). */
export interface CellWeights {
  /** b_hh, [G·H]; null for bias=False (b_ih is the caller's: it is part of the input projection). */
  bhh: Float64Array | null;
  /** LSTM proj_size: W_hr [P][H] and its transpose [H][P]; null otherwise. */
  whr: Float64Array | null;
  whrT: Float64Array | null;
}

/**
 * Where a backward step writes, rows 0…B−1 of one step (row b at b·width). Every entry of dIh and dHh is set, not
 * added to: in full BPTT the network points them at step t's rows of its own ∂/∂pre arrays.
 * - dIh: ∂/∂(W_ih x_t + b_ih), [B][G·H].
 * - dHh: ∂/∂(W_hh h_{t−1} + b_hh), [B][G·H]; the same array as dIh unless the cell has `separateHh` (GRU, whose
 *   candidate sees r ⊙ (W_hn h + b_hn)).
 * - dhPrev: the direct part of ∂/∂h_{t−1}, [B][P]: written only by a cell with `directPrev` (GRU's z path); the caller
 *   adds dHh · W_hh to it (or sets it, for the other cells).
 * - dcPrev: LSTM ∂/∂c_{t−1}, [B][H].
 * - scratch: [B][H] work space of a projected LSTM (∂/∂m_t); unused otherwise.
 */
export interface CellGrads {
  dIh: Float64Array;
  dHh: Float64Array;
  dhPrev: Float64Array;
  dcPrev: Float64Array;
  scratch: Float64Array;
}

/** A PyTorch parameter of one layer: name (under `rnn.`) and shape. */
export interface LayerParam {
  name: string;
  shape: number[];
}

export interface Cell {
  readonly kind: CellKind;
  /** Gate blocks: rows of W_ih and W_hh are G·H. */
  readonly G: number;
  /** Names of the gate blocks whose activations a Result carries, in order; empty for RNN. */
  readonly gates: readonly GateName[];
  /** The gate block of W_hh whose ρ and σ_max the analysis reports (the candidate: RNN's whole W_hh, LSTM g, GRU n). */
  readonly candidate: number;
  /** GRU: ∂/∂(recurrent pre-activations) differs from ∂/∂(input pre-activations), so the network keeps both. */
  readonly separateHh: boolean;
  /** GRU: h_t depends on h_{t−1} outside W_hh (through z), so ∂/∂h_{t−1} has a direct term. */
  readonly directPrev: boolean;
  /** Which tape arrays the steps use. */
  tape(dims: CellDims): TapeLayout;
  /** Doubles per step and sequence that the network and the Result keep for this cell beyond h_t, ∂L/∂h_t and the pre-activations (cost.ts). */
  extraDoublesPerStep(H: number): number;
  /** Layer l's parameters in PyTorch's state_dict order (nn.RNN/LSTM/GRU with bias and proj_size). */
  params(l: number, D: number, dims: CellDims, bias: boolean): LayerParam[];
  /** Cell-specific initialization after the common one (LSTM: the forget-gate bias). */
  initBiases(bih: Float64Array | null, bhh: Float64Array | null, H: number, init: ResolvedModel['init']): void;
  /**
   * Step t for all B rows: from the input projection tape.pre[t], hh = W_hh h_{t−1} ([B][G·H]) and the weights, write
   * h_t (tape.Hs row block t+1) and whatever the tape keeps (activations, c_t, caches). hh is the caller's scratch:
   * the step may overwrite it (it adds b_hh there).
   */
  forward(tape: Tape, t: number, hh: Float64Array, w: CellWeights, dims: CellDims): void;
  /**
   * Backward through step t for all B rows, given dh = ∂/∂h_t ([B][P]) and, for LSTM, dc = ∂/∂c_t ([B][H]) from later
   * steps. Writes `out` (see CellGrads). Reads the tape only.
   */
  backward(
    tape: Tape,
    t: number,
    dh: Float64Array,
    dc: Float64Array,
    w: CellWeights,
    dims: CellDims,
    out: CellGrads,
  ): void;
  /**
   * Optional: all T steps of a layer at once, run where the operands stay in the kernels' memory: the same values as
   * T calls of `forward` with hh = h_{t−1} · W_hhᵀ + b_hh (whh: W_hh packed; bhh null without biases). With keepTape
   * false, the tape beyond Hs may stay in the kernels' memory only, for the `backwardLoop` that comes next (its
   * arrays are then stale). False when it did nothing (the caller then steps).
   */
  forwardLoop?(
    tape: Tape,
    T: number,
    whh: PackedOperand,
    bhh: Float64Array | null,
    dims: CellDims,
    precision: Precision,
    keepTape: boolean,
  ): boolean;
  /**
   * Optional: full BPTT through a layer of a cell without `directPrev` or `separateHh`, steps T−1 down to 0: dH[t] =
   * (∂/∂pre_{t+1}) · W_hh + inject[t] and dPre[t] = ∂/∂pre_t, the same values as `backward` steps with the products
   * between them (whhT: W_hhᵀ packed). False when it did nothing.
   */
  backwardLoop?(
    tape: Tape,
    T: number,
    whhT: PackedOperand,
    inject: Float64Array,
    dH: Float64Array,
    dPre: Float64Array,
    dims: CellDims,
    precision: Precision,
    copyDPre: boolean,
  ): boolean;
  /**
   * Optional, with backwardLoop: the byte addresses in the kernels' memory where the last backwardLoop left this
   * tape's ∂/∂pre ([T][B][G·H]) and Hs ([T+1][B][P]), or null. When backwardLoop was told not to copy dPre and this
   * is null, it copied it anyway.
   */
  residentGradients?(tape: Tape): { dPre: number; Hs: number } | null;
  /** With the loops: bytes of the kernels' memory they take for T steps of B rows (for the cost estimate). */
  loopBytes?(T: number, B: number, dims: CellDims, precision: Precision): number;
  /** Entries of the state s_t whose step Jacobian ∂s_t/∂s_{t−1} the diagnostics take: h (H) or, for LSTM, (h, c) (2H). */
  stateWidth(H: number): number;
  /** Jacobian coefficients per unit: `jacobian` writes jacobianWidth·H of them for one step. */
  readonly jacobianWidth: number;
  /**
   * The coefficients of the step Jacobian at step t, row b (batch-1 diagnostics: b = 0), into coef[off…]: per-unit
   * numbers such that J v is a combination of diagonal scalings of W_hh's gate blocks applied to v (see jv).
   */
  jacobian(tape: Tape, t: number, b: number, H: number, coef: Float64Array, off: number): void;
  /**
   * The h path of the Jacobian (c_{t−1} held fixed for LSTM): row i of ∂h_t/∂h_{t−1} is
   * Σ_g rows[g·H + i] W_g[i] + rows[G·H + i] e_i. Writes (G+1)·H numbers.
   */
  hPath(coef: Float64Array, off: number, H: number, rows: Float64Array): void;
  /**
   * u = J q for the full state: y = W_hh q_h ([G·H]), q the state vector ([stateWidth]). Also writes x ([G·H]), the
   * gate-wise vector with Jᵀu = W_hhᵀ x + (the direct terms `jtDirect` adds).
   */
  jv(
    coef: Float64Array,
    off: number,
    H: number,
    y: Float64Array,
    yOff: number,
    q: Float64Array,
    qOff: number,
    u: Float64Array,
    uOff: number,
    x: Float64Array,
    xOff: number,
  ): void;
  /** w = Jᵀu given w's h part already holding W_hhᵀ x: adds the direct terms and writes the rest of the state (LSTM c). */
  jtDirect(
    coef: Float64Array,
    off: number,
    H: number,
    u: Float64Array,
    uOff: number,
    w: Float64Array,
    wOff: number,
  ): void;
}

/** The cell of a model: RNN (tanh or relu), LSTM or GRU. */
export function cellOf(kind: CellKind, nonlinearity: ResolvedModel['nonlinearity'] = 'tanh'): Cell {
  if (kind === 'lstm') return lstm;
  if (kind === 'gru') return gru;
  return nonlinearity === 'relu' ? rnnRelu : rnnTanh;
}

/** The H×H block of W_hh ([G·H][H]) whose ρ and σ_max are reported: W_hh itself for a one-block cell, else a copy of the candidate's rows. */
export function candidateBlock(cell: Cell, W: Float64Array, H: number): Float64Array {
  return cell.G === 1 ? W : W.slice(cell.candidate * H * H, (cell.candidate + 1) * H * H);
}
