// The jobs the worker runs, as plain async functions: the worker entry and the CLI share them.
import type { AnalysisResult, CellKind, NonFinite, TrainPoint } from '../protocol/result';
import type { AnalyzeSource, EngineSettings, Problem } from '../protocol/messages';
import type { FileSeam } from '../data/files';

export interface AnalyzeOutcome {
  result: AnalysisResult;
  /** Absolute paths read (data, model, weights). */
  files: string[];
  warnings: Problem[];
}

/** Load the source (data file or model file), run forward + BPTT + diagnostics. Throws the data layer's InputError. */
export async function runAnalyze(source: AnalyzeSource, settings: EngineSettings, files: FileSeam, cell?: CellKind): Promise<AnalyzeOutcome> {
  throw new Error('not implemented' + source + settings + files + cell);
}

export interface CompareOutcome {
  results: AnalysisResult[];
  files: string[];
  warnings: Problem[];
}

/** The same data, seed and settings, once per cell. */
export async function runCompare(source: AnalyzeSource, settings: EngineSettings, files: FileSeam, cells: CellKind[]): Promise<CompareOutcome> {
  throw new Error('not implemented' + source + settings + files + cells);
}

export interface TrainHooks {
  onProgress(point: TrainPoint): void;
  /** Checked between batches; true ends the run with reason 'cancelled'. */
  shouldStop(): boolean;
  /** Called between batches so the caller's event loop can run (the worker awaits a macrotask here). */
  yieldNow(): Promise<void>;
}

export interface TrainOptions {
  epochs?: number;
  /** Absolute path for the trained weights (safetensors, F32); absent = write nothing. */
  saveTo?: string;
  writeFile?(path: string, bytes: Uint8Array): Promise<void>;
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
  throw new Error('not implemented' + source + settings + files + options + hooks);
}
