// The example workspace (examples/, also written by `unroll example`): tasks that separate short from long
// memory (README, "The argument, step by step"), generated from fixed seeds so every machine writes the same bytes.
import { CELL_KINDS, type CellKind } from '../protocol/kinds';
import { ALICE_OPENING } from './exampleText';
import { csv, modelFile, random } from './exampleFormat';
import { PAPER_EXAMPLE_NAMES, PAPER_README, paperExampleFiles, paperExampleSet } from './paperExamples';

export interface ExampleFile {
  name: string;
  contents: string;
}

export const EXAMPLE_NAMES = [
  'sine',
  'adding',
  'copy',
  'text',
  'exploding',
  'truncated',
  ...PAPER_EXAMPLE_NAMES,
] as const;
export type ExampleName = (typeof EXAMPLE_NAMES)[number];
export const DEFAULT_LAGS: Partial<Record<ExampleName, number>> = { adding: 50, copy: 30 };
const CELL_WORDS: Record<CellKind, string> = { rnn: 'a vanilla RNN (tanh)', lstm: 'an LSTM', gru: 'a GRU' };

function sine(): ExampleFile[] {
  const rand = random(1);
  const rows = Array.from({ length: 200 }, (_, t) => [
    (Math.sin((2 * Math.PI * t) / 25) + 0.02 * (rand() - 0.5)).toFixed(4),
  ]);
  return [
    { name: 'sine.csv', contents: csv(['value'], rows) },
    ...CELL_KINDS.map((cell) => ({
      name: `sine.${cell}.unroll.json`,
      contents: modelFile(
        [
          `Next-step prediction of a noisy sine wave with ${CELL_WORDS[cell]}.`,
          'A short-term task: the next value depends on the last few, so every cell learns it.',
        ],
        {
          data: 'sine.csv',
          task: 'next-step',
          cell,
          hidden: 16,
          window: 100,
          optimizer: { kind: 'adam', lr: 0.01 },
          epochs: 50,
          seed: 0,
        },
      ),
    })),
  ];
}

/**
 * The adding problem marks two distinct steps among the first addingSpan(lag): max(3, ⌈lag/10⌉), so both lie about
 * 0.9·lag to lag steps before the target (never more steps than the sequence has: lag + 1).
 */
export function addingSpan(lag: number): number {
  return Math.min(lag + 1, Math.max(3, Math.ceil(lag / 10)));
}

/** A model file's training settings, tuned per task and cell so that `unroll train` shows the lesson (examples/README.md). */
interface Tuning {
  hidden: number;
  lr: number;
  batch: number;
  epochs: number;
  init?: Record<string, unknown>;
}

function addingTuning(lag: number, cell: CellKind): Tuning {
  if (lag <= 20)
    return {
      hidden: 16,
      lr: 0.01,
      batch: 16,
      epochs: 20,
      ...(cell === 'lstm' ? { init: { kind: 'pytorch', forgetBias: 1 } } : {}),
    };
  // Long lags: the LSTM needs a forget-gate bias of 2 (the cell keeps ~0.88 a step) and a smaller step; the GRU a larger one.
  if (cell === 'lstm')
    return { hidden: 16, lr: 0.003, batch: 16, epochs: 20, init: { kind: 'pytorch', forgetBias: 2 } };
  if (cell === 'gru') return { hidden: 32, lr: 0.02, batch: 32, epochs: 20 };
  return { hidden: 16, lr: 0.01, batch: 16, epochs: 20 };
}

/**
 * The adding problem (Hochreiter & Schmidhuber 1997): values uniform in [−1, 1], two of them marked; the target at the
 * last step is their sum. Both marks sit in the first addingSpan(lag) steps, so neither is nearer than about 0.9·lag
 * to the target: a cell that remembers only recent steps knows nothing about the target (its best guess is the mean).
 */
function adding(lag: number): ExampleFile[] {
  const rand = random(1000 + lag);
  // Enough sequences that a fifth held out measures learning, not memorising; lag 200 is there to be analyzed.
  const sequences = lag >= 200 ? 32 : 1000;
  const steps = lag + 1;
  const span = addingSpan(lag);
  const rows: (string | number)[][] = [];
  for (let s = 0; s < sequences; s++) {
    const first = Math.floor(rand() * span);
    let second = Math.floor(rand() * (span - 1));
    if (second >= first) second++;
    const values = Array.from({ length: steps }, () => Number((2 * rand() - 1).toFixed(4)));
    const target = values[first] + values[second];
    for (let t = 0; t < steps; t++) {
      const marker = t === first || t === second ? 1 : 0;
      rows.push([s + 1, values[t].toFixed(4), marker, t === steps - 1 ? target.toFixed(4) : '']);
    }
  }
  const stem = `adding-lag${lag}`;
  return [
    { name: `${stem}.csv`, contents: csv(['sequence', 'value', 'marker', 'target'], rows) },
    ...CELL_KINDS.map((cell) => {
      const tuning = addingTuning(lag, cell);
      return {
        name: `${stem}.${cell}.unroll.json`,
        contents: modelFile(
          [
            `The adding problem with a lag of ${lag} steps, learned by ${CELL_WORDS[cell]}.`,
            `${sequences} sequences of ${steps} values in [−1, 1]; two of them, both in the first ${span} steps, are marked,`,
            `and the target at the last step is their sum: both marks are ${lag - span + 1} to ${lag} steps back.`,
            lag >= 200
              ? 'Few sequences: this file is for analysing how the gradient fades over 200 steps, not for training.'
              : '"validation": 0.2 holds out a fifth; predicting the mean scores the variance of the sum (2/3 on average).',
          ],
          {
            data: `${stem}.csv`,
            task: 'seq-to-one',
            inputs: ['value', 'marker'],
            targets: ['target'],
            cell,
            hidden: tuning.hidden,
            window: steps,
            ...(tuning.init ? { init: tuning.init } : {}),
            optimizer: { kind: 'adam', lr: tuning.lr },
            epochs: tuning.epochs,
            batch: tuning.batch,
            validation: 0.2,
            seed: 0,
          },
        ),
      };
    }),
  ];
}

function copyTuning(cell: CellKind): Tuning {
  if (cell === 'lstm') return { hidden: 32, lr: 0.005, batch: 8, epochs: 30, init: { kind: 'pytorch', forgetBias: 2 } };
  return { hidden: 32, lr: 0.01, batch: 16, epochs: 30 };
}

/**
 * Delayed recall: five symbols of four (one-hot x1..x4), then blanks; from step `lag` on the `go` input is 1 and the
 * target (one-hot y1..y4, scored by cross-entropy) is the symbol seen exactly `lag` steps before.
 */
function copy(lag: number): ExampleFile[] {
  const rand = random(2000 + lag);
  const symbols = 5;
  const sequences = 1000;
  const steps = lag + symbols;
  const rows: (string | number)[][] = [];
  for (let s = 0; s < sequences; s++) {
    const shown = Array.from({ length: symbols }, () => Math.floor(rand() * 4));
    for (let t = 0; t < steps; t++) {
      const input = [0, 0, 0, 0];
      if (t < symbols) input[shown[t]] = 1;
      const recall = t >= lag;
      const output = recall ? [0, 1, 2, 3].map((k) => (k === shown[t - lag] ? 1 : 0)) : ['', '', '', ''];
      rows.push([s + 1, ...input, recall ? 1 : 0, ...output]);
    }
  }
  const stem = `copy-lag${lag}`;
  return [
    { name: `${stem}.csv`, contents: csv(['sequence', 'x1', 'x2', 'x3', 'x4', 'go', 'y1', 'y2', 'y3', 'y4'], rows) },
    ...CELL_KINDS.map((cell) => {
      const tuning = copyTuning(cell);
      return {
        name: `${stem}.${cell}.unroll.json`,
        contents: modelFile(
          [
            `Delayed recall with ${CELL_WORDS[cell]}: reproduce each of five symbols exactly ${lag} steps after seeing it.`,
            `${sequences} sequences of ${steps} steps; targets are set only on the five recall steps (empty cells elsewhere),`,
            'scored by cross-entropy. Knowing only the step, the best guess is 1/4 for each symbol: log 4 ≈ 1.39 nats.',
          ],
          {
            data: `${stem}.csv`,
            task: 'columns',
            inputs: ['x1', 'x2', 'x3', 'x4', 'go'],
            targets: ['y1', 'y2', 'y3', 'y4'],
            loss: 'xent',
            cell,
            hidden: tuning.hidden,
            window: steps,
            ...(tuning.init ? { init: tuning.init } : {}),
            optimizer: { kind: 'adam', lr: tuning.lr },
            epochs: tuning.epochs,
            batch: tuning.batch,
            validation: 0.2,
            seed: 0,
          },
        ),
      };
    }),
  ];
}

function text(): ExampleFile[] {
  return [
    { name: 'text.txt', contents: ALICE_OPENING },
    ...CELL_KINDS.map((cell) => ({
      name: `text.${cell}.unroll.json`,
      contents: modelFile(
        [
          `Character-level language model (as in min-char-rnn) with ${CELL_WORDS[cell]}.`,
          'Each character predicts the next; the loss is cross-entropy over the vocabulary.',
        ],
        {
          data: 'text.txt',
          task: 'char-lm',
          cell,
          hidden: 48,
          window: 100,
          optimizer: { kind: 'adam', lr: 0.01 },
          ...(cell === 'lstm' ? { init: { kind: 'pytorch', forgetBias: 1 } } : {}),
          epochs: 20,
          seed: 0,
        },
      ),
    })),
  ];
}

function exploding(): ExampleFile[] {
  const common = {
    data: 'sine.csv',
    task: 'next-step',
    cell: 'rnn',
    hidden: 32,
    window: 100,
    init: { kind: 'orthogonal', spectralRadius: 1.5 },
    optimizer: { kind: 'sgd', lr: 0.05 },
    epochs: 100,
    seed: 0,
  };
  return [
    ...sine().slice(0, 1),
    {
      name: 'exploding.rnn.unroll.json',
      contents: modelFile(
        [
          'A vanilla RNN whose W_hh starts with spectral radius 1.5 (> 1/γ = 1 for tanh).',
          'Gradients can grow with distance instead of decaying: compare ρ and σ_max with 1/γ and watch the gradient norm.',
          'Trained as it is, it diverges (seed 0: in epoch 42); exploding-clipped.rnn.unroll.json is the same run with clipping.',
        ],
        { ...common, clip: null },
      ),
    },
    {
      name: 'exploding-clipped.rnn.unroll.json',
      contents: modelFile(
        [
          'The same network with gradient clipping by global norm: if ‖g‖ > 1 then g ← g/‖g‖.',
          'The direction is kept; the step size is bounded. The clip count says how often it fired.',
          'Trained as it is, it learns the sine (seed 0: loss about 0.009 against 0.50 for predicting the mean).',
        ],
        { ...common, clip: { norm: 1 } },
      ),
    },
  ];
}

/** Truncated BPTT on the sine (the walkthrough's step on truncation): the flow matrix shows the cut at k = 10. */
function truncated(): ExampleFile[] {
  return [
    ...sine().slice(0, 1),
    {
      name: 'truncated.rnn.unroll.json',
      contents: modelFile(
        [
          'The sine model of sine.rnn.unroll.json, trained with truncated BPTT: the gradient of each loss term',
          'reaches the last 10 steps only (h_{t−9} … h_t). The flow matrix shows the cut; nothing lies beyond it.',
        ],
        {
          data: 'sine.csv',
          task: 'next-step',
          cell: 'rnn',
          hidden: 16,
          window: 100,
          bptt: { truncate: 10 },
          optimizer: { kind: 'adam', lr: 0.01 },
          epochs: 50,
          seed: 0,
        },
      ),
    },
  ];
}

/** The files of one example, e.g. `adding` with lag 100 gives adding-lag100.csv and its three model files. */
export function exampleSet(name: ExampleName, lag?: number): ExampleFile[] {
  switch (name) {
    case 'sine':
      return sine();
    case 'adding':
      return adding(lag ?? DEFAULT_LAGS.adding!);
    case 'copy':
      return copy(lag ?? DEFAULT_LAGS.copy!);
    case 'text':
      return text();
    case 'exploding':
      return exploding();
    case 'truncated':
      return truncated();
    default:
      return paperExampleSet(name);
  }
}

const README = `# Unroll examples

Each data file comes with model files (\`<data>.<cell>.unroll.json\`) for a vanilla RNN, an LSTM and a GRU.
Right-click a file and choose **Unroll: Analyze Sequence File**, or run \`unroll analyze <file>\`; \`unroll train <model file>\`
trains it with the file's settings and reports the loss on held-out sequences next to a baseline.

| file | task | the lesson |
| --- | --- | --- |
| \`sine.csv\` | next-step | short-term memory: every cell learns it |
| \`adding-lag10.csv\`, \`adding-lag50.csv\` | seq-to-one | the adding problem (below): every cell learns lag 10; at lag 50 the LSTM and the GRU learn it and the tanh RNN does not |
| \`adding-lag200.csv\` | seq-to-one | the same at lag 200, 32 sequences: for analysing how the gradient fades, not for training |
| \`copy-lag30.csv\` | columns, cross-entropy | delayed recall (below): the LSTM and the GRU learn it, the tanh RNN does not |
| \`text.txt\` | char-lm | character-level language modelling |
| \`exploding.rnn.unroll.json\` | next-step on \`sine.csv\` | W_hh starts with spectral radius 1.5 > 1/γ: gradients can explode |
| \`exploding-clipped.rnn.unroll.json\` | the same | fixed by clipping the gradient's global norm |
| \`truncated.rnn.unroll.json\` | next-step on \`sine.csv\` | truncated BPTT (k = 10): no gradient reaches further back than 10 steps |

**The adding problem** (Hochreiter & Schmidhuber 1997). Each sequence has lag + 1 steps of two inputs: a value drawn
uniformly from [−1, 1] and a marker. Two steps are marked, both among the first max(3, ⌈lag/10⌉); the target at the
last step is the sum of the two marked values. Both marks are therefore about 0.9·lag to lag steps back: a network
that remembers only recent steps knows nothing about the target, and its best guess is the mean, whose squared error
is the variance of the sum: 2/3 on average, and the baseline \`unroll train\` prints is its value on the held-out
sequences. 1000 sequences; \`"validation": 0.2\` holds out 200 that training never sees.

**Delayed recall** (the copy task). Five symbols of four (one-hot \`x1\`…\`x4\`) are shown at steps 0–4; then blanks.
From step lag on, \`go\` is 1 and the target (one-hot \`y1\`…\`y4\`, \`"loss": "xent"\`) is the symbol seen exactly lag
steps before. Knowing only the step, the best guess gives each symbol 1/4: a cross-entropy of log 4 ≈ 1.39 nats per
recall step, the baseline. 1000 sequences, a fifth held out.

What \`unroll train\` measures with these files (held-out loss after training, as a fraction of the baseline; the seeds
in the files; \`test/lesson\` checks these):

| file | RNN | LSTM | GRU |
| --- | --- | --- | --- |
| \`adding-lag10\` | 0.036 | 0.005 | 0.001 |
| \`adding-lag50\` | 1.03 | 0.011 | 0.004 |
| \`copy-lag30\` | 0.89 | 0.099 | 0.100 |

The settings differ by cell (in each model file): at long lags the LSTM starts with a forget-gate bias of 2, so its
cell keeps about 0.88 of its contents per step, and takes smaller steps; at lag 50 the GRU takes larger ones. Gated
cells sit on a plateau at the baseline for some epochs before they find the marks; how long depends on the seed (seeds
1 and 2 also get below 0.01× on adding-lag50 and 0.1× on copy-lag30 with these settings; another seed may need more
epochs). The tanh RNN does not get there with more epochs (with three times as many: 1.01× on adding-lag50, 0.88× on
copy-lag30): the gradient from the target fades before it reaches the marks (watch the memory horizon).

All files are generated from fixed seeds by \`unroll example all\` (\`unroll example adding --lag 100\` makes another lag).

## Source of text.txt

The opening of chapter I ("Down the Rabbit-Hole") of Lewis Carroll, *Alice's Adventures in Wonderland* (1865),
which is in the public domain (Project Gutenberg eBook #11).
`;

/** Everything in examples/, in a fixed order. */
export function exampleFiles(): ExampleFile[] {
  const all = [
    ...sine(),
    ...[10, 50, 200].flatMap(adding),
    ...copy(30),
    ...text(),
    ...exploding(),
    ...truncated(),
    ...paperExampleFiles(),
    { name: 'README.md', contents: `${README}\n${PAPER_README}` },
  ];
  const seen = new Set<string>();
  return all.filter((f) => !seen.has(f.name) && seen.add(f.name));
}
