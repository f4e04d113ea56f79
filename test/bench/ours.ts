// Unroll's engine on the workloads: Network.forward + full backward (which keeps ∂L/∂h_t for every step),
// and analyze() for the full diagnostics.
import { Network } from '../../src/engine/network';
import { initParams } from '../../src/engine/params';
import { AnalysisCache, analyze } from '../../src/engine/analyze';
import { makeBatch, resolvedModel, type AnalyzeWorkload, type Workload } from './workloads';
import { DEFAULT_PLAN, timeIt, timePaired, type Timing, type TimingPlan } from './timing';

export function oursForwardBackward(w: Workload, plan?: TimingPlan): Promise<Timing> {
  const model = resolvedModel(w);
  const net = new Network(model, initParams(model));
  const batch = makeBatch(w);
  return timeIt(() => {
    net.forward(batch);
    net.backward(null);
  }, plan);
}

/**
 * analyze() on one sequence, paired run by run with plain forward + BPTT on the same model (see timePaired), so the
 * analyze/forwardBackward ratio is measured in one window.
 */
export function oursAnalyze(w: AnalyzeWorkload, plan: TimingPlan = { ...DEFAULT_PLAN, minReps: 15, maxReps: 41 }): Promise<[Timing, Timing]> {
  const model = resolvedModel(w);
  // Two weight sets taken in turn: each run's W_hh differs from the previous run's, so nothing is reused.
  const weights = [initParams(model), initParams({ ...model, seed: model.seed + 1 })];
  const [seq] = makeBatch({ ...w, B: 1 });
  const meta = { dataFile: 'bench', originalSteps: w.T, sequence: 0, sequences: 1, notes: [] };
  const net = new Network(model, weights[0]);
  // one cache for the workload, as a worker thread keeps one: the network is reused, and ρ/σ_max with the same weights
  const cache = new AnalysisCache();
  let run = 0;
  return timePaired(
    () => analyze(model, weights[w.sameWeights ? 0 : run++ % 2], seq, { meta, cache }),
    () => {
      net.forward([seq]);
      net.backward(null);
    },
    plan,
  );
}
