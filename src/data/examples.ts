// The example workspace (examples/, also written by `unroll example`): tasks that separate short from long
// memory (README, "The argument, step by step"), generated from fixed seeds so every machine writes the same bytes.
import { ALICE_OPENING } from './exampleText';

export interface ExampleFile {
  name: string;
  contents: string;
}

export const EXAMPLE_NAMES = ['sine', 'adding', 'copy', 'text', 'exploding', 'truncated'] as const;
export type ExampleName = (typeof EXAMPLE_NAMES)[number];
export const DEFAULT_LAGS: Partial<Record<ExampleName, number>> = { adding: 50, copy: 20 };
const CELLS = ['rnn', 'lstm', 'gru'] as const;

/** mulberry32: a small seeded generator; the examples only need reproducible, well-spread numbers. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function csv(header: string[], rows: (string | number)[][]): string {
  return [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
}

/** JSON on one line with a space after each comma and colon, as a person would write a small value. */
function inline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  if (value !== null && typeof value === 'object') return `{ ${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`).join(', ')} }`;
  return JSON.stringify(value);
}

function modelFile(comment: string[], fields: Record<string, unknown>): string {
  const body = Object.entries(fields).map(([k, v]) => `  ${JSON.stringify(k)}: ${inline(v)}`);
  return `${comment.map((c) => `// ${c}`).join('\n')}\n{\n${body.join(',\n')}\n}\n`;
}

const CELL_WORDS = { rnn: 'a vanilla RNN (tanh)', lstm: 'an LSTM', gru: 'a GRU' };

function sine(): ExampleFile[] {
  const rand = random(1);
  const rows = Array.from({ length: 200 }, (_, t) => [(Math.sin((2 * Math.PI * t) / 25) + 0.02 * (rand() - 0.5)).toFixed(4)]);
  return [
    { name: 'sine.csv', contents: csv(['value'], rows) },
    ...CELLS.map((cell) => ({
      name: `sine.${cell}.unroll.json`,
      contents: modelFile(
        [`Next-step prediction of a noisy sine wave with ${CELL_WORDS[cell]}.`, 'A short-term task: the next value depends on the last few, so every cell learns it.'],
        { data: 'sine.csv', task: 'next-step', cell, hidden: 16, window: 100, optimizer: { kind: 'adam', lr: 0.01 }, epochs: 50, seed: 0 },
      ),
    })),
  ];
}

/** The adding problem (Hochreiter & Schmidhuber 1997): two marked values; their sum is the target at the end. */
function adding(lag: number): ExampleFile[] {
  const rand = random(1000 + lag);
  const sequences = lag >= 200 ? 16 : 32;
  const steps = lag + 1;
  const rows: (string | number)[][] = [];
  for (let s = 0; s < sequences; s++) {
    // The first marker sits in the first tenth, so it is 0.9·lag to lag steps before the target.
    const first = Math.floor(rand() * Math.max(1, Math.floor(lag / 10)));
    const second = Math.floor(steps / 2) + Math.floor(rand() * (steps - 1 - Math.floor(steps / 2)));
    const values = Array.from({ length: steps }, () => rand());
    const target = values[first] + values[second];
    for (let t = 0; t < steps; t++) {
      const marker = t === first || t === second ? 1 : 0;
      rows.push([s + 1, values[t].toFixed(4), marker, t === steps - 1 ? target.toFixed(4) : '']);
    }
  }
  const stem = `adding-lag${lag}`;
  return [
    { name: `${stem}.csv`, contents: csv(['sequence', 'value', 'marker', 'target'], rows) },
    ...CELLS.map((cell) => ({
      name: `${stem}.${cell}.unroll.json`,
      contents: modelFile(
        [
          `The adding problem with a lag of ${lag} steps, learned by ${CELL_WORDS[cell]}.`,
          'Two values are marked; the target at the last step is their sum. The first mark is about',
          `${lag} steps back, so the gradient must carry that far: watch the memory horizon.`,
        ],
        { data: `${stem}.csv`, task: 'seq-to-one', inputs: ['value', 'marker'], targets: ['target'], cell, hidden: 32, window: steps, optimizer: { kind: 'adam', lr: 0.01 }, epochs: 30, seed: 0 },
      ),
    })),
  ];
}

/** Delayed recall: five symbols (one-hot x1..x4), then blanks; from step `lag` on, output the symbol seen `lag` steps before. */
function copy(lag: number): ExampleFile[] {
  const rand = random(2000 + lag);
  const symbols = 5;
  const steps = lag + symbols;
  const rows: (string | number)[][] = [];
  for (let s = 0; s < 32; s++) {
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
    ...CELLS.map((cell) => ({
      name: `${stem}.${cell}.unroll.json`,
      contents: modelFile(
        [`Delayed recall with ${CELL_WORDS[cell]}: reproduce each of five symbols exactly ${lag} steps after seeing it.`, 'Targets are set only on the recall steps (empty cells elsewhere).'],
        { data: `${stem}.csv`, task: 'columns', inputs: ['x1', 'x2', 'x3', 'x4', 'go'], targets: ['y1', 'y2', 'y3', 'y4'], cell, hidden: 32, window: steps, optimizer: { kind: 'adam', lr: 0.01 }, epochs: 40, seed: 0 },
      ),
    })),
  ];
}

function text(): ExampleFile[] {
  return [
    { name: 'text.txt', contents: ALICE_OPENING },
    ...CELLS.map((cell) => ({
      name: `text.${cell}.unroll.json`,
      contents: modelFile(
        [`Character-level language model (as in min-char-rnn) with ${CELL_WORDS[cell]}.`, 'Each character predicts the next; the loss is cross-entropy over the vocabulary.'],
        { data: 'text.txt', task: 'char-lm', cell, hidden: 48, window: 100, optimizer: { kind: 'adam', lr: 0.01 }, ...(cell === 'lstm' ? { init: { kind: 'pytorch', forgetBias: 1 } } : {}), epochs: 20, seed: 0 },
      ),
    })),
  ];
}

function exploding(): ExampleFile[] {
  const common = { data: 'sine.csv', task: 'next-step', cell: 'rnn', hidden: 32, window: 100, init: { kind: 'orthogonal', spectralRadius: 1.5 }, optimizer: { kind: 'sgd', lr: 0.05 }, epochs: 20, seed: 0 };
  return [
    ...sine().slice(0, 1),
    {
      name: 'exploding.rnn.unroll.json',
      contents: modelFile(
        ['A vanilla RNN whose W_hh starts with spectral radius 1.5 (> 1/γ = 1 for tanh).', 'Gradients can grow with distance instead of decaying: compare ρ and σ_max with 1/γ and watch the gradient norm.'],
        { ...common, clip: null },
      ),
    },
    {
      name: 'exploding-clipped.rnn.unroll.json',
      contents: modelFile(
        ['The same network with gradient clipping by global norm: if ‖g‖ > 1 then g ← g/‖g‖.', 'The direction is kept; the step size is bounded. The clip count says how often it fired.'],
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
        { data: 'sine.csv', task: 'next-step', cell: 'rnn', hidden: 16, window: 100, bptt: { truncate: 10 }, optimizer: { kind: 'adam', lr: 0.01 }, epochs: 50, seed: 0 },
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
  }
}

const README = `# Unroll examples

Each data file comes with model files (\`<data>.<cell>.unroll.json\`) for a vanilla RNN, an LSTM and a GRU.
Right-click a file and choose **Unroll: Analyze Sequence File**, or run \`unroll analyze <file>\`.

| file | task | the lesson |
| --- | --- | --- |
| \`sine.csv\` | next-step | short-term memory: every cell learns it |
| \`adding-lag10.csv\`, \`adding-lag50.csv\`, \`adding-lag200.csv\` | seq-to-one | the adding problem: two marked values, their sum as the target at the last step; the first mark is 0.9·lag to lag steps back, and vanilla RNNs lose it as the lag grows |
| \`copy-lag20.csv\` | columns | delayed recall: reproduce five symbols exactly 20 steps after seeing them |
| \`text.txt\` | char-lm | character-level language modelling |
| \`exploding.rnn.unroll.json\` | next-step on \`sine.csv\` | W_hh starts with spectral radius 1.5 > 1/γ: gradients can explode |
| \`exploding-clipped.rnn.unroll.json\` | the same | fixed by clipping the gradient's global norm |
| \`truncated.rnn.unroll.json\` | next-step on \`sine.csv\` | truncated BPTT (k = 10): no gradient reaches further back than 10 steps |

All files are generated from fixed seeds by \`unroll example all\` (\`unroll example adding --lag 100\` makes another lag).

## Source of text.txt

The opening of chapter I ("Down the Rabbit-Hole") of Lewis Carroll, *Alice's Adventures in Wonderland* (1865),
which is in the public domain (Project Gutenberg eBook #11).
`;

/** Everything in examples/, in a fixed order. */
export function exampleFiles(): ExampleFile[] {
  const all = [...sine(), ...[10, 50, 200].flatMap(adding), ...copy(20), ...text(), ...exploding(), ...truncated(), { name: 'README.md', contents: README }];
  const seen = new Set<string>();
  return all.filter((f) => !seen.has(f.name) && seen.add(f.name));
}
