import type { NonFinite, ResolvedModel } from '../protocol/result';
import type { Dataset, ParamSet, SequenceData } from './types';

export interface StepReport {
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  clipped: boolean;
  /** Set when a NaN/Inf appeared; parameters are then left unchanged. */
  nonFinite: NonFinite | null;
}

export interface EpochReport {
  epoch: number;
  /** Mean loss per sequence window over the epoch. */
  loss: number;
  gradNorm: number;
  clipped: number;
  nonFinite: NonFinite | null;
}

/** Optimizer state plus the loop body; the caller (worker, CLI) owns the loop so it can yield and cancel. */
export class Trainer {
  constructor(
    readonly model: ResolvedModel,
    readonly params: ParamSet,
  ) {}

  /** One optimizer step on a batch of sequences of equal length. */
  step(batch: SequenceData[]): StepReport {
    throw new Error('not implemented' + batch.length);
  }

  /** The dataset cut into windows of model.window steps, in a seeded order per epoch, batched. */
  batches(dataset: Dataset, epoch: number, batchSize?: number): SequenceData[][] {
    throw new Error('not implemented' + dataset.task + epoch + batchSize);
  }

  /** ρ(W_hh) and σ_max(W_hh) of the last layer (candidate block for gated cells). */
  spectral(): { radius: number; sigmaMax: number } {
    throw new Error('not implemented');
  }
}
