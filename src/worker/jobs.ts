// The jobs the worker runs, as plain async functions: the worker entry and the CLI share them.
import type {
  AnalysisResult,
  CellKind,
  NonFinite,
  ResolvedModel,
  TrainingSummary,
  TrainPoint,
  WeightsState,
} from '../protocol/result';
import type { AnalyzeSource, EngineSettings, Problem } from '../protocol/messages';
import type { FileSeam, WriteSeam } from '../data/files';
import { checkOutputs, encodeWeights, loadAnalysis, writtenByUnroll, type LoadedAnalysis } from '../data';
import { MODEL_DEFAULTS } from '../data/defaults';
import { basename, dirname, isInside } from '../data/paths';
import { traceFolderOf } from '../data/trace';
import { runTraceAnalyze } from './traceJob';
import {
  AnalysisCache,
  Trainer,
  analyze,
  byLength,
  initParams,
  lossBaseline,
  lossUnit,
  type ParamSet,
  type SequenceSet,
} from '../engine';

export interface AnalyzeOutcome {
  result: AnalysisResult;
  /** Absolute paths read (data, model, weights). */
  files: string[];
  warnings: Problem[];
}

const clock = () => performance.now();

/** The weights an analysis of `loaded` describes when nothing was trained: the weights file's, or a fresh initialization. */
export function weightsStateOf(loaded: LoadedAnalysis, model: ResolvedModel, params: ParamSet): WeightsState {
  if (loaded.params !== params || !loaded.meta.weightsFile) return { kind: 'initialization', init: model.init.kind };
  const trainedEpochs = loaded.weightsRecord?.epochs;
  return { kind: 'file', path: loaded.meta.weightsFile, ...(trainedEpochs !== undefined ? { trainedEpochs } : {}) };
}

/** `cache`: what analyses on this thread may reuse (one per worker thread; absent, nothing is reused). */
export function analyzeLoaded(
  loaded: LoadedAnalysis,
  model: ResolvedModel,
  params: ParamSet,
  settings: EngineSettings,
  notes: string[] = [],
  weights: WeightsState = weightsStateOf(loaded, model, params),
  cache?: AnalysisCache,
): AnalysisResult {
  const { dataset } = loaded;
  const seq = dataset.sequences.get(0);
  // ρ/σ_max depend only on the weights: a spectral source (the worker's second thread) starts on them now.
  cache?.prefetchSpectral(model, params);
  return analyze(model, params, seq, {
    cache,
    flowBudget: settings.flowBudget,
    now: clock,
    meta: {
      ...loaded.meta,
      weights,
      originalSteps: seq.originalT ?? seq.T,
      sequence: 0,
      sequences: dataset.sequences.count,
      vocab: dataset.vocab,
      inputNames: dataset.inputNames,
      targetNames: dataset.targetNames,
      notes: [...dataset.notes, ...notes],
    },
  });
}

/**
 * Called once the source is loaded (so the files it reads are known) and before any compute: throws to refuse the
 * run, e.g. because an output would overwrite one of these files, or because the user asked to stop.
 */
export type BeforeCompute = (inputs: LoadedAnalysis['meta']) => Promise<void>;

/** Load the source (data file or model file), run forward + BPTT + diagnostics. Throws the data layer's InputError. */
export async function runAnalyze(
  source: AnalyzeSource,
  settings: EngineSettings,
  files: FileSeam,
  cell?: CellKind,
  beforeCompute?: BeforeCompute,
  cache?: AnalysisCache,
): Promise<AnalyzeOutcome> {
  // A PyTorch trace (a *.unroll-trace folder or a snapshot in one) is replayed, not loaded as a sequence file.
  if (traceFolderOf(source.path)) return runTraceAnalyze(source, settings, files, beforeCompute);
  const loaded = await loadAnalysis(source, settings, files, cell ? { cell } : undefined);
  await beforeCompute?.(loaded.meta);
  const params = loaded.params ?? initParams(loaded.model);
  return {
    result: analyzeLoaded(loaded, loaded.model, params, settings, [], undefined, cache),
    files: loaded.files,
    warnings: loaded.warnings,
  };
}

export interface CompareOutcome {
  results: AnalysisResult[];
  files: string[];
  warnings: Problem[];
  /** A stop was asked for (shouldStop) before every run was done: `results` holds only the runs finished. */
  stopped: boolean;
}

export interface CompareOptions {
  /** Model files (absolute paths) to run side by side instead of one run per cell; `cells` is then ignored. */
  models?: string[];
  /**
   * Train every run this many epochs before analyzing it, or 'model' for each run's own model-file epochs; 0 or
   * absent compares at initialization.
   */
  epochs?: number | 'model';
  /** Training progress of run `run` (its index in the results). */
  onProgress?(run: number, point: TrainPoint): void;
  /** Checked between training batches and between runs: true ends the comparison (stopped). */
  shouldStop?(): boolean;
  yieldNow?(): Promise<void>;
  /** What the analyses may reuse (the worker thread's cache); absent, a cache for this comparison alone. */
  cache?: AnalysisCache;
  /** Called once every run is loaded (so every file read is known) and before any compute, once per run. */
  beforeCompute?: BeforeCompute;
  /** Once loaded, before any compute: the runs' labels, in the order of the results and of `onProgress`'s `run`. */
  onRuns?(labels: string[]): void;
}

interface CompareRun {
  label: string;
  loaded: LoadedAnalysis;
  model: ResolvedModel;
  /** Where the run starts: the model file's weights (a model-file run that names them) or a fresh initialization. */
  params: ParamSet;
  notes: string[];
}

/**
 * Runs side by side on the same footing, each analyzed after `epochs` of training (or at initialization):
 * - one run per cell (`cells`; empty = the model file's `compare`, else rnn, lstm, gru): the same data, seed and
 *   settings; every cell starts from its own fresh initialization with the model's seed (weights trained for one
 *   cell would make the comparison unfair, so a `weights` file is not used);
 * - one run per model file (`models`): each file as written (its cell, init, optimizer, clipping, weights).
 * Every run is loaded and its cost checked before any of them computes. A run whose training diverges stays in the
 * comparison (its `training.nonFinite` says where); the others go on.
 */
export async function runCompare(
  source: AnalyzeSource,
  settings: EngineSettings,
  files: FileSeam,
  cells: CellKind[],
  options: CompareOptions = {},
): Promise<CompareOutcome> {
  const epochs = options.epochs ?? 0;
  const training = epochs === 'model' || epochs > 0;
  const runs: CompareRun[] = [];
  const warnings: Problem[] = [];
  const read = new Set<string>();
  if (options.models && options.models.length > 0) {
    for (const modelPath of options.models) {
      // Each file's data must stay inside the workspace; a file from elsewhere (the bundled examples) is its own root.
      const workspaceRoot = isInside(source.workspaceRoot, modelPath) ? source.workspaceRoot : dirname(modelPath);
      const loaded = await loadAnalysis({ path: modelPath, workspaceRoot }, settings, files, { training });
      runs.push({
        label: basename(modelPath),
        loaded,
        model: loaded.model,
        params: loaded.params ?? initParams(loaded.model),
        notes: [],
      });
    }
  } else {
    if (cells.length === 0) {
      // The model file's own list, when it has one; else every cell.
      const listed = (await loadAnalysis(source, settings, files, { compare: [] })).model.compare;
      cells = listed && listed.length > 0 ? listed : [...MODEL_DEFAULTS.compare];
    }
    const loaded = await loadAnalysis(source, settings, files, { compare: cells, training });
    const notes = loaded.params
      ? ['Compare starts every cell from a fresh initialization; the weights file is not used.']
      : [];
    for (const cell of cells) {
      const model: ResolvedModel = { ...loaded.model, cell };
      runs.push({ label: cell, loaded, model, params: initParams(model), notes });
    }
  }
  for (const run of runs) {
    for (const f of run.loaded.files) read.add(f);
    warnings.push(...run.loaded.warnings);
  }
  for (const run of new Set(runs.map((r) => r.loaded))) await options.beforeCompute?.(run.meta);
  options.onRuns?.(runs.map((r) => r.label));

  const stop = options.shouldStop ?? (() => false);
  const cache = options.cache ?? new AnalysisCache();
  const results: AnalysisResult[] = [];
  for (const [index, run] of runs.entries()) {
    if (stop()) return { results, files: [...read], warnings, stopped: true };
    let summary: TrainingSummary | undefined;
    if (training) {
      ({ summary } = await trainLoaded(
        run.loaded,
        run.model,
        run.params,
        epochs === 'model' ? run.model.epochs : epochs,
        {
          onProgress: (point) => options.onProgress?.(index, point),
          shouldStop: stop,
          yieldNow: options.yieldNow ?? (async () => undefined),
        },
      ));
      if (summary.reason === 'cancelled') return { results, files: [...read], warnings, stopped: true };
    }
    const startedFrom = run.loaded.params && run.params === run.loaded.params ? 'file' : 'initialization';
    const notes = [...run.notes];
    if (summary) {
      const diverged = summary.nonFinite?.epoch ?? summary.epochs + 1;
      notes.push(
        summary.reason === 'nonFinite'
          ? `Training diverged in epoch ${diverged} of ${epochs}; these are the last finite weights it reached.`
          : `After ${summary.epochs} epoch(s) of training.`,
      );
    }
    const weights: WeightsState = summary
      ? { kind: 'trained', epochs: summary.epochs, startedFrom }
      : weightsStateOf(run.loaded, run.model, run.params);
    const result = analyzeLoaded(run.loaded, run.model, run.params, settings, notes, weights, cache);
    result.meta = { ...result.meta, label: run.label };
    // A cell run does not use the weights file the model names: the report must not say it does.
    if (startedFrom === 'initialization' && result.meta.weightsFile) delete result.meta.weightsFile;
    if (summary) result.training = summary;
    results.push(result);
  }
  return { results, files: [...read], warnings, stopped: false };
}

export interface TrainHooks {
  onProgress(point: TrainPoint): void;
  /** Checked between batches; true ends the run with reason 'cancelled'. */
  shouldStop(): boolean;
  /** Called once when shouldStop() has ended the loop, before the final analysis of the weights so far. */
  onStopping?(): void;
  /** Called between batches so the caller's event loop can run (the worker awaits a macrotask here). */
  yieldNow(): Promise<void>;
  /** Once loaded, before the save preflight and the first epoch (the CLI stops here after a Ctrl-C). */
  beforeCompute?: BeforeCompute;
}

export interface TrainOptions {
  epochs?: number;
  /** Absolute path for the trained weights (safetensors, F32 or F64 when F32 cannot hold them); absent = write nothing. */
  saveTo?: string;
  /**
   * The user confirmed `saveTo` (the extension's pick, the CLI's --force): it may replace a file Unroll did not
   * write, or the weights the run started from. Never the data or the model file.
   */
  force?: boolean;
  writes?: WriteSeam;
  /** What the final analysis may reuse (the worker thread's cache). */
  cache?: AnalysisCache;
}

export interface TrainOutcome {
  reason: 'finished' | 'cancelled' | 'nonFinite';
  last: TrainPoint | null;
  nonFinite: NonFinite | null;
  saved?: string;
  /** Analysis of the trained model on the analyzed sequence (its `training` is `summary`). */
  result: AnalysisResult;
  summary: TrainingSummary;
  files: string[];
}

/** A loss that grew by more than this over its first epoch's value is called diverging (training goes on). */
export const DIVERGING_GROWTH = 1e6;

/**
 * The loss per target step of some sequences under the trainer's current weights (forward only), in batches of equal
 * length; undefined when a stop was asked for. It yields between batches like training does, so Stop is acknowledged
 * within a batch (the client restarts a worker that does not acknowledge within STOP_GRACE_MS).
 */
async function heldOutLoss(
  trainer: Trainer,
  set: SequenceSet,
  batchSize: number,
  hooks: TrainHooks,
): Promise<number | undefined> {
  let lossSum = 0,
    steps = 0;
  for (const batch of byLength(set.indices, (i) => set.sequences.steps(i), batchSize)) {
    if (hooks.shouldStop()) return undefined;
    const r = trainer.evaluate(batch.map((i) => set.sequences.get(i)));
    lossSum += r.lossSum;
    steps += r.targetSteps;
    await hooks.yieldNow();
  }
  return steps > 0 ? lossSum / steps : NaN;
}

/**
 * Train `params` in place for `epochs` epochs on the training sequences of `loaded.split`, in batches of
 * `model.batch`, reporting a TrainPoint per epoch: the training loss per target step (Σ ℓ_t over the epoch's target
 * steps / their number; the gradient is still that of Σ_t ℓ_t averaged over a batch's sequences), the held-out loss in
 * the same unit, the mean and largest gradient norm before clipping, clipped batches, ρ and σ_max.
 *
 * The first NaN/Inf (in h_t, ℓ_t, ∂L/∂h_t, a gradient, or a parameter after the update) stops the run with its place
 * (epoch, batch, step, tensor) and the last finite batch; the weights are left as that batch made them. A loss that
 * stays finite but grows more than DIVERGING_GROWTH× over the first epoch's does not stop training: the summary's
 * `diverging` says when and by how much.
 */
export async function trainLoaded(
  loaded: LoadedAnalysis,
  model: ResolvedModel,
  params: ParamSet,
  epochs: number,
  hooks: TrainHooks & { onProgress(point: TrainPoint): void },
): Promise<{
  summary: TrainingSummary;
  last: TrainPoint | null;
  partial: { epoch: number; batches: number; of: number } | null;
}> {
  const { dataset, split } = loaded;
  const trainer = new Trainer(model, params);
  const store = dataset.sequences;
  const trainSet: SequenceSet = { sequences: store, indices: split.train };
  const baseline = lossBaseline(model.loss, model.outputSize, trainSet, split.heldOut ?? trainSet, split.aligned);
  const history: TrainPoint[] = [];
  const started = clock();
  let last: TrainPoint | null = null;
  let reason: TrainingSummary['reason'] = 'finished';
  let nonFinite: NonFinite | null = null;
  let lastFinite: { epoch: number; batch: number; loss: number; gradNorm: number } | null = null;
  let diverging: TrainingSummary['diverging'];
  // Batches already applied in an epoch that did not complete (stopped or diverged): the weights include them.
  let partial: { epoch: number; batches: number; of: number } | null = null;
  training: for (let epoch = 1; epoch <= epochs; epoch++) {
    let lossSum = 0,
      targetSteps = 0,
      gradNorm = 0,
      gradNormMax = 0,
      clipped = 0,
      n = 0;
    const batches = trainer.batches(dataset, epoch, model.batch, split.train);
    for (const [b, batch] of batches.entries()) {
      if (hooks.shouldStop()) {
        reason = 'cancelled';
        if (b > 0) partial = { epoch, batches: b, of: batches.length };
        hooks.onStopping?.();
        break training;
      }
      const step = trainer.step(batch.map((i) => store.get(i)));
      if (step.nonFinite) {
        reason = 'nonFinite';
        if (b > 0) partial = { epoch, batches: b, of: batches.length };
        const { radius, sigmaMax } = trainer.spectral();
        nonFinite = {
          ...step.nonFinite,
          epoch,
          batch: b + 1,
          batches: batches.length,
          ...(lastFinite ? { lastFinite: { ...lastFinite, radius, sigmaMax } } : {}),
        };
        break training;
      }
      lossSum += step.lossSum;
      targetSteps += step.targetSteps;
      gradNorm += step.gradNorm;
      gradNormMax = Math.max(gradNormMax, step.gradNorm);
      clipped += step.clipped ? 1 : 0;
      n++;
      lastFinite = {
        epoch,
        batch: b + 1,
        loss: step.targetSteps > 0 ? step.lossSum / step.targetSteps : NaN,
        gradNorm: step.gradNorm,
      };
      await hooks.yieldNow();
    }
    const heldOut = split.heldOut ? await heldOutLoss(trainer, split.heldOut, model.batch, hooks) : null;
    if (heldOut === undefined) {
      // Stopped while measuring the held-out loss: the epoch's updates are in the weights, its point is not reported.
      reason = 'cancelled';
      partial = { epoch, batches: n, of: batches.length };
      hooks.onStopping?.();
      break training;
    }
    const { radius, sigmaMax } = trainer.spectral();
    const loss = targetSteps > 0 ? lossSum / targetSteps : NaN;
    last = {
      epoch,
      epochs,
      loss,
      heldOutLoss: heldOut,
      gradNorm: n ? gradNorm / n : NaN,
      gradNormMax: n ? gradNormMax : NaN,
      clipped,
      batches: n,
      radius,
      sigmaMax,
      elapsedMs: clock() - started,
    };
    history.push(last);
    const first = history[0].loss;
    if (first > 0 && loss > DIVERGING_GROWTH * first) {
      diverging = { epoch: diverging?.epoch ?? epoch, factor: Math.max(diverging?.factor ?? 0, loss / first) };
    }
    hooks.onProgress(last);
  }
  const summary: TrainingSummary = {
    reason,
    epochs: history.length,
    unit: lossUnit(model.loss, model.outputSize),
    trainSequences: split.train.length,
    heldOutSequences: split.heldOut?.indices.length ?? 0,
    batch: model.batch,
    baseline,
    history,
    nonFinite,
    ...(diverging ? { diverging } : {}),
  };
  return { summary, last, partial };
}

export async function runTrain(
  source: AnalyzeSource,
  settings: EngineSettings,
  files: FileSeam,
  options: TrainOptions,
  hooks: TrainHooks,
): Promise<TrainOutcome> {
  const loaded = await loadAnalysis(source, settings, files, { training: true });
  await hooks.beforeCompute?.(loaded.meta);
  const { saveTo, writes } = options;
  // Checked before the first epoch: a save that cannot happen must not cost the whole training first.
  if (saveTo && writes) {
    const replaceable = options.force ? undefined : writtenByUnroll;
    await checkOutputs(
      [{ path: saveTo, what: 'weights', replaceable, mayReplaceWeights: options.force }],
      loaded.meta,
      files,
      writes,
    );
  }
  const model = loaded.model;
  const params = loaded.params ?? initParams(model);
  const startedFrom = loaded.params ? 'file' : 'initialization';
  const { summary, last, partial } = await trainLoaded(loaded, model, params, options.epochs ?? model.epochs, hooks);
  const { reason, nonFinite } = summary;
  let saved: string | undefined;
  const andPart = partial
    ? `; the weights also have ${partial.batches} of the ${partial.of} batches of epoch ${partial.epoch}`
    : '';
  const why = {
    finished: 'finished',
    cancelled: 'cancelled',
    nonFinite: 'stopped by a non-finite value; these are the last finite weights',
  }[reason];
  const notes = [`After ${summary.epochs} epoch(s) of training (${why}${andPart}).`];
  if (saveTo && writes && reason !== 'nonFinite') {
    const final = summary.history[summary.history.length - 1];
    const weights = encodeWeights(params, saveTo, {
      epochs: summary.epochs + (loaded.params ? (loaded.weightsRecord?.epochs ?? 0) : 0),
      trainLoss: final?.loss,
      heldOutLoss: final?.heldOutLoss ?? undefined,
      baseline: summary.baseline.loss,
      baselineWhat: summary.baseline.what,
      unit: summary.unit,
    });
    await writes.writeFile(saveTo, weights.bytes);
    saved = saveTo;
    if (weights.widenedFor)
      notes.push(`Weights saved as F64: ${weights.widenedFor} does not fit in F32 (largest about 3.4e+38).`);
  }
  const result = analyzeLoaded(
    loaded,
    model,
    params,
    settings,
    notes,
    { kind: 'trained', epochs: summary.epochs, startedFrom },
    options.cache,
  );
  result.training = summary;
  return { reason, last, nonFinite, saved, result, summary, files: loaded.files };
}
