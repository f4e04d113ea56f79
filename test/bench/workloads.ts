// The benchmark workloads (issues 2 and 12) and the data they run on. Every system gets the same shapes:
// D inputs, H hidden units, O outputs, T steps, B sequences, squared error summed over steps (README, "The math, and how it is checked").
// Plus one training workload as users run it: a character-level LSTM trained with Adam on a 100 KB text.
import type { CellKind, Precision, ResolvedModel } from '../../src/protocol/result';
import type { SequenceData } from '../../src/engine/types';
import { Rng } from '../../src/engine/rng';

export interface Workload {
  /** Key in the table and the JSON output, e.g. "rnn T=256 B=1". */
  name: string;
  cell: CellKind;
  D: number;
  H: number;
  O: number;
  T: number;
  B: number;
}

const D = 64,
  H = 128,
  O = 64;

const SHAPES: { cell: CellKind; T: number; B: number }[] = [
  { cell: 'rnn', T: 256, B: 1 },
  { cell: 'rnn', T: 2048, B: 1 },
  { cell: 'rnn', T: 256, B: 32 },
  { cell: 'rnn', T: 2048, B: 32 },
  { cell: 'lstm', T: 256, B: 1 },
  { cell: 'gru', T: 256, B: 1 },
  { cell: 'lstm', T: 256, B: 32 },
  { cell: 'gru', T: 256, B: 32 },
];
export const WORKLOADS: Workload[] = SHAPES.map((w) => ({ ...w, D, H, O, name: `${w.cell} T=${w.T} B=${w.B}` }));

/**
 * Full-diagnostics workloads (analyze on one sequence). By default every repetition gets a new W_hh, so ρ and σ_max
 * are computed each time; `sameWeights` repeats the same weights, as a re-analysis after a save of the data file
 * does, where the engine reuses ρ and σ_max of the unchanged W_hh.
 */
export interface AnalyzeWorkload extends Workload {
  sameWeights: boolean;
}
export const ANALYZE_WORKLOADS: AnalyzeWorkload[] = [
  ...[256, 2048].flatMap((T) => [
    { cell: 'rnn' as const, D, H, O, T, B: 1, name: `analyze rnn T=${T}`, sameWeights: false },
    { cell: 'rnn' as const, D, H, O, T, B: 1, name: `analyze rnn T=${T} same weights`, sameWeights: true },
  ]),
  ...(['lstm', 'gru'] as const).map((cell) => ({
    cell,
    D,
    H,
    O,
    T: 256,
    B: 1,
    name: `analyze ${cell} T=256`,
    sameWeights: false,
  })),
];

/** The engine's two arithmetics (model file `precision`); each gets its own column. */
export const PRECISIONS: Precision[] = ['float64', 'float32'];

export function resolvedModel(w: Workload, precision: Precision = 'float64'): ResolvedModel {
  return {
    precision,
    cell: w.cell,
    nonlinearity: 'tanh',
    inputSize: w.D,
    hidden: w.H,
    outputSize: w.O,
    layers: 1,
    task: 'columns',
    loss: 'mse',
    init: { kind: 'pytorch' },
    bptt: { truncate: null },
    optimizer: { kind: 'sgd', lr: 0.01 },
    clip: null,
    epochs: 1,
    batch: 16,
    validation: { fraction: 0 },
    window: w.T,
    seed: 1,
    data: 'bench',
  };
}

/** B random sequences of T steps, inputs and targets uniform in [−1, 1], a target at every step. */
export function makeBatch(w: Workload, seed = 2): SequenceData[] {
  const rng = new Rng(seed);
  return Array.from({ length: w.B }, () => ({
    T: w.T,
    inputs: new Float64Array(w.T * w.D).map(() => rng.range(-1, 1)),
    targets: new Float64Array(w.T * w.O).map(() => rng.range(-1, 1)),
    mask: new Uint8Array(w.T).fill(1),
  }));
}

/**
 * Multiply-adds of forward + full BPTT for one layer with a linear output, used for GFLOP/s:
 * forward (input projection, recurrent product, output) and backward (output-weight gradient and the gradient into
 * h, the recurrent gradient product, and the W_ih, W_hh gradients).
 */
export function multiplyAdds(w: Workload): number {
  const G = w.cell === 'lstm' ? 4 : w.cell === 'gru' ? 3 : 1;
  const perStep = 2 * G * w.H * w.D + 3 * G * w.H * w.H + 3 * w.O * w.H;
  return perStep * w.T * w.B;
}

/**
 * The training workload of issue 12: a character-level LSTM (H=128, windows of T=100 characters, batches of 16,
 * Adam) on a 100 KB text, as `unroll train` runs a `char-lm` model file. `batches` batches are timed after `warmup`
 * untimed ones; the figure is sequences per second from the median batch time.
 */
export const CHAR_LM = {
  name: 'char-lstm train H=128 T=100 B=16',
  hidden: 128,
  window: 100,
  batch: 16,
  lr: 0.002,
  /** 100,001 characters: 100,000 steps, exactly 1000 windows of 100. */
  textChars: 100_001,
  warmup: 2,
  batches: 24,
  /** Rounds of PyTorch, ours f64, ours f32 in turn (see trainRow in report.ts). */
  rounds: 5,
} as const;
export type CharLmWorkload = typeof CHAR_LM;

/** The model file the training workload trains (written beside the text); `precision` picks the engine's arithmetic. */
export function charLmModelFile(text: string, precision: Precision): Record<string, unknown> {
  return {
    data: text,
    task: 'char-lm',
    cell: 'lstm',
    hidden: CHAR_LM.hidden,
    window: CHAR_LM.window,
    batch: CHAR_LM.batch,
    optimizer: { kind: 'adam', lr: CHAR_LM.lr },
    validation: 0,
    epochs: 1,
    seed: 0,
    precision,
  };
}

/**
 * A deterministic English-like text of exactly `chars` characters: words drawn (seeded) from the bundled example
 * text, in sentences and lines, so its vocabulary is that of ordinary prose (about 60 characters).
 */
export function benchText(chars: number, words: string, seed = 7): string {
  const pool = words.split(/\s+/).filter((w) => w.length > 0);
  const rng = new Rng(seed);
  const pick = () => pool[rng.int(pool.length)];
  let out = '',
    line = 0,
    sentence = 0;
  while (out.length < chars) {
    let word = pick();
    if (sentence === 0) word = word[0].toUpperCase() + word.slice(1);
    sentence++;
    const end = sentence > 6 && rng.uniform() < 0.15;
    if (end) sentence = 0;
    const piece = word + (end ? '.' : '');
    if (line + piece.length + 1 > 72) {
      out += '\n';
      line = 0;
    } else if (line > 0) {
      out += ' ';
      line++;
    }
    out += piece;
    line += piece.length;
  }
  return out.slice(0, chars);
}
