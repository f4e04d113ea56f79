// The Result of one analysis: what the engine computes and every view draws.
// In memory, large arrays are flat row-major Float64Arrays so they cross worker/webview boundaries as
// transferable buffers; `resultToJson` gives the nested-array JSON contract of the CLI's --json.

import type { CellKind } from './kinds';
export type { CellKind };
export type Nonlinearity = 'tanh' | 'relu';
/** 'trace': a replayed PyTorch trace snapshot (`*.unroll-trace`), whose loss is the user's own, not one of Unroll's tasks. */
export type TaskKind = 'next-step' | 'char-lm' | 'seq-to-one' | 'columns' | 'trace';
export type LossKind = 'mse' | 'xent';
export type InitKind = 'pytorch' | 'xavier' | 'orthogonal' | 'identity';
export type OptimizerKind = 'sgd' | 'momentum' | 'adam' | 'adagrad' | 'rmsprop';
/** Arithmetic of the matrix products: float64 throughout, or float32 products and LSTM steps (the rest stays float64). */
export type Precision = 'float64' | 'float32';
export type GateName = 'i' | 'f' | 'g' | 'o' | 'r' | 'z' | 'n';

/** A row-major matrix: element (r, c) is data[r * cols + c]. */
export interface Mat {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** A tensor in PyTorch's layout (row-major, C order). */
export interface Tensor {
  shape: number[];
  data: Float64Array;
}

/** A model file after defaults are filled in: everything the engine needs, nothing optional left to guess. */
export interface ResolvedModel {
  cell: CellKind;
  nonlinearity: Nonlinearity;
  inputSize: number;
  hidden: number;
  outputSize: number;
  layers: number;
  task: TaskKind;
  loss: LossKind;
  /** For task `columns`: the input and target column names. */
  inputs?: string[];
  targets?: string[];
  init: { kind: InitKind; spectralRadius?: number; forgetBias?: number; gain?: number };
  /** null = full BPTT. */
  bptt: { truncate: number | null };
  optimizer: { kind: OptimizerKind; lr: number; momentum?: number; beta1?: number; beta2?: number; eps?: number };
  clip: { norm?: number; value?: number } | null;
  epochs: number;
  /** Sequences per training batch (model file `batch`, default 16). */
  batch: number;
  /**
   * Held-out sequences: a fraction of the sequences (0 = none; a seeded shuffle picks them) or a data file with the
   * same columns (absolute path after loading). Training never sees them; the held-out loss is measured on them.
   */
  validation: { fraction: number } | { file: string };
  /**
   * Steps per window: longer sequences are split into consecutive windows of this many steps, which training uses
   * as its sequences; the analysis shows the first (seq-to-one keeps the last `window` steps, where its target is).
   */
  window: number;
  seed: number;
  /**
   * Arithmetic of the matrix products (model file `precision`): float64, or float32 products (operands rounded to
   * float32, float32 sums) and float32 LSTM steps (gates, c_t, h_t and their derivatives, where the kernels run them)
   * with everything else in float64. Absent means float64 (load always sets it).
   */
  precision?: Precision;
  /** Paths as written in the model file (relative to it), or the data file itself for a bare data file. */
  data: string;
  weights?: string;
  compare?: CellKind[];
}

export interface FlowDecay {
  /** d = t − k for d = 0 … max distance measured. */
  distance: number[];
  /** Mean of log10‖∂ℓ_t/∂h_{t−d}‖ over the rows measured (NaN where no finite, non-zero value exists). */
  meanLog10: number[];
  /** Standard deviation of the same. */
  stdLog10: number[];
  /** How many (t, k) pairs contributed at each distance. */
  count: number[];
  /** Least-squares slope of meanLog10 against d (log10 per step). */
  slope: number;
  /** Smallest d where meanLog10 falls 3 below its value at d = 0 (1e-3 of d = 0); null if it never does in range. */
  horizon: number | null;
}

export interface Flow {
  /** The rows t of the flow matrix that were computed (all steps when `exact`). */
  steps: number[];
  /** matrix[i][k] = ‖∂ℓ_t/∂h_k‖ for t = steps[i], k = 0 … t. Zero beyond a truncation cut. */
  matrix: Float64Array[];
  /** True when every row was computed. */
  exact: boolean;
  /** Truncated BPTT's k (the cut), or null for full BPTT. */
  truncate: number | null;
  decay: FlowDecay;
}

export interface Spectral {
  /** Spectral radius ρ of the recurrent matrix analysed (see `matrix`). */
  radius: number;
  /** Largest singular value σ_max of the same matrix. */
  sigmaMax: number;
  /**
   * Measured per-step gain of the last layer: geometric mean over steps of ‖∂h_t/∂h_{t−1}‖₂ (the full step Jacobian,
   * gates included; for an LSTM the state is (h_t, c_t), through which the gradient travels). For a vanilla RNN it
   * never exceeds γσ_max; for gated cells ρ and σ_max describe only the candidate block, and this is the number that
   * bounds how the gradient fares: below 1 it must shrink; above 1 it may grow (the decay slope says whether it does).
   * Computed on all steps, or on an evenly spaced subset when the work would exceed one forward + backward pass.
   * null with fewer than 2 steps or a non-finite state.
   */
  stepGain: number | null;
  /** Bound on |f′|: 1 for tanh and relu, 1/4 for the logistic sigmoid. */
  gamma: number;
  bound: '(γσ)^d';
  /** log10(γ σ_max): the slope of the bound line in the decay view. */
  boundSlope: number;
  /** Which matrix: 'weight_hh_l{n}' for a vanilla RNN; for gated cells the candidate block ('…[g]' or '…[n]'). */
  matrix: string;
}

export interface NonFinite {
  /** Time step of the first non-finite value, or −1 when it is not tied to a step (the gradient norm, an update). */
  step: number;
  what: string;
  /** Training only: where it happened (1-based epoch, 1-based batch of `batches` in that epoch). */
  epoch?: number;
  batch?: number;
  batches?: number;
  /** The tensor holding the first non-finite value: 'h_t (layer 0)', 'loss', 'rnn.weight_hh_l0', … */
  tensor?: string;
  /** The last batch that was still finite: its place and numbers. */
  lastFinite?: { epoch: number; batch: number; loss: number; gradNorm: number; radius: number; sigmaMax: number };
}

/** Which weights an analysis describes: every verdict must name them ("at initialization", "after 30 epochs"). */
export type WeightsState =
  | { kind: 'initialization'; init: InitKind }
  | {
      kind: 'file';
      path: string;
      /** Epochs recorded in the file by the Unroll training that wrote it. */ trainedEpochs?: number;
    }
  | { kind: 'trained'; epochs: number; startedFrom: 'initialization' | 'file' };

/** The trivial predictor a trained model must beat, computed from the data. */
export interface LossBaseline {
  /** 'mean': always predict the training targets' mean (regression, seq-to-one); 'unigram': the training targets' frequencies (char-lm, copy). */
  kind: 'mean' | 'unigram';
  /** Its loss in the training loss's unit, on the held-out sequences (on the training ones when none are held out). */
  loss: number;
  /** E.g. "predicting the mean target (0.98)". */
  what: string;
}

/** What a training run measured, carried by the analysis of its weights so the summary can say what was learned. */
export interface TrainingSummary {
  reason: 'finished' | 'cancelled' | 'nonFinite';
  /** Epochs completed. */
  epochs: number;
  /** The unit of every loss here, e.g. "mean squared error per target step". */
  unit: string;
  trainSequences: number;
  heldOutSequences: number;
  batch: number;
  baseline: LossBaseline;
  /** One point per completed epoch. */
  history: TrainPoint[];
  nonFinite: NonFinite | null;
  /**
   * Set when the loss stayed finite but grew more than 1e6× over the first epoch's value (training went on): the
   * first epoch past that, and the largest growth (loss / first epoch's loss) seen.
   */
  diverging?: { epoch: number; factor: number };
}

/** Per-layer traces (index 0 = first layer). The top-level fields repeat the last layer. */
export interface LayerTrace {
  hidden: Mat;
  dLdh: Mat;
  cell?: Mat;
  gates?: Partial<Record<GateName, Mat>>;
}

export interface AnalysisResult {
  model: ResolvedModel;
  /** L = Σ_t ℓ_t on the analyzed sequence. */
  loss: number;
  lossPerStep: Float64Array;
  /** ∂L/∂θ under PyTorch parameter names, in each parameter's shape. */
  grads: Record<string, Tensor>;
  /** Last layer: ∂L/∂h_t [T][H], h_t [T][H], LSTM cell c_t, gate activations. */
  dLdh: Mat;
  hidden: Mat;
  cell?: Mat;
  gates?: Partial<Record<GateName, Mat>>;
  /** ‖∂h_t/∂h_{t−1}‖_F of the last layer for t = 1 … T−1 (index t; entry 0 is 0): edge widths of the unrolled view. */
  stepJacobian: Float64Array;
  /** LSTM only: mean forget gate per step, the cell path's diag(f_t) approximation (labelled as such). */
  forgetMean?: Float64Array;
  flow: Flow;
  /** ‖Σ_t (term of ∂ℓ_t/∂W_hh at step t−d)‖_F for each d, over the flow rows computed (exact when flow.exact). */
  whhByDistance: Float64Array;
  spectral: Spectral;
  /** global = ‖all gradients‖₂ before clipping; one entry per parameter name. */
  gradNorms: Record<string, number> & { global: number };
  /** How many clipping events fired (0 or 1 for one analysis; summed over steps in training). */
  clipped: number;
  nonFinite: NonFinite | null;
  /** Fraction of steps k with ‖∂L/∂h_k‖² > 1e-20 (Pascanu et al. 2013). */
  aliveFraction: number;
  layers?: LayerTrace[];
  /** Present when these weights come from a training run (this one, or a compare's): what it measured. */
  training?: TrainingSummary;
  /**
   * The analyzed sequence itself, so the views can label x_t and y_t: inputs [T][inputSize] and targets [T][outputSize]
   * (cross-entropy: [T][1], the class index), NaN in every column of a step without a target (seq-to-one: all but the
   * last). Absent in Results recorded before they were added.
   */
  input?: Mat;
  target?: Mat;
  /** Where the numbers came from, for summaries and reports. */
  meta: ResultMeta;
  /** A replay of a PyTorch trace snapshot (`*.unroll-trace`): how closely it reproduced PyTorch's own gradients. */
  replay?: ReplayCheck;
  /** A replay of a PyTorch trace: which snapshot this is, and the timeline across all snapshots of the folder. */
  trace?: TraceTimeline;
}

/**
 * The self-check of a trace replay: the gradients Unroll recomputed from the recorded layer input, initial state,
 * weights and output gradients, against the ones PyTorch's autograd recorded for the same rows.
 */
export interface ReplayCheck {
  /** max over compared tensors of ‖replayed − recorded‖_∞ / max(‖recorded‖_∞, tiny). */
  maxRelErr: number;
  /** Each compared tensor (state_dict parameter names, `h0`, `c0`) and its relative error, worst first. */
  compared: { name: string; relErr: number }[];
  /** The bound for this dtype (float32 1e-5, float64 1e-10); `ok` = maxRelErr ≤ tolerance and not approximate. */
  tolerance: number;
  ok: boolean;
  /** Why the replay can only approximate the run (dropout between layers, …), or null when it is exact. */
  approximate: string | null;
  /** The dtype the run recorded in. */
  dtype: 'float32' | 'float64';
  /**
   * The arithmetic of the replay's matrix products: float32 for a float32 run (as PyTorch ran it; the cell steps and
   * sums outside the products are float64), float64 for a float64 run, or for a float32 run whose float32 replay
   * missed the bound and was redone in float64 before anything was flagged. Absent in Results from before it.
   */
  products?: Precision;
  /**
   * The replayed forward (output, h_n, c_n) against the one PyTorch recorded, same measure. Above the tolerance the
   * module is not what the recorded config says (and `ok` is false), whatever the gradients do.
   */
  forward?: { maxRelErr: number; compared: { name: string; relErr: number }[]; ok: boolean };
}

/** One snapshot of a trace, as the timeline shows it. Diagnostics are those of the replayed analysis. */
export interface TraceSnapshot {
  /** The training step PyTorch was at (global step), and the file `step-<n>.safetensors`. */
  step: number;
  file: string;
  /** The loss PyTorch reported at that step, when the tracer got it; null otherwise. */
  loss: number | null;
  /** Diagnostics of the replay, null where that snapshot was not (yet) analyzed. */
  horizon: number | null;
  decaySlope: number | null;
  rho: number | null;
  sigmaMax: number | null;
  /** ‖∂L/∂θ of the traced layer‖₂ as recorded. */
  gradNorm: number | null;
  maxRelErr: number | null;
}

/**
 * Every snapshot of the trace's index, by step. The shown one is fully analyzed; the others are replayed newest first
 * (flow budget 0.1) while their multiply-adds stay within half the shown one's replay and analysis (at least 2^28,
 * about a tenth of a second), so a small trace's timeline is complete and a large one's (H = 1024) holds the shown
 * snapshot alone; a snapshot not replayed keeps null diagnostics (src/worker/traceJob.ts: TIMELINE_SHARE,
 * TIMELINE_FLOOR_WORK). The panel can ask for another snapshot with SelectSnapshot to fill it.
 */
export interface TraceTimeline {
  /** The trace folder (workspace-relative in the panel, as given on the CLI). */
  folder: string;
  /** The step shown by the other views. */
  shown: number;
  snapshots: TraceSnapshot[];
  /** The recorded module's configuration (PyTorch names: mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size, nonlinearity). */
  config: Record<string, string | number | boolean>;
  /** world size and rank of the recording process (rank 0 records under DDP). */
  worldSize: number;
  rank: number;
  /**
   * The layer (from 0) and direction the other views show, the last layer's forward direction unless the source
   * asked for another (AnalyzeSource.traceLayer/traceReverse). Absent in Results from before them: the last, forward.
   */
  layer?: number;
  reverse?: boolean;
}

export interface ResultMeta {
  dataFile: string;
  modelFile?: string;
  weightsFile?: string;
  /** Which weights were analyzed (the jobs always say; absent only where an engine test calls analyze directly). */
  weights?: WeightsState;
  /** A label for side-by-side runs (the cell, or the model file's name); absent for a single analysis. */
  label?: string;
  /** Steps analyzed, and how many the sequence had before `window` cut it. */
  steps: number;
  originalSteps: number;
  /** Index of the analyzed sequence among the training sequences (windows), and how many there are. */
  sequence: number;
  sequences: number;
  /** For char-lm: the vocabulary, in index order: the file's characters sorted by Unicode code point (Python's sorted(set(text))). */
  vocab?: string[];
  /** Column names of inputs / targets where the file has them. */
  inputNames?: string[];
  targetNames?: string[];
  /** Human-readable notes (what was cut, defaults applied). */
  notes: string[];
  elapsedMs: number;
  engineVersion: string;
}

/** One training progress point (sent every epoch, and at the end). */
export interface TrainPoint {
  epoch: number;
  epochs: number;
  /**
   * Training loss per target step (see TrainingSummary.unit): Σ ℓ_t over the target steps of the epoch's training
   * sequences / their number, each batch measured before its own update (so early epochs can read above the held-out loss).
   */
  loss: number;
  /** Loss on the held-out sequences after this epoch (forward only, the epoch's final weights), same unit; null when nothing is held out. */
  heldOutLoss: number | null;
  /** Mean and largest global gradient norm over the epoch's batches, before clipping. */
  gradNorm: number;
  gradNormMax: number;
  /** Batches clipped in this epoch, out of `batches`. */
  clipped: number;
  batches: number;
  radius: number;
  sigmaMax: number;
  elapsedMs: number;
}
