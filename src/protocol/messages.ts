// Every message that crosses a boundary: extension ⇄ worker and extension ⇄ webview.
// Each union is closed, so a wrong message is a compile error; `parseFromWebview` checks what the webview sends.
import type { AnalysisResult, CellKind, LossBaseline, NonFinite, TrainPoint } from './result';

/** A problem in a user's file, 1-based line and column (as printed `path:line:col: message`). */
export interface Problem {
  file: string;
  line: number;
  column: number;
  /** End of the range, when known (1-based, exclusive column). */
  endLine?: number;
  endColumn?: number;
  message: string;
  /** What the user can do about it. */
  hint?: string;
  severity: 'error' | 'warning';
}

/** What to analyze: the file the user chose (a sequence file or a *.unroll.json) and the folder it must stay in. */
export interface AnalyzeSource {
  path: string;
  workspaceRoot: string;
  /** A model file to use with `path` as its data (the CLI's --model); absent = `path` itself or the one beside it. */
  model?: string;
  /** Weights to start from instead of the model file's `weights` (the CLI's --weights). */
  weights?: string;
  /** For a `*.unroll-trace` folder: the snapshot to replay (its training step), or 'latest' (the default). */
  traceStep?: number | 'latest';
  /**
   * For a trace: the layer the views show (PyTorch's numbering, from 0; default the last) and whether its reverse
   * direction (a bidirectional module's `_reverse` weights; default the forward one).
   */
  traceLayer?: number;
  traceReverse?: boolean;
}

export interface EngineSettings {
  /** Cap on steps analyzed when the model file sets no `window`. */
  maxSteps: number;
  /** Work budget of the flow matrix, as a multiple of the forward + backward pass (see the engine's flowStepBudget). */
  flowBudget: number;
  /** Cell used for a bare data file with no model file. */
  defaultCell: CellKind;
  /** A run whose estimated peak memory is above this many MiB is refused before it allocates. */
  maxMemoryMB: number;
  /** An analysis (or one training batch) estimated above this many billion multiply-adds is refused before it starts. */
  maxWork: number;
}

export const enum ToWorkerType {
  Analyze = 'analyze',
  Compare = 'compare',
  Train = 'train',
  Cancel = 'cancel',
}

export interface AnalyzeRequest {
  type: ToWorkerType.Analyze;
  requestId: number;
  source: AnalyzeSource;
  settings: EngineSettings;
  /** Replace the model's cell for this run (Compare uses it per cell). */
  cell?: CellKind;
}

export interface CompareRequest {
  type: ToWorkerType.Compare;
  requestId: number;
  source: AnalyzeSource;
  settings: EngineSettings;
  cells: CellKind[];
  /**
   * Model files (absolute paths) to run side by side instead of one source per cell, e.g. exploding vs
   * exploding-clipped: one run per file, `cells` ignored.
   */
  models?: string[];
  /** Train every run this many epochs before analyzing it (0 or absent = compare at initialization). */
  epochs?: number;
}

export interface TrainRequest {
  type: ToWorkerType.Train;
  requestId: number;
  source: AnalyzeSource;
  settings: EngineSettings;
  /** Absolute path to write trained weights (safetensors); absent = do not write anything. */
  saveTo?: string;
  /** Override the model file's epochs. */
  epochs?: number;
}

export interface CancelRequest {
  type: ToWorkerType.Cancel;
  requestId: number;
}

export type ToWorker = AnalyzeRequest | CompareRequest | TrainRequest | CancelRequest;

export const enum FromWorkerType {
  Result = 'result',
  CompareResult = 'compareResult',
  Progress = 'progress',
  TrainDone = 'trainDone',
  Error = 'error',
  Cancelled = 'cancelled',
  Stopping = 'stopping',
  Log = 'log',
}

export interface ResultMessage {
  type: FromWorkerType.Result;
  requestId: number;
  result: AnalysisResult;
  /** Absolute paths the analysis read (data, model, weights): a save of any of them re-runs it. */
  files: string[];
  /** Warnings worth showing in the Problems panel even though the run succeeded. */
  warnings: Problem[];
}

export interface CompareResultMessage {
  type: FromWorkerType.CompareResult;
  requestId: number;
  results: AnalysisResult[];
  files: string[];
}

export interface ProgressMessage {
  type: FromWorkerType.Progress;
  requestId: number;
  point: TrainPoint;
  /** In a training compare: which run (index into its runs) this point belongs to. */
  run?: number;
}

export interface TrainDoneMessage {
  type: FromWorkerType.TrainDone;
  requestId: number;
  reason: 'finished' | 'cancelled' | 'nonFinite';
  last: TrainPoint | null;
  nonFinite: NonFinite | null;
  /** Where weights were written, if they were. */
  saved?: string;
  /** The analysis of the trained model. */
  result?: AnalysisResult;
}

export interface ErrorMessage {
  type: FromWorkerType.Error;
  requestId: number;
  problems: Problem[];
  /** True when the error is an internal failure rather than a problem in the user's files. */
  internal: boolean;
}

export interface CancelledMessage {
  type: FromWorkerType.Cancelled;
  requestId: number;
}

/** The training saw Stop and is finishing: it analyzes the weights it has, then answers TrainDone. */
export interface StoppingMessage {
  type: FromWorkerType.Stopping;
  requestId: number;
}

export interface LogMessage {
  type: FromWorkerType.Log;
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

export type FromWorker =
  | ResultMessage
  | CompareResultMessage
  | ProgressMessage
  | TrainDoneMessage
  | ErrorMessage
  | CancelledMessage
  | StoppingMessage
  | LogMessage;

// ---- extension ⇄ webview ----

export const enum ToWebviewType {
  Result = 'result',
  Compare = 'compare',
  Stale = 'stale',
  TrainStart = 'trainStart',
  TrainProgress = 'trainProgress',
  TrainEnd = 'trainEnd',
  Busy = 'busy',
  ShowView = 'showView',
}

export interface WebviewResult {
  type: ToWebviewType.Result;
  /** Increases with every Result sent; the webview echoes it in `rendered`. */
  generation: number;
  result: AnalysisResult;
}

export interface WebviewCompare {
  type: ToWebviewType.Compare;
  generation: number;
  results: AnalysisResult[];
}

/** The files have problems: keep the last picture, mark it stale, list why. */
export interface WebviewStale {
  type: ToWebviewType.Stale;
  problems: Problem[];
}

export interface WebviewTrainStart {
  type: ToWebviewType.TrainStart;
  epochs: number;
  model: string;
  /** The trivial predictor's loss the curves are drawn against, when the job knows it before the first epoch. */
  baseline?: LossBaseline;
  /** The unit of every loss of the run, e.g. "mean squared error per target step". */
  unit?: string;
}

export interface WebviewTrainProgress {
  type: ToWebviewType.TrainProgress;
  point: TrainPoint;
  /** In a training compare: which run this point belongs to. */
  run?: number;
}

export interface WebviewTrainEnd {
  type: ToWebviewType.TrainEnd;
  reason: 'finished' | 'cancelled' | 'nonFinite';
  nonFinite: NonFinite | null;
}

export interface WebviewBusy {
  type: ToWebviewType.Busy;
  busy: boolean;
  what: string;
}

/** The panel's views (its tabs), in order: `unroll.showView` takes one of these ids. */
export const PANEL_VIEWS = ['unrolled', 'heatmap', 'flow', 'decay', 'whh', 'training', 'compare', 'timeline'] as const;
export type PanelView = (typeof PANEL_VIEWS)[number];

export function isPanelView(x: unknown): x is PanelView {
  return typeof x === 'string' && (PANEL_VIEWS as readonly string[]).includes(x);
}

/** Select a view (tab), as a click on its tab would: `unroll.showView`, e.g. from the walkthrough. */
export interface WebviewShowView {
  type: ToWebviewType.ShowView;
  view: PanelView;
}

export type ToWebview =
  | WebviewResult
  | WebviewCompare
  | WebviewStale
  | WebviewTrainStart
  | WebviewTrainProgress
  | WebviewTrainEnd
  | WebviewBusy
  | WebviewShowView;

export const enum FromWebviewType {
  Ready = 'ready',
  Rendered = 'rendered',
  Export = 'export',
  Command = 'command',
  SelectStep = 'selectStep',
  /** The timeline's slider picked another snapshot of the trace on screen. */
  SelectSnapshot = 'selectSnapshot',
  /** The layer control picked another layer or direction of the trace on screen. */
  SelectTraceLayer = 'selectTraceLayer',
}

export interface WebviewReady {
  type: FromWebviewType.Ready;
}

/** Sent after a Result was drawn: lets the extension measure save → redraw. */
export interface WebviewRendered {
  type: FromWebviewType.Rendered;
  generation: number;
  ms: number;
  /** The view on screen after drawing (a new trace opens on the timeline). */
  view?: string;
  /** For a trace replay: the state of the replay line the header shows (ReplayState of src/protocol/trace.ts). */
  replay?: 'ok' | 'mismatch' | 'approximate';
}

export type ExportFormat = 'png' | 'svg' | 'json' | 'html';

/** The webview rendered an export; the extension asks where to save it (never writes unasked). */
export interface WebviewExport {
  type: FromWebviewType.Export;
  format: ExportFormat;
  /** View name used in the suggested file name. */
  view: string;
  /** Text for svg/json/html, base64 for png. */
  data: string;
}

export type WebviewCommandName = 'analyze' | 'train' | 'stop' | 'compare' | 'exportReport';

export interface WebviewCommand {
  type: FromWebviewType.Command;
  command: WebviewCommandName;
}

export interface WebviewSelectStep {
  type: FromWebviewType.SelectStep;
  step: number;
}

export interface WebviewSelectSnapshot {
  type: FromWebviewType.SelectSnapshot;
  /** The training step of the snapshot (TraceSnapshot.step). */
  step: number;
}

export interface WebviewSelectTraceLayer {
  type: FromWebviewType.SelectTraceLayer;
  /** The layer (from 0, PyTorch's numbering) and direction (AnalyzeSource.traceLayer/traceReverse). */
  layer: number;
  reverse: boolean;
}

export type FromWebview =
  | WebviewReady
  | WebviewRendered
  | WebviewExport
  | WebviewCommand
  | WebviewSelectStep
  | WebviewSelectSnapshot
  | WebviewSelectTraceLayer;

const exportFormats: readonly string[] = ['png', 'svg', 'json', 'html'];
const commandNames: readonly string[] = ['analyze', 'train', 'stop', 'compare', 'exportReport'];
const MAX_EXPORT_CHARS = 64 * 1024 * 1024;

function isInt(x: unknown, min: number, max: number): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max;
}

/** Validate a message from the webview; returns undefined for anything that is not exactly a FromWebview. */
export function parseFromWebview(x: unknown): FromWebview | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const m = x as Record<string, unknown>;
  switch (m.type) {
    case FromWebviewType.Ready:
      return { type: FromWebviewType.Ready };
    case FromWebviewType.Rendered:
      if (!isInt(m.generation, 0, Number.MAX_SAFE_INTEGER) || typeof m.ms !== 'number' || !(m.ms >= 0))
        return undefined;
      return {
        type: FromWebviewType.Rendered,
        generation: m.generation,
        ms: m.ms,
        ...(typeof m.view === 'string' && /^[\w-]{1,64}$/.test(m.view) ? { view: m.view } : {}),
        ...(m.replay === 'ok' || m.replay === 'mismatch' || m.replay === 'approximate' ? { replay: m.replay } : {}),
      };
    case FromWebviewType.Export:
      if (typeof m.format !== 'string' || !exportFormats.includes(m.format)) return undefined;
      if (typeof m.view !== 'string' || !/^[\w-]{1,64}$/.test(m.view)) return undefined;
      if (typeof m.data !== 'string' || m.data.length > MAX_EXPORT_CHARS) return undefined;
      return { type: FromWebviewType.Export, format: m.format as ExportFormat, view: m.view, data: m.data };
    case FromWebviewType.Command:
      if (typeof m.command !== 'string' || !commandNames.includes(m.command)) return undefined;
      return { type: FromWebviewType.Command, command: m.command as WebviewCommandName };
    case FromWebviewType.SelectStep:
      if (!isInt(m.step, 0, 1e9)) return undefined;
      return { type: FromWebviewType.SelectStep, step: m.step };
    case FromWebviewType.SelectSnapshot:
      if (!isInt(m.step, 0, Number.MAX_SAFE_INTEGER)) return undefined;
      return { type: FromWebviewType.SelectSnapshot, step: m.step };
    case FromWebviewType.SelectTraceLayer:
      if (!isInt(m.layer, 0, 1e6) || typeof m.reverse !== 'boolean') return undefined;
      return { type: FromWebviewType.SelectTraceLayer, layer: m.layer, reverse: m.reverse };
    default:
      return undefined;
  }
}
