// What one analysis may keep for the next, owned by the caller instead of module-level state: the worker keeps one
// cache per thread, the CLI one per process, a test its own. Reuse is exact: a cached value is the one a fresh
// computation would give.
import type { ResolvedModel } from '../protocol/result';
import type { ParamSet } from './types';
import { Network } from './network';
import { sigmaMax, spectralRadius } from './eigen';
import { candidateBlock, cellOf } from './cells';

/**
 * Somewhere else ρ and σ_max may be computed while the analysis runs (the worker's second thread): `start` is handed
 * the matrix as soon as the weights are known, `take` is asked when the analysis needs the values. The values must be
 * those of this engine's spectralRadius and sigmaMax on the same bits; `take` answers null (the cache then computes
 * them itself) when it was not started on a bit-identical matrix or cannot answer.
 */
export interface SpectralSource {
  /** Begin on the H×H matrix M; M may change after the call returns (copy it). */
  start(M: Float64Array, H: number): void;
  /** ρ and σ_max of M, if started on a bit-identical H×H matrix and answered; else null. */
  take(M: Float64Array, H: number): { radius: number; sigma: number } | null;
}

/** The matrix whose ρ and σ_max an analysis of `model` on `params` reports: the top layer's W_hh (its candidate block). */
export function spectralMatrixOf(model: ResolvedModel, params: ParamSet): Float64Array | null {
  const W = params.get(`rnn.weight_hh_l${model.layers - 1}`)?.data;
  return W ? candidateBlock(cellOf(model.cell, model.nonlinearity), W, model.hidden) : null;
}

export class AnalysisCache {
  /**
   * The network of the last analysis, kept for the next one with the same shapes: its buffers are allocated once per
   * sequence length and reused, not per save. Nothing of a Result points into them (analyze copies what it returns).
   */
  private network: { key: string; net: Network } | null = null;
  /**
   * The last matrix whose ρ and σ_max were computed, bit for bit, with the results. An analysis that runs again on the
   * same weights (a new data file, a re-save of the model) reuses them instead of repeating the O(H³) work; weights
   * changed in place are recomputed.
   */
  private spectral: { bits: Uint32Array; radius: number; sigma: number } | null = null;
  private source: SpectralSource | null = null;
  /**
   * How often each was made anew (not reused): reuse is observable without a clock. `spectra` counts ρ/σ_max computed
   * here, `spectraFromSource` those the spectral source answered.
   */
  readonly made = { networks: 0, spectra: 0, spectraFromSource: 0 };

  /** Where ρ/σ_max of new weights may come from before they are computed here (null: always here). */
  setSpectralSource(source: SpectralSource | null): void {
    this.source = source;
  }

  /**
   * Hand the spectral source the matrix an analysis of `model` on `params` will ask for, as soon as they are known
   * (before analyze), unless it is the one whose values are already kept.
   */
  prefetchSpectral(model: ResolvedModel, params: ParamSet): void {
    if (!this.source) return;
    const M = spectralMatrixOf(model, params);
    if (M && !this.holds(M, model.hidden)) this.source.start(M, model.hidden);
  }

  /** Whether M is bit for bit the matrix whose values are kept. */
  private holds(M: Float64Array, H: number): boolean {
    const bits = new Uint32Array(M.buffer, M.byteOffset, 2 * H * H);
    const last = this.spectral?.bits;
    let same = last !== undefined && last.length === bits.length;
    for (let i = 0; same && i < bits.length; i++) same = last![i] === bits[i];
    return same;
  }

  /** A network for this model's shapes (the cached one when they match), set to run on `params`. */
  networkFor(model: ResolvedModel, params: ParamSet): Network {
    const key = JSON.stringify([
      model.cell,
      model.nonlinearity,
      model.inputSize,
      model.hidden,
      model.outputSize,
      model.layers,
      model.loss,
      [...params.keys()],
    ]);
    if (this.network?.key !== key) {
      this.network = { key, net: new Network(model, params) };
      this.made.networks++;
    }
    this.network.net.params = params;
    return this.network.net;
  }

  /** ρ and σ_max of the H×H matrix M, reused when M is bit-identical to the last one. */
  radiusAndSigma(M: Float64Array, H: number): { radius: number; sigma: number } {
    if (this.spectral && this.holds(M, H)) return this.spectral;
    const bits = Uint32Array.from(new Uint32Array(M.buffer, M.byteOffset, 2 * H * H));
    const given = this.source?.take(M, H) ?? null;
    if (given) {
      this.spectral = { bits, radius: given.radius, sigma: given.sigma };
      this.made.spectraFromSource++;
    } else {
      this.spectral = { bits, radius: spectralRadius(M, H), sigma: sigmaMax(M, H, H) };
      this.made.spectra++;
    }
    return this.spectral;
  }
}
