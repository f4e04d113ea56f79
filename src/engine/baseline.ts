// The trivial predictor a trained model must beat, computed from the data: one that knows the step index but not the
// inputs. Its loss is in the unit training reports: ℓ_t summed over the target steps of the evaluated sequences,
// divided by their number (squared error summed over the outputs, or cross-entropy in nats, per target step).
import type { LossBaseline, LossKind } from '../protocol/result';
import type { SequenceStore } from './types';

/** Some sequences of a store: all of a split's training (or held-out) sequences. */
export interface SequenceSet {
  sequences: SequenceStore;
  indices: ArrayLike<number>;
}

/**
 * Pseudo-count added to every class of a frequency table, in total ½ per step position (Krichevsky–Trofimov's ½
 * spread over the O classes): a class never seen in training gets a small probability instead of an infinite loss,
 * and a step whose target is always the same class costs about ½·(O−1)/(O·N) nats with N training sequences.
 */
export const SMOOTHING_TOTAL = 0.5;

/** The loss unit in words, as TrainingSummary.unit says it. */
export function lossUnit(loss: LossKind, outputSize: number): string {
  if (loss === 'xent') return 'cross-entropy per target step, in nats';
  return outputSize === 1
    ? 'mean squared error per target step'
    : `squared error summed over the ${outputSize} outputs, mean per target step`;
}

interface Table {
  /** Per position (or one pooled row): Σ target (mse) or class counts (xent), O numbers a row. */
  sums: Float64Array;
  counts: Float64Array;
}

function collect(set: SequenceSet, loss: LossKind, O: number, positions: number): Table {
  const sums = new Float64Array(positions * O);
  const counts = new Float64Array(positions);
  for (let k = 0; k < set.indices.length; k++) {
    const s = set.sequences.get(set.indices[k]);
    for (let t = 0; t < s.T; t++) {
      if (!s.mask[t]) continue;
      const row = positions === 1 ? 0 : t;
      counts[row]++;
      if (loss === 'xent') sums[row * O + s.targets[t]]++;
      else for (let j = 0; j < O; j++) sums[row * O + j] += s.targets[t * O + j];
    }
  }
  return { sums, counts };
}

/** The common length of every sequence in the sets, or 0 when they differ (or there are none). */
function sharedLength(sets: SequenceSet[]): number {
  let T = -1;
  for (const set of sets) {
    for (let k = 0; k < set.indices.length; k++) {
      const steps = set.sequences.steps(set.indices[k]);
      if (T === -1) T = steps;
      else if (steps !== T) return 0;
    }
  }
  return Math.max(T, 0);
}

/**
 * The baseline's loss on `evaluate` (the held-out sequences, or the training ones when none are held out), its
 * statistics taken from `train`: per step position when every sequence has the same length and `aligned` says that
 * positions mean the same thing in every sequence (episodes such as the adding or copy problems, not windows cut from
 * a stream), pooled over all steps otherwise. Squared error: predict the mean target. Cross-entropy: predict the
 * training frequencies of the classes, smoothed by SMOOTHING_TOTAL.
 */
export function lossBaseline(
  loss: LossKind,
  O: number,
  train: SequenceSet,
  evaluate: SequenceSet,
  aligned: boolean,
): LossBaseline {
  const T = aligned ? sharedLength([train, evaluate]) : 0;
  const perPosition = T > 1;
  const pooled = collect(train, loss, O, 1);
  const positional = perPosition ? collect(train, loss, O, T) : pooled;
  // Row r's prediction: its own statistics, or the pooled ones when no training sequence has a target there.
  const prediction = (row: number): Float64Array => {
    const own = positional.counts[row] > 0;
    const table = own ? positional : pooled;
    const r = own ? row : 0;
    const N = table.counts[r];
    const out = new Float64Array(O);
    if (loss === 'xent') {
      const alpha = SMOOTHING_TOTAL / O;
      for (let c = 0; c < O; c++) out[c] = (table.sums[r * O + c] + alpha) / (N + SMOOTHING_TOTAL);
    } else if (N > 0) {
      for (let j = 0; j < O; j++) out[j] = table.sums[r * O + j] / N;
    }
    return out;
  };
  const rows = perPosition ? T : 1;
  const predictions = Array.from({ length: rows }, (_, r) => prediction(r));
  let total = 0,
    steps = 0;
  for (let k = 0; k < evaluate.indices.length; k++) {
    const s = evaluate.sequences.get(evaluate.indices[k]);
    for (let t = 0; t < s.T; t++) {
      if (!s.mask[t]) continue;
      const p = predictions[perPosition ? t : 0];
      if (loss === 'xent') total -= Math.log(p[s.targets[t]]);
      else for (let j = 0; j < O; j++) total += (s.targets[t * O + j] - p[j]) ** 2;
      steps++;
    }
  }
  const what =
    loss === 'xent'
      ? perPosition
        ? "predicting each step's target classes with their training frequencies at that step"
        : 'predicting the target classes with their training frequencies'
      : perPosition
        ? 'predicting the mean target at each step'
        : 'predicting the mean target';
  return { kind: loss === 'xent' ? 'unigram' : 'mean', loss: steps > 0 ? total / steps : NaN, what };
}
