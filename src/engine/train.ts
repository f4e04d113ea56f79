// Training: mini-batches of equal-length sequences, BPTT, clipping, an optimizer step.
// The caller owns the loop (so the worker can yield between batches and honour Cancel).
import type { NonFinite, ResolvedModel } from '../protocol/result';
import type { Dataset, ParamSet, SequenceData } from './types';
import { Network } from './network';
import { Optimizer, clipGradients } from './optim';
import { Rng } from './rng';
import { allFinite } from './linalg';
import { sigmaMax, spectralRadius } from './eigen';
import { candidateBlock, cellOf } from './cells';

export interface StepReport {
  /** Loss of the batch: Σ_t ℓ_t, averaged over its sequences (the objective whose gradient is taken). */
  loss: number;
  /** Σ over the batch's sequences and target steps of ℓ_t, and how many target steps that is: their ratio is the loss per target step. */
  lossSum: number;
  targetSteps: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  clipped: boolean;
  /**
   * Set when a NaN/Inf appeared (in h_t, ℓ_t, ∂L/∂h_t, a parameter gradient or a parameter after the update); the
   * parameters are then left as they were before this batch.
   */
  nonFinite: NonFinite | null;
}

export interface EpochReport {
  epoch: number;
  /** Mean batch loss over the epoch. */
  loss: number;
  /** Mean gradient norm (before clipping) over the epoch's batches. */
  gradNorm: number;
  /** How many batches were clipped. */
  clipped: number;
  nonFinite: NonFinite | null;
}

/** Target steps of a batch (steps whose mask is set), the denominator of the loss per target step. */
export function targetStepsOf(batch: SequenceData[]): number {
  let n = 0;
  for (const s of batch) for (let t = 0; t < s.T; t++) n += s.mask[t];
  return n;
}

export const DEFAULT_BATCH_SIZE = 16;

export class Trainer {
  private readonly net: Network;
  private readonly optimizer: Optimizer;
  private backup: Float64Array[] | undefined;

  constructor(
    readonly model: ResolvedModel,
    readonly params: ParamSet,
  ) {
    this.net = new Network(model, params);
    // Training reads only the gradients: full BPTT may keep the top layer's tape in the kernels' memory.
    this.net.keepTape = model.bptt.truncate !== null;
    this.optimizer = new Optimizer(model.optimizer);
  }

  /** One optimizer step on a batch of sequences of equal length. */
  step(batch: SequenceData[]): StepReport {
    const net = this.net;
    const loss = net.forward(batch);
    const lossSum = loss * batch.length;
    const targetSteps = targetStepsOf(batch);
    net.backward(this.model.bptt.truncate);
    const { norm, fired } = clipGradients(net.grads, this.model.clip);
    const report = (nonFinite: NonFinite | null): StepReport => ({
      loss,
      lossSum,
      targetSteps,
      gradNorm: norm,
      clipped: fired,
      nonFinite,
    });
    let nonFinite = net.nonFinite;
    if (!nonFinite && !Number.isFinite(norm)) {
      // Name the first parameter (state_dict order) whose gradient holds a NaN/Inf; a finite gradient whose norm overflows is said so.
      const bad = [...net.grads].find(([, g]) => !allFinite(g.data));
      nonFinite = bad
        ? { step: -1, what: `gradient ∂L/∂${bad[0]} is not finite`, tensor: `∂L/∂${bad[0]}` }
        : {
            step: -1,
            what: 'the global gradient norm ‖∂L/∂θ‖ overflows a 64-bit float (every gradient entry is finite)',
            tensor: '‖∂L/∂θ‖',
          };
    }
    if (nonFinite) return report(nonFinite);
    // Kept so that a non-finite update can be undone: the weights stay those of the last finite batch.
    this.backup ??= [...this.params.values()].map((t) => new Float64Array(t.data.length));
    [...this.params.values()].forEach((t, i) => this.backup![i].set(t.data));
    this.optimizer.apply(this.params, net.grads);
    for (const [name, t] of this.params) {
      if (!allFinite(t.data)) {
        [...this.params.values()].forEach((p, i) => p.data.set(this.backup![i]));
        return report({
          step: -1,
          what: `parameter ${name} became non-finite after the update`,
          tensor: `${name} after the update`,
        });
      }
    }
    return report(null);
  }

  /**
   * The loss of a batch of equal-length sequences without training on it (forward only): Σ of ℓ_t over the batch's
   * target steps and their count. The parameters and the optimizer state are not touched.
   */
  evaluate(batch: SequenceData[]): { lossSum: number; targetSteps: number } {
    return { lossSum: this.net.forward(batch) * batch.length, targetSteps: targetStepsOf(batch) };
  }

  /**
   * The dataset's sequences (or only those listed in `indices`, e.g. the training ones of a validation split) grouped
   * by length, shuffled with (seed, epoch), in batches of at most batchSize: their indices (make a batch with
   * `dataset.sequences.get` when it is its turn).
   */
  batches(dataset: Dataset, epoch: number, batchSize = DEFAULT_BATCH_SIZE, indices?: ArrayLike<number>): number[][] {
    const rng = new Rng((this.model.seed * 1000003 + epoch) >>> 0);
    const { sequences } = dataset;
    const order = rng.shuffle(indices ? Array.from(indices) : Array.from({ length: sequences.count }, (_, i) => i));
    return rng.shuffle(byLength(order, (i) => sequences.steps(i), batchSize));
  }

  /**
   * ρ and σ_max of the top layer's recurrent matrix (candidate block for gated cells), as the analysis reports them;
   * NaN when the eigenvalue iteration fails on weights so large (a diverging run) that its arithmetic overflows.
   */
  spectral(): { radius: number; sigmaMax: number } {
    const H = this.model.hidden;
    const W = this.params.get(`rnn.weight_hh_l${this.model.layers - 1}`)!.data;
    const M = candidateBlock(cellOf(this.model.cell), W, H);
    const or = (f: () => number) => {
      try {
        return f();
      } catch {
        return NaN;
      }
    };
    return { radius: or(() => spectralRadius(M, H)), sigmaMax: or(() => sigmaMax(M, H, H)) };
  }
}

/** Indices grouped by steps (in the given order, empty sequences left out), then cut into batches of at most batchSize. */
export function byLength(order: ArrayLike<number>, steps: (i: number) => number, batchSize: number): number[][] {
  const groups = new Map<number, number[]>();
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const T = steps(i);
    if (T === 0) continue;
    const list = groups.get(T) ?? [];
    list.push(i);
    groups.set(T, list);
  }
  const out: number[][] = [];
  for (const list of groups.values())
    for (let i = 0; i < list.length; i += batchSize) out.push(list.slice(i, i + batchSize));
  return out;
}
