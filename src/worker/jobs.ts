// The jobs the worker runs, as plain async functions: the worker entry and the CLI share them.
import type { AnalysisResult, CellKind, NonFinite, ResolvedModel, TrainingSummary, TrainPoint, WeightsState } from '../protocol/result';
import type { AnalyzeSource, EngineSettings, Problem } from '../protocol/messages';
import type { FileSeam, WriteSeam } from '../data/files';
import { checkOutputs, encodeWeights, loadAnalysis, writtenByUnroll, type LoadedAnalysis } from '../data';
import { Trainer, analyze, initParams, type ParamSet } from '../engine';
import { trainLoaded } from './trainStub';

export interface AnalyzeOutcome {
  result: AnalysisResult;
  /** Absolute paths read (data, model, weights). */
  files: string[];
  warnings: Problem[];
}

const clock = () => performance.now();

function analyzeLoaded(loaded: LoadedAnalysis, model: ResolvedModel, params: ParamSet, settings: EngineSettings, notes: string[] = []): AnalysisResult {
  const { dataset } = loaded;
  const seq = dataset.sequences.get(0);
  return analyze(model, params, seq, {
    flowBudget: settings.flowBudget,
    now: clock,
    meta: {
      ...loaded.meta,
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
export async function runAnalyze(source: AnalyzeSource, settings: EngineSettings, files: FileSeam, cell?: CellKind, beforeCompute?: BeforeCompute): Promise<AnalyzeOutcome> {
  const loaded = await loadAnalysis(source, settings, files, cell ? { cell } : undefined);
  await beforeCompute?.(loaded.meta);
  const params = loaded.params ?? initParams(loaded.model);
  return { result: analyzeLoaded(loaded, loaded.model, params, settings), files: loaded.files, warnings: loaded.warnings };
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
  /** Train every run this many epochs before analyzing it; 0 or absent compares at initialization. */
  epochs?: number;
  /** Training progress of run `run` (its index in the results). */
  onProgress?(run: number, point: TrainPoint): void;
  /** Checked between training batches and between runs: true ends the comparison (stopped). */
  shouldStop?(): boolean;
  yieldNow?(): Promise<void>;
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

const fileName = (p: string) => p.split(/[\\/]/).pop() ?? p;

/**
 * Runs side by side on the same footing, each analyzed after `epochs` of training (or at initialization):
 * - one run per cell (`cells`; empty = the model file's `compare`, else rnn, lstm, gru): the same data, seed and settings; every cell starts from its own fresh initialization with the
 *   model's seed (weights trained for one cell would make the comparison unfair, so a `weights` file is not used);
 * - one run per model file (`models`): each file as written (its cell, init, optimizer, clipping, weights).
 * Every run is loaded and its cost checked before any of them computes. A run whose training diverges stays in the
 * comparison (its `training.nonFinite` says where); the others go on.
 */
export async function runCompare(source: AnalyzeSource, settings: EngineSettings, files: FileSeam, cells: CellKind[], options: CompareOptions = {}): Promise<CompareOutcome> {
  const epochs = options.epochs ?? 0;
  const training = epochs > 0;
  const runs: CompareRun[] = [];
  const warnings: Problem[] = [];
  const read = new Set<string>();
  if (options.models && options.models.length > 0) {
    for (const modelPath of options.models) {
      const loaded = await loadAnalysis({ path: modelPath, workspaceRoot: source.workspaceRoot }, settings, files, { training });
      runs.push({ label: fileName(modelPath), loaded, model: loaded.model, params: loaded.params ?? initParams(loaded.model), notes: [] });
    }
  } else {
    if (cells.length === 0) {
      // The model file's own list, when it has one; else every cell.
      const listed = (await loadAnalysis(source, settings, files, { compare: [] })).model.compare;
      cells = listed && listed.length > 0 ? listed : ['rnn', 'lstm', 'gru'];
    }
    const loaded = await loadAnalysis(source, settings, files, { compare: cells, training });
    const notes = loaded.params ? ['Compare starts every cell from a fresh initialization; the weights file is not used.'] : [];
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
  const results: AnalysisResult[] = [];
  for (const [index, run] of runs.entries()) {
    if (stop()) return { results, files: [...read], warnings, stopped: true };
    let summary: TrainingSummary | undefined;
    if (training) {
      ({ summary } = await trainLoaded(run.loaded, run.model, run.params, epochs, {
        onProgress: (point) => options.onProgress?.(index, point),
        shouldStop: stop,
        yieldNow: options.yieldNow ?? (async () => undefined),
      }));
      if (summary.reason === 'cancelled') return { results, files: [...read], warnings, stopped: true };
    }
    const startedFrom = run.loaded.params && run.params === run.loaded.params ? 'file' : 'initialization';
    const notes = [...run.notes];
    if (summary) notes.push(summary.reason === 'nonFinite' ? `Training diverged after ${summary.epochs} of ${epochs} epoch(s); these are the last finite weights.` : `After ${summary.epochs} epoch(s) of training.`);
    const result = analyzeLoaded(run.loaded, run.model, run.params, settings, notes);
    const weights: WeightsState = summary
      ? { kind: 'trained', epochs: summary.epochs, startedFrom }
      : startedFrom === 'file'
        ? { kind: 'file', path: run.loaded.meta.weightsFile ?? '' }
        : { kind: 'initialization', init: run.model.init.kind };
    result.meta = { ...result.meta, label: run.label, weights };
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
}

export interface TrainOutcome {
  reason: 'finished' | 'cancelled' | 'nonFinite';
  last: TrainPoint | null;
  nonFinite: NonFinite | null;
  saved?: string;
  /** Analysis of the trained model on the analyzed sequence. */
  result: AnalysisResult;
  files: string[];
}

export async function runTrain(source: AnalyzeSource, settings: EngineSettings, files: FileSeam, options: TrainOptions, hooks: TrainHooks): Promise<TrainOutcome> {
  const loaded = await loadAnalysis(source, settings, files, { training: true });
  await hooks.beforeCompute?.(loaded.meta);
  const { saveTo, writes } = options;
  // Checked before the first epoch: a save that cannot happen must not cost the whole training first.
  if (saveTo && writes) {
    const replaceable = options.force ? undefined : writtenByUnroll;
    await checkOutputs([{ path: saveTo, what: 'weights', replaceable, mayReplaceWeights: options.force }], loaded.meta, files, writes);
  }
  const model = loaded.model;
  const params = loaded.params ?? initParams(model);
  const trainer = new Trainer(model, params);
  const epochs = options.epochs ?? model.epochs;
  const started = clock();
  let last: TrainPoint | null = null;
  let reason: TrainOutcome['reason'] = 'finished';
  let nonFinite: NonFinite | null = null;
  training: for (let epoch = 1; epoch <= epochs; epoch++) {
    let loss = 0, gradNorm = 0, clipped = 0, n = 0;
    for (const batch of trainer.batches(loaded.dataset, epoch)) {
      if (hooks.shouldStop()) {
        reason = 'cancelled';
        hooks.onStopping?.();
        break training;
      }
      const step = trainer.step(batch.map((i) => loaded.dataset.sequences.get(i)));
      if (step.nonFinite) {
        reason = 'nonFinite';
        nonFinite = step.nonFinite;
        break training;
      }
      loss += step.loss;
      gradNorm += step.gradNorm;
      clipped += step.clipped ? 1 : 0;
      n++;
      await hooks.yieldNow();
    }
    const { radius, sigmaMax } = trainer.spectral();
    last = { epoch, epochs, loss: n ? loss / n : NaN, heldOutLoss: null, gradNorm: n ? gradNorm / n : NaN, gradNormMax: NaN, clipped, batches: n, radius, sigmaMax, elapsedMs: clock() - started };
    hooks.onProgress(last);
  }
  let saved: string | undefined;
  const notes = [`After ${last ? last.epoch : 0} epoch(s) of training (${reason}).`];
  if (saveTo && writes && reason !== 'nonFinite') {
    const weights = encodeWeights(params, saveTo);
    await writes.writeFile(saveTo, weights.bytes);
    saved = saveTo;
    if (weights.widenedFor) notes.push(`Weights saved as F64: ${weights.widenedFor} does not fit in F32 (largest about 3.4e+38).`);
  }
  const result = analyzeLoaded(loaded, model, params, settings, notes);
  return { reason, last, nonFinite, saved, result, files: loaded.files };
}
