// Unroll's engine on the workloads: Network.forward + full backward (which keeps ∂L/∂h_t for every step),
// and analyze() for the full diagnostics.
import { Network } from '../../src/engine/network';
import { initParams } from '../../src/engine/params';
import { analyze } from '../../src/engine/analyze';
import { makeBatch, resolvedModel, type AnalyzeWorkload, type Workload } from './workloads';
import { timeIt, type Timing, type TimingPlan } from './timing';

export function oursForwardBackward(w: Workload, plan?: TimingPlan): Promise<Timing> {
  const model = resolvedModel(w);
  const net = new Network(model, initParams(model));
  const batch = makeBatch(w);
  return timeIt(() => {
    net.forward(batch);
    net.backward(null);
  }, plan);
}

export function oursAnalyze(w: AnalyzeWorkload, plan?: TimingPlan): Promise<Timing> {
  const model = resolvedModel(w);
  // Two weight sets taken in turn: each run's W_hh differs from the previous run's, so nothing is reused.
  const weights = [initParams(model), initParams({ ...model, seed: model.seed + 1 })];
  const [seq] = makeBatch({ ...w, B: 1 });
  const meta = { dataFile: 'bench', originalSteps: w.T, sequence: 0, sequences: 1, notes: [] };
  let run = 0;
  return timeIt(() => {
    analyze(model, weights[w.sameWeights ? 0 : run++ % 2], seq, { meta });
  }, plan);
}
