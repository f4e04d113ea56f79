// What a run will cost, from shapes alone, before anything large is allocated: the bytes held at the peak and the
// multiply-adds of the longest stretch of work that cannot stop midway (one analysis, one training batch). The
// loader refuses a run over the limits and names the term that drives the cost, so a user learns in a second what
// would otherwise take minutes or end in an out-of-memory crash.
import type { ResolvedModel } from '../protocol/result';
import { flowStepBudget, passMultiplyAdds, stepGainStepBudget, type ModelShape } from './analyze';
import { stepGainWorkPerStep } from './diagnostics';
import { cellOf } from './cells';

export interface CostShape {
  model: ModelShape & Pick<ResolvedModel, 'bptt'>;
  /** Steps of the analyzed sequence. */
  T: number;
  /** Training: steps of the longest window and sequences per batch (absent: an analysis only). */
  training?: { T: number; batch: number };
  flowBudget: number;
  /** Bytes the dataset already holds. */
  datasetBytes: number;
}

/**
 * A part of the cost. `window` / `hidden` / `flowBudget`: lowering that setting shrinks it; `data`: only a smaller
 * data file does.
 */
export type CostTerm =
  | { kind: 'inputs' | 'outputs' | 'states' | 'pass' | 'batch'; knob: 'window'; amount: number }
  | { kind: 'flow'; knob: 'flowBudget' | 'window'; amount: number }
  | { kind: 'weights' | 'spectral'; knob: 'hidden'; amount: number }
  | { kind: 'dataset'; knob: 'data'; amount: number };

export interface CostEstimate {
  /** Peak bytes. */
  bytes: number;
  /** Multiply-adds of one analysis or one training batch, whichever is larger. */
  multiplyAdds: number;
  /** The parts, largest first. */
  memory: CostTerm[];
  work: CostTerm[];
}

const F64 = 8;

/**
 * ρ and σ_max of an H×H matrix (Hessenberg + Francis QR, AᵀA + tridiagonalization) measured here at about as long
 * as 20·H³ multiply-adds of the BPTT kernels: the QR sweeps are many and memory-bound.
 */
const SPECTRAL_PER_H3 = 20;

/** Doubles per step and sequence that the network and the Result keep for one layer (see Network.ensure). */
function layerDoubles(kind: ResolvedModel['cell'], H: number): number {
  const cell = cellOf(kind);
  // pre, dPreIh, Hs, dH, inject, the Result's copies of hidden and dLdh, and what the cell's tape adds
  return 2 * cell.G * H + 5 * H + cell.extraDoublesPerStep(H);
}

/** Entries of the flow matrix: the rows the budget allows, at most Σ_t min(t+1, k) over T steps. */
function flowEntries(shape: CostShape): number {
  const { model, T } = shape;
  const k = model.bptt.truncate;
  const all = k === null || k >= T ? (T * (T + 1)) / 2 : (k * (k + 1)) / 2 + (T - k) * k;
  return Math.min(all, flowStepBudget(model, T, shape.flowBudget));
}

function paramCount(model: CostShape['model']): number {
  const G = cellOf(model.cell).G,
    H = model.hidden;
  let n = model.outputSize * (H + 1);
  for (let l = 0; l < model.layers; l++) n += G * H * ((l === 0 ? model.inputSize : H) + H + 2);
  return n;
}

export function estimateCost(shape: CostShape): CostEstimate {
  const { model, T } = shape;
  const H = model.hidden,
    D = model.inputSize,
    O = model.outputSize,
    L = model.layers;
  const cell = cellOf(model.cell);
  const G = cell.G;
  const train = shape.training;
  // A cell running its time loops in the kernels' memory keeps a bounded chunk of its tape there too (one region for
  // the analysis and the training batch: the larger counts; float64, the larger of the two precisions).
  const loop = (steps: number, rows: number) =>
    cell.loopBytes?.(steps, rows, { H: model.hidden, P: model.hidden }, 'float64') ?? 0;
  const loopBytes = Math.max(loop(T, 1), train ? loop(train.T, train.batch) : 0);
  // Sequence-steps held by networks at once: the analysis (batch 1) and, when training, a batch of the longest window.
  const steps = T + (train ? train.T * train.batch : 0);
  const entries = flowEntries(shape);
  const budgetBound = entries === flowStepBudget(model, T, shape.flowBudget);
  const memory: CostTerm[] = [
    // The input buffer, and the sequence's inputs (built on demand for one-hot text).
    { kind: 'inputs', knob: 'window', amount: 2 * steps * D * F64 },
    { kind: 'outputs', knob: 'window', amount: 2 * steps * O * F64 },
    { kind: 'states', knob: 'window', amount: steps * L * layerDoubles(model.cell, H) * F64 + loopBytes },
    { kind: 'flow', knob: budgetBound ? 'flowBudget' : 'window', amount: entries * F64 },
    // Parameters, gradients, transposes, their copies in a result and an optimizer's two moments; two H×H work matrices.
    { kind: 'weights', knob: 'hidden', amount: (6 * paramCount(model) + 4 * H * H) * F64 },
    { kind: 'dataset', knob: 'data', amount: shape.datasetBytes },
  ];
  const spectral = SPECTRAL_PER_H3 * H * H * H;
  // the pass, the flow rows, the Frobenius step norms (G²·H·(H + T)) and the measured step gain
  const gainSteps = Math.min(Math.max(0, T - 1), stepGainStepBudget(model, T));
  const analysis =
    passMultiplyAdds(model, T) +
    entries * G * H * H +
    G * G * H * (H + T) +
    gainSteps * stepGainWorkPerStep(model.cell, H);
  const batch = train ? train.batch * passMultiplyAdds(model, train.T) : 0;
  const work: CostTerm[] = [
    { kind: 'pass', knob: 'window', amount: analysis },
    { kind: 'batch', knob: 'window', amount: batch },
    { kind: 'spectral', knob: 'hidden', amount: spectral },
  ];
  const largestFirst = (a: CostTerm, b: CostTerm) => b.amount - a.amount;
  return {
    bytes: memory.reduce((s, t) => s + t.amount, 0),
    multiplyAdds: Math.max(analysis, batch) + spectral,
    memory: memory.sort(largestFirst),
    work: work.filter((t) => t.amount > 0).sort(largestFirst),
  };
}
