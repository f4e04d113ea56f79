// Unroll's engine on the workloads: Network.forward + full backward (which keeps ∂L/∂h_t for every step),
// and analyze() for the full diagnostics.
import { Network } from '../../src/engine/network';
import { initParams } from '../../src/engine/params';
import { AnalysisCache, analyze } from '../../src/engine/analyze';
import type { SpectralThread } from '../../src/worker/spectralThread';
import { makeBatch, resolvedModel, type AnalyzeWorkload, type Workload } from './workloads';
import { DEFAULT_PLAN, timeIt, timePaired, type Timing, type TimingPlan } from './timing';
// The char-LSTM training workload, as `unroll train` runs it (oursTrainCharLm below).
import { loadAnalysis } from '../../src/data';
import { nodeFiles } from '../../src/data/nodeFiles';
import { trainLoaded } from '../../src/worker/jobs';
import type { EngineSettings } from '../../src/protocol/messages';
import type { Precision } from '../../src/protocol/result';
import manifest from '../../package.json';
import { CHAR_LM } from './workloads';
import { median } from './timing';

export function oursForwardBackward(w: Workload, precision: Precision = 'float64', plan?: TimingPlan): Promise<Timing> {
  const model = resolvedModel(w, precision);
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
export async function oursAnalyze(
  w: AnalyzeWorkload,
  plan: TimingPlan = { ...DEFAULT_PLAN, minReps: 15, maxReps: 41 },
  spectral?: SpectralThread,
): Promise<[Timing, Timing]> {
  const model = resolvedModel(w);
  // Two weight sets taken in turn: each run's W_hh differs from the previous run's, so nothing is reused.
  const weights = [initParams(model), initParams({ ...model, seed: model.seed + 1 })];
  const [seq] = makeBatch({ ...w, B: 1 });
  const meta = { dataFile: 'bench', originalSteps: w.T, sequence: 0, sequences: 1, notes: [] };
  const net = new Network(model, weights[0]);
  // one cache for the workload, as a worker thread keeps one: the network is reused, and ρ/σ_max with the same weights
  const cache = new AnalysisCache();
  // `spectral`: as the worker runs it (src/worker/jobs.ts analyzeLoaded), ρ/σ_max on the helper thread, the matrix
  // handed over before analyze; the helper is started first (the worker's is, after its first job).
  if (spectral) {
    if (!(await spectral.ready())) throw new Error('the spectral helper thread did not start');
    cache.setSpectralSource(spectral);
  }
  let run = 0;
  return timePaired(
    () => {
      const params = weights[w.sameWeights ? 0 : run++ % 2];
      cache.prefetchSpectral(model, params);
      analyze(model, params, seq, { meta, cache });
    },
    () => {
      net.forward([seq]);
      net.backward(null);
    },
    plan,
  );
}

/** Sequences per second of a training run, from the median time of its timed batches. */
export interface TrainTiming {
  seqPerSec: number;
  medianBatchMs: number;
  batches: number;
}

/** The settings `unroll train` runs with when no flag is given (the extension's defaults, from the manifest). */
function defaultSettings(): EngineSettings {
  const p = manifest.contributes.configuration.properties;
  return {
    maxSteps: p['unroll.maxSteps'].default,
    flowBudget: p['unroll.flowBudget'].default,
    defaultCell: p['unroll.defaultCell'].default as EngineSettings['defaultCell'],
    maxMemoryMB: p['unroll.maxMemoryMB'].default,
    maxWork: p['unroll.maxWork'].default,
  };
}

/**
 * The char-LSTM training workload through the same path as `unroll train <model file>`: the model file and its text
 * are loaded and resolved by loadAnalysis, the weights initialized as runTrain does, and trainLoaded runs the epoch
 * (batching, Trainer.step with Adam, the finiteness checks). The run is stopped after warmup + batches batches
 * (trainLoaded's own Stop check between batches); each batch is timed from one between-batch yield to the next.
 */
export async function oursTrainCharLm(modelFile: string, workspaceRoot: string): Promise<TrainTiming> {
  const loaded = await loadAnalysis({ path: modelFile, workspaceRoot }, defaultSettings(), nodeFiles, {
    training: true,
  });
  const params = loaded.params ?? initParams(loaded.model);
  const total = CHAR_LM.warmup + CHAR_LM.batches;
  const ends: number[] = [];
  let start = performance.now();
  await trainLoaded(loaded, loaded.model, params, 1, {
    onProgress: () => {},
    shouldStop: () => ends.length >= total,
    yieldNow: async () => {
      ends.push(performance.now() - start);
      start = performance.now();
    },
  });
  if (ends.length < total)
    throw new Error(`the char-LSTM epoch has ${ends.length} batches, fewer than the ${total} the bench times`);
  const timed = ends.slice(CHAR_LM.warmup);
  const medianBatchMs = median(timed);
  return { seqPerSec: (CHAR_LM.batch * 1000) / medianBatchMs, medianBatchMs, batches: timed.length };
}
