// The panel's state: what the user chose (kept with setState) and what the extension sent.
import type {
  AnalysisResult,
  GateName,
  LossBaseline,
  Mat,
  NonFinite,
  Problem,
  TrainingSummary,
  TrainPoint,
} from '../src/protocol';
import { CELL_NAMES } from '../src/protocol/kinds';
import type { ColormapName, ScaleMode } from './colormap';
import type { Palette } from './theme';

export type ViewId = 'unrolled' | 'heatmap' | 'flow' | 'decay' | 'whh' | 'training' | 'compare' | 'timeline';
export type Metric = 'dLdh' | 'hidden' | 'cell' | `gate-${GateName}`;

export interface Settings {
  view: ViewId;
  step: number;
  metric: Metric;
  scale: ScaleMode;
  colormap: ColormapName;
  /** Unrolled view: pixels per step, and the first step shown (fractional while scrolling). */
  zoom: number;
  scroll: number;
}

/** step −1: the last step, where a sequence-to-one loss sits. */
export const defaultSettings: Settings = {
  view: 'unrolled',
  step: -1,
  metric: 'dLdh',
  scale: 'log',
  colormap: 'viridis',
  zoom: 0,
  scroll: 0,
};

export interface Training {
  epochs: number;
  model: string;
  points: TrainPoint[];
  running: boolean;
  end?: { reason: 'finished' | 'cancelled' | 'nonFinite'; nonFinite: NonFinite | null };
  /** The trivial predictor's loss and the loss unit: from trainStart when the job sends them, else from the Result. */
  baseline?: LossBaseline;
  unit?: string;
  /** Filled from a Result's training summary (restored state, a report), not streamed live. */
  fromResult?: boolean;
}

export interface Data {
  result?: AnalysisResult;
  compare: AnalysisResult[];
  /** A training compare's live points, one list per run (WebviewTrainProgress.run), until its Results arrive. */
  compareLive: TrainPoint[][];
  training?: Training;
  stale?: Problem[];
  busy?: string;
}

/** What every view reads and the two ways it changes the shared state. */
export interface ViewContext {
  readonly settings: Settings;
  readonly data: Data;
  readonly palette: Palette;
  update(change: Partial<Settings>): void;
  select(step: number): void;
  /** Ask for another snapshot of the trace on screen (its training step): the extension replays it. */
  selectSnapshot(step: number): void;
  /** Inside VS Code (false in a standalone report, where nobody answers a request). */
  readonly connected: boolean;
}

export function steps(r: AnalysisResult): number {
  return r.dLdh.rows;
}

const normCache = new WeakMap<Mat, Float64Array>();

/** ‖row t‖₂ of a [T][H] matrix, for every t (computed once per matrix). */
export function rowNorms(m: Mat): Float64Array {
  const cached = normCache.get(m);
  if (cached) return cached;
  const out = new Float64Array(m.rows);
  for (let t = 0; t < m.rows; t++) {
    let s = 0;
    for (let i = 0; i < m.cols; i++) {
      const v = m.data[t * m.cols + i];
      s += v * v;
    }
    out[t] = Math.sqrt(s);
  }
  normCache.set(m, out);
  return out;
}

export const metricLabels: Record<string, string> = {
  dLdh: '∂L/∂h_t[i]',
  hidden: 'h_t[i]',
  cell: 'c_t[i]',
  'gate-i': 'input gate i_t[i]',
  'gate-f': 'forget gate f_t[i]',
  'gate-g': 'candidate g_t[i]',
  'gate-o': 'output gate o_t[i]',
  'gate-r': 'reset gate r_t[i]',
  'gate-z': 'update gate z_t[i]',
  'gate-n': 'candidate n_t[i]',
};

/** The matrix a heatmap metric names, if this Result has it. */
export function metricMatrix(r: AnalysisResult, metric: Metric): Mat | undefined {
  if (metric === 'dLdh') return r.dLdh;
  if (metric === 'hidden') return r.hidden;
  if (metric === 'cell') return r.cell;
  return r.gates?.[metric.slice(5) as GateName];
}

export function availableMetrics(r: AnalysisResult | undefined): Metric[] {
  const out: Metric[] = ['dLdh', 'hidden'];
  if (r?.cell) out.push('cell');
  for (const g of ['i', 'f', 'g', 'o', 'r', 'z', 'n'] as GateName[]) if (r?.gates?.[g]) out.push(`gate-${g}`);
  return out;
}

export function cellName(r: AnalysisResult): string {
  return CELL_NAMES[r.model.cell];
}

/** The Training view's run for a Result that carries a training summary. */
export function trainingFromSummary(s: TrainingSummary, model: string): Training {
  return {
    epochs: s.history[s.history.length - 1]?.epochs ?? s.epochs,
    model,
    points: [...s.history],
    running: false,
    end: { reason: s.reason, nonFinite: s.nonFinite },
    baseline: s.baseline,
    unit: s.unit,
    fromResult: true,
  };
}

/** The name a run goes by: its label, else the model file's (or the data file's) name. */
export function runName(r: AnalysisResult): string {
  return r.meta.label ?? baseName(r.meta.modelFile ?? r.meta.dataFile);
}

export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}
