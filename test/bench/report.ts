// The bench's figures as data (what --json prints), the speed targets judged on them, and the Markdown that
// docs/bench.md records (--markdown). Pure functions of the figures, so test/unit/bench.test.ts can check them.
import type { Timing } from './timing';
import type { TrainTiming } from './ours';

/** One system's timing on one workload, or why it did not run. */
export type Cell = (Timing & { gflops?: number }) | { skipped: string };

/** Systems of the forward + BPTT table, in column order. ours-f64/ours-f32: the engine in each precision. */
export const SYSTEMS = ['ours-f64', 'ours-f32', 'pytorch', 'tfjs', 'brain'] as const;
export type System = (typeof SYSTEMS)[number];
export const OURS: readonly System[] = ['ours-f64', 'ours-f32'];

export interface ForwardBackwardRow {
  kind: 'forwardBackward';
  cells: Partial<Record<System, Cell>>;
}
export interface AnalyzeRow {
  kind: 'analyze';
  /** analyze() with every diagnostic, and plain forward + BPTT timed in alternation with it. */
  analyze: Timing;
  forwardBackward: Timing;
  /** ρ/σ_max on the helper thread, prefetched as the worker does (the path the product runs); absent: one thread. */
  secondThread?: boolean;
}

/** The suffix of an analyze row measured as the worker runs it. */
export const SECOND_THREAD = 'ρ/σ_max on a second thread, as the worker runs it';
export interface TrainRow {
  kind: 'train';
  /** Sequences per second of the char-LSTM training, for each precision of ours and for PyTorch (median of the rounds). */
  cells: Partial<Record<'ours-f64' | 'ours-f32' | 'pytorch', TrainTiming | { skipped: string }>>;
  /** ours/PyTorch in sequences per second: the median of the rounds' ratios, each from one stretch of time. */
  ratios?: Partial<Record<'ours-f64' | 'ours-f32', number>>;
  /** The smallest and largest of the rounds' ratios: how far one round's verdict can move. */
  ratioRanges?: Partial<Record<'ours-f64' | 'ours-f32', [number, number]>>;
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The training row from rounds of (PyTorch, ours f64, ours f32): medians of the figures and of the per-round ratios. */
export function trainRow(
  rounds: Record<'pytorch' | 'ours-f64' | 'ours-f32', TrainTiming[]>,
  torchMissing?: string,
): TrainRow {
  const summary = (ts: TrainTiming[]): TrainTiming => ({
    seqPerSec: medianOf(ts.map((t) => t.seqPerSec)),
    medianBatchMs: medianOf(ts.map((t) => t.medianBatchMs)),
    batches: ts.reduce((a, t) => a + t.batches, 0),
  });
  const row: TrainRow = { kind: 'train', cells: {} };
  row.cells.pytorch = torchMissing !== undefined ? { skipped: torchMissing } : summary(rounds.pytorch);
  for (const o of ['ours-f64', 'ours-f32'] as const) {
    if (rounds[o].length === 0) continue;
    row.cells[o] = summary(rounds[o]);
    if (torchMissing === undefined && rounds.pytorch.length === rounds[o].length) {
      const perRound = rounds[o].map((t, i) => t.seqPerSec / rounds.pytorch[i].seqPerSec);
      (row.ratios ??= {})[o] = medianOf(perRound);
      (row.ratioRanges ??= {})[o] = [Math.min(...perRound), Math.max(...perRound)];
    }
  }
  return row;
}

/** A ratio with the range of the rounds' ratios, when there were several: "1.09 (1.02–1.20)". */
function withRange(ratio: number | undefined, range: [number, number] | undefined): string {
  const r = fixed(ratio, 2);
  return range && range[0] !== range[1] ? `${r} (${fixed(range[0], 2)}–${fixed(range[1], 2)})` : r;
}

/** ours/PyTorch of a training row: the rounds' median ratio when there were rounds, else the ratio of the figures. */
function trainRatio(row: TrainRow, o: 'ours-f64' | 'ours-f32'): number | undefined {
  if (row.ratios?.[o] !== undefined) return row.ratios[o];
  const torch = seqPerSec(row.cells.pytorch),
    ours = seqPerSec(row.cells[o]);
  return torch === undefined || ours === undefined ? undefined : ours / torch;
}
export type Row = ForwardBackwardRow | AnalyzeRow | TrainRow;

export interface Env {
  date: string;
  cpu: string;
  cores: number;
  node: string;
  pytorch: string;
  OPENBLAS_CORETYPE: string | null;
  OPENBLAS_L2_SIZE: string | null;
  OPENBLAS_NUM_THREADS: string | null;
  /** False when the engine computes the same bits for both precisions (then ours-f32 is float64 arithmetic). */
  float32Honoured: boolean;
  /** Which build of the engine's WebAssembly kernels ran (relaxed SIMD with fused multiply-adds, or plain SIMD). */
  kernels: string;
}

export interface BenchFigures {
  env: Env;
  workloads: Record<string, Row>;
}

export function ms(c: Cell | undefined): number | undefined {
  return c && 'medianMs' in c ? c.medianMs : undefined;
}

function seqPerSec(c: TrainTiming | { skipped: string } | undefined): number | undefined {
  return c && 'seqPerSec' in c ? c.seqPerSec : undefined;
}

/** Ratios of one forward + BPTT row: each precision of ours over PyTorch, and tfjs and brain.js over each precision. */
export function ratios(row: ForwardBackwardRow): Record<string, number> {
  const out: Record<string, number> = {};
  const torch = ms(row.cells.pytorch),
    tfjs = ms(row.cells.tfjs),
    brain = ms(row.cells.brain);
  for (const o of OURS) {
    const ours = ms(row.cells[o]);
    if (ours === undefined) continue;
    if (torch !== undefined) out[`${o}/pytorch`] = ours / torch;
    if (tfjs !== undefined) out[`tfjs/${o}`] = tfjs / ours;
    if (brain !== undefined) out[`brain/${o}`] = brain / ours;
  }
  return out;
}

/** One line of the targets table: a target of issue 12 on one workload, the figure per precision, met or not. */
export interface TargetCheck {
  target: string;
  workload: string;
  /** The figure the target bounds, per precision of ours (undefined: not measured). */
  figures: Partial<Record<'ours-f64' | 'ours-f32', number>>;
  /** Per precision: whether the figure meets the target. */
  met: Partial<Record<'ours-f64' | 'ours-f32', boolean>>;
  /** A figure printed beside the target for reference, not judged (the one-thread analysis, when the worker's ran). */
  reference?: boolean;
}

const BATCH1 = ['rnn T=256 B=1', 'rnn T=2048 B=1', 'lstm T=256 B=1', 'gru T=256 B=1'];
const BATCH32 = ['rnn T=256 B=32', 'rnn T=2048 B=32', 'lstm T=256 B=32', 'gru T=256 B=32'];

/**
 * Issue 12's speed targets on the figures: batch 1 ≤ 0.5× PyTorch's time, batch 32 ≤ 2×, tfjs ≥ 20× slower than us
 * on every workload it runs, the char-LSTM training at ≥ PyTorch's sequences per second, and full diagnostics
 * ≤ 3× forward + BPTT (the engine's default precision, float64, which analyze runs in).
 */
export function checkTargets(figures: BenchFigures): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const rows = figures.workloads;
  const fb = (name: string) =>
    rows[name]?.kind === 'forwardBackward' ? (rows[name] as ForwardBackwardRow) : undefined;
  const each = (
    target: string,
    workload: string,
    figure: (o: 'ours-f64' | 'ours-f32') => number | undefined,
    ok: (x: number) => boolean,
  ) => {
    const check: TargetCheck = { target, workload, figures: {}, met: {} };
    for (const o of OURS as ('ours-f64' | 'ours-f32')[]) {
      const x = figure(o);
      if (x === undefined || !Number.isFinite(x)) continue;
      check.figures[o] = x;
      check.met[o] = ok(x);
    }
    if (Object.keys(check.figures).length > 0) checks.push(check);
  };
  for (const [names, bound, target] of [
    [BATCH1, 0.5, 'batch 1 ≤ 0.5× PyTorch (time ratio)'],
    [BATCH32, 2, 'batch 32 ≤ 2× PyTorch (time ratio)'],
  ] as const) {
    for (const name of names) {
      const row = fb(name);
      if (row)
        each(
          target,
          name,
          (o) => ratios(row)[`${o}/pytorch`],
          (x) => x <= bound,
        );
    }
  }
  for (const [name, row] of Object.entries(rows)) {
    if (row.kind === 'forwardBackward' && ms(row.cells.tfjs) !== undefined) {
      each(
        'tfjs ≥ 20× slower than us (time ratio)',
        name,
        (o) => ratios(row)[`tfjs/${o}`],
        (x) => x >= 20,
      );
    }
  }
  for (const [name, row] of Object.entries(rows)) {
    if (row.kind !== 'train') continue;
    each(
      'training ≥ PyTorch (seq/s ratio)',
      name,
      (o) => trainRatio(row, o),
      (x) => x >= 1,
    );
  }
  // The target is judged on the path the product runs: the worker's (ρ/σ_max on its helper thread) where the run
  // measured it, else the one-thread analysis (a one-core machine, where the worker runs one thread too); the
  // one-thread figure is then printed for reference.
  for (const [name, row] of Object.entries(rows)) {
    if (row.kind !== 'analyze') continue;
    const viaWorker = rows[`${name} (${SECOND_THREAD})`]?.kind === 'analyze';
    each(
      viaWorker ? 'diagnostics on one thread (reference, not judged)' : 'diagnostics ≤ 3× forward + BPTT',
      name,
      (o) => (o === 'ours-f64' ? row.analyze.medianMs / row.forwardBackward.medianMs : undefined),
      (x) => x <= 3,
    );
    if (viaWorker) checks[checks.length - 1].reference = true;
  }
  return checks;
}

const fixed = (x: number | undefined, digits = 1) => (x === undefined ? '' : x.toFixed(digits));
/** A Markdown table: the first column left-aligned, the others right-aligned (numbers) unless `left`. */
const table = (head: string[], body: string[][], left = false) =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i === 0 || left ? '---' : '---:')).join('|')}|`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
const cellText = (c: Cell | undefined) => (c === undefined ? '' : 'skipped' in c ? '–' : c.medianMs.toFixed(1));

/** The run as Markdown for docs/bench.md: machine, the three tables, the skipped runs, and the targets met or not. */
export function markdown(figures: BenchFigures): string {
  const { env } = figures;
  const rows = Object.entries(figures.workloads);
  const out: string[] = [];
  out.push(`### Run of ${env.date}`);
  out.push('');
  out.push(
    table(
      ['machine', ''],
      [
        ['CPU', `${env.cpu}, ${env.cores} cores`],
        ['Node', `${env.node}, kernels: ${env.kernels}`],
        ['PyTorch', env.pytorch],
        [
          'OpenBLAS env (PyTorch process)',
          `OPENBLAS_CORETYPE=${env.OPENBLAS_CORETYPE ?? 'unset'}, OPENBLAS_L2_SIZE=${env.OPENBLAS_L2_SIZE ?? 'unset'}, OPENBLAS_NUM_THREADS=${env.OPENBLAS_NUM_THREADS ?? 'unset'}`,
        ],
        [
          'ours-f32',
          env.float32Honoured
            ? 'float32 products and LSTM steps (model file "precision": "float32")'
            : 'the engine ignored "precision" in this run: ours-f32 is float64 arithmetic',
        ],
      ],
      true,
    ),
  );
  out.push('');
  const fbRows = rows.filter((r): r is [string, ForwardBackwardRow] => r[1].kind === 'forwardBackward');
  if (fbRows.length > 0) {
    out.push('Forward + full BPTT with ∂L/∂h_t kept for every step (D=64, H=128, O=64, squared error), median ms:');
    out.push('');
    out.push(
      table(
        [
          'workload',
          'ours f64',
          'ours f32',
          'PyTorch',
          'tfjs',
          'brain.js',
          'f64/PyTorch',
          'f32/PyTorch',
          'tfjs/f64',
          'tfjs/f32',
          'brain.js/f64',
        ],
        fbRows.map(([name, row]) => {
          const r = ratios(row);
          return [
            name,
            ...SYSTEMS.map((s) => cellText(row.cells[s])),
            ...['ours-f64/pytorch', 'ours-f32/pytorch', 'tfjs/ours-f64', 'tfjs/ours-f32', 'brain/ours-f64'].map((k) =>
              fixed(r[k], 2),
            ),
          ];
        }),
      ),
    );
  }
  const trainRows = rows.filter((r): r is [string, TrainRow] => r[1].kind === 'train');
  if (trainRows.length > 0) {
    out.push('');
    out.push(
      'Training as `unroll train` runs a `char-lm` model file (LSTM H=128, windows of 100 characters, batches of 16, Adam,',
    );
    out.push(
      'a generated 100 KB text), sequences per second from the median batch time; PyTorch: nn.LSTM + nn.Linear, the same loss and Adam;',
    );
    out.push(
      "rounds of PyTorch, ours f64 and ours f32 in turn, the median of the rounds' figures and of their ratios (in parentheses: the rounds' smallest and largest ratio):",
    );
    out.push('');
    out.push(
      table(
        ['workload', 'ours f64 seq/s', 'ours f32 seq/s', 'PyTorch seq/s', 'f64/PyTorch', 'f32/PyTorch'],
        trainRows.map(([name, row]) => {
          const of = (o: 'ours-f64' | 'ours-f32') => seqPerSec(row.cells[o]);
          return [
            name,
            fixed(of('ours-f64')),
            fixed(of('ours-f32')),
            fixed(seqPerSec(row.cells.pytorch)),
            withRange(trainRatio(row, 'ours-f64'), row.ratioRanges?.['ours-f64']),
            withRange(trainRatio(row, 'ours-f32'), row.ratioRanges?.['ours-f32']),
          ];
        }),
      ),
    );
  }
  const analyzeRows = rows.filter((r): r is [string, AnalyzeRow] => r[1].kind === 'analyze');
  if (analyzeRows.length > 0) {
    out.push('');
    out.push(
      'Full diagnostics (`analyze`, float64), each run paired with a plain forward + BPTT run so the ratio comes from one window:',
    );
    out.push('');
    out.push(
      table(
        ['analyze', 'ms', 'forward + BPTT ms', 'ratio'],
        analyzeRows.map(([name, row]) => [
          name,
          fixed(row.analyze.medianMs),
          fixed(row.forwardBackward.medianMs),
          fixed(row.analyze.medianMs / row.forwardBackward.medianMs, 2),
        ]),
      ),
    );
  }
  const skipped = rows.flatMap(([name, row]) =>
    row.kind === 'analyze'
      ? []
      : Object.entries(row.cells).flatMap(([system, c]) =>
          c && 'skipped' in c ? [`${name} ${system}: ${c.skipped}`] : [],
        ),
  );
  if (skipped.length > 0) {
    out.push('');
    out.push('Skipped: ' + skipped.join('; ') + '.');
  }
  out.push('');
  out.push('Targets of issue 12:');
  out.push('');
  const verdict = (c: TargetCheck, o: 'ours-f64' | 'ours-f32') =>
    c.figures[o] === undefined
      ? ''
      : c.reference
        ? c.figures[o]!.toFixed(2)
        : `${c.figures[o]!.toFixed(2)} ${c.met[o] ? 'met' : '**not met**'}`;
  out.push(
    table(
      ['target', 'workload', 'ours f64', 'ours f32'],
      checkTargets(figures).map((c) => [c.target, c.workload, verdict(c, 'ours-f64'), verdict(c, 'ours-f32')]),
      true,
    ),
  );
  return out.join('\n') + '\n';
}
