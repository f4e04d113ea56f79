// The Result of one analysis: what the engine computes and every view draws (DESIGN.md §5).
// In memory, large arrays are flat row-major Float64Arrays so they cross worker/webview boundaries as
// transferable buffers; `resultToJson` gives the nested-array JSON contract of the CLI's --json.

export type CellKind = 'rnn' | 'lstm' | 'gru';
export type Nonlinearity = 'tanh' | 'relu';
export type TaskKind = 'next-step' | 'char-lm' | 'seq-to-one' | 'columns';
export type LossKind = 'mse' | 'xent';
export type InitKind = 'pytorch' | 'xavier' | 'orthogonal' | 'identity';
export type OptimizerKind = 'sgd' | 'momentum' | 'adam' | 'adagrad' | 'rmsprop';
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
  /**
   * Steps per window: longer sequences are split into consecutive windows of this many steps, which training uses
   * as its sequences; the analysis shows the first (seq-to-one keeps the last `window` steps, where its target is).
   */
  window: number;
  seed: number;
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
  /** Bound on |f′|: 1 for tanh and relu, 1/4 for the logistic sigmoid. */
  gamma: number;
  bound: '(γσ)^d';
  /** log10(γ σ_max): the slope of the bound line in the decay view. */
  boundSlope: number;
  /** Which matrix: 'weight_hh_l{n}' for a vanilla RNN; for gated cells the candidate block ('…[g]' or '…[n]'). */
  matrix: string;
}

export interface NonFinite {
  step: number;
  what: string;
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
  /** Where the numbers came from, for summaries and reports. */
  meta: ResultMeta;
}

export interface ResultMeta {
  dataFile: string;
  modelFile?: string;
  weightsFile?: string;
  /** Steps analyzed, and how many the sequence had before `window` cut it. */
  steps: number;
  originalSteps: number;
  /** Index of the analyzed sequence among the training sequences (windows), and how many there are. */
  sequence: number;
  sequences: number;
  /** For char-lm: the vocabulary, in index order. */
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
  loss: number;
  gradNorm: number;
  clipped: number;
  radius: number;
  sigmaMax: number;
  elapsedMs: number;
}
