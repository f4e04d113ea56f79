// Training: mini-batches of equal-length sequences, BPTT, clipping, an optimizer step.
// The caller owns the loop (so the worker can yield between batches and honour Cancel).
import type { NonFinite, ResolvedModel } from '../protocol/result';
import type { Dataset, ParamSet, SequenceData } from './types';
import { Network } from './network';
import { Optimizer, clipGradients } from './optim';
import { Rng } from './rng';
import { allFinite, block } from './linalg';
import { sigmaMax, spectralRadius } from './eigen';

export interface StepReport {
  /** Loss of the batch: Σ_t ℓ_t, averaged over its sequences. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  clipped: boolean;
  /** Set when a NaN/Inf appeared; the parameters are then left unchanged. */
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

export const DEFAULT_BATCH_SIZE = 16;

export class Trainer {
  private readonly net: Network;
  private readonly optimizer: Optimizer;

  constructor(
    readonly model: ResolvedModel,
    readonly params: ParamSet,
  ) {
    this.net = new Network(model, params);
    this.optimizer = new Optimizer(model.optimizer);
  }

  /** One optimizer step on a batch of sequences of equal length. */
  step(batch: SequenceData[]): StepReport {
    const net = this.net;
    const loss = net.forward(batch);
    net.backward(this.model.bptt.truncate);
    const { norm, fired } = clipGradients(net.grads, this.model.clip);
    let nonFinite = net.nonFinite;
    if (!nonFinite && !Number.isFinite(norm)) nonFinite = { step: -1, what: 'gradient norm is not finite' };
    if (nonFinite) return { loss, gradNorm: norm, clipped: fired, nonFinite };
    this.optimizer.apply(this.params, net.grads);
    for (const [name, t] of this.params) {
      if (!allFinite(t.data)) return { loss, gradNorm: norm, clipped: fired, nonFinite: { step: -1, what: `parameter ${name} became non-finite after the update` } };
    }
    return { loss, gradNorm: norm, clipped: fired, nonFinite: null };
  }

  /**
   * The dataset's sequences grouped by length, shuffled with (seed, epoch), in batches of at most batchSize: their
   * indices (make a batch with `dataset.sequences.get` when it is its turn).
   */
  batches(dataset: Dataset, epoch: number, batchSize = DEFAULT_BATCH_SIZE): number[][] {
    const rng = new Rng((this.model.seed * 1000003 + epoch) >>> 0);
    const { sequences } = dataset;
    const order = rng.shuffle(Array.from({ length: sequences.count }, (_, i) => i));
    const byLength = new Map<number, number[]>();
    for (const i of order) {
      const T = sequences.steps(i);
      if (T === 0) continue;
      const list = byLength.get(T) ?? [];
      list.push(i);
      byLength.set(T, list);
    }
    const out: number[][] = [];
    for (const list of byLength.values()) for (let i = 0; i < list.length; i += batchSize) out.push(list.slice(i, i + batchSize));
    return rng.shuffle(out);
  }

  /** ρ and σ_max of the top layer's recurrent matrix (candidate block for gated cells), as the analysis reports them. */
  spectral(): { radius: number; sigmaMax: number } {
    const H = this.model.hidden;
    const W = this.params.get(`rnn.weight_hh_l${this.model.layers - 1}`)!.data;
    const M = this.model.cell === 'rnn' ? W : block(W, H, 2 * H, H);
    return { radius: spectralRadius(M, H), sigmaMax: sigmaMax(M, H, H) };
  }
}
