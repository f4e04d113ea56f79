// What one analysis may keep for the next, owned by the caller instead of module-level state: the worker keeps one
// cache per thread, the CLI one per process, a test its own. Reuse is exact: a cached value is the one a fresh
// computation would give.
import type { ResolvedModel } from '../protocol/result';
import type { ParamSet } from './types';
import { Network } from './network';
import { sigmaMax, spectralRadius } from './eigen';

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
  /** How often each was made anew (not reused): reuse is observable without a clock. */
  readonly made = { networks: 0, spectra: 0 };

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
    const bits = new Uint32Array(M.buffer, M.byteOffset, 2 * H * H);
    const last = this.spectral?.bits;
    let same = last !== undefined && last.length === bits.length;
    for (let i = 0; same && i < bits.length; i++) same = last![i] === bits[i];
    if (!same || !this.spectral) {
      this.spectral = { bits: Uint32Array.from(bits), radius: spectralRadius(M, H), sigma: sigmaMax(M, H, H) };
      this.made.spectra++;
    }
    return this.spectral;
  }
}
