// Setups from the literature on vanishing and exploding gradients, written by `unroll example paper-<name>` (and
// into examples/). Each model file's comment names the paper, the claim and what to look at; test/unit/papers
// checks every claim against the paper's own numbers (a fixed point solved in the test, a bound, a baseline), not
// against Unroll's output.
import type { ExampleFile } from './examples';
import { csv, modelFile, random } from './exampleFormat';

export const PAPER_EXAMPLE_NAMES = [
  'paper-bengio1994',
  'paper-pascanu2013',
  'paper-le2015',
  'paper-arjovsky2016',
] as const;
export type PaperExampleName = (typeof PAPER_EXAMPLE_NAMES)[number];

/** The latching examples' recurrent weights (Bengio et al. 1994): w > 1, so tanh(w·x) = x has a stable root x̄ ≠ 0. */
export const BENGIO_WEIGHTS = [1.5, 2] as const;
export const BENGIO_STEPS = 100;
/** Pascanu et al. 2013: the spectral radii W_hh is rescaled to, for each nonlinearity. */
export const PASCANU_RADII = [0.9, 1.5] as const;
/** The adding problem as in Le et al. 2015 and Arjovsky et al. 2016: T = 150 steps, 64 sequences. */
export const ADDING_STEPS = 150;
export const ADDING_SEQUENCES = 64;
/** The copy task of Arjovsky et al. 2016: 10 symbols from 8 categories, T blanks, a delimiter: T + 20 steps. */
export const COPY_BLANKS = 100;
export const COPY_SEQUENCES = 32;

/**
 * Bengio, Simard & Frasconi 1994: one tanh unit with self-weight w > 1 latches. One input of 1 at t = 0 pushes
 * h to the stable fixed point x̄ = tanh(w·x̄); the zeros after it keep it there. Near x̄ the step Jacobian is
 * w(1 − x̄²) < 1, so the state that stores the bit robustly is the one through which the gradient vanishes.
 */
function bengio1994(): ExampleFile[] {
  const rows = Array.from({ length: BENGIO_STEPS }, (_, t) => [t === 0 ? 1 : 0, t === BENGIO_STEPS - 1 ? 0 : '']);
  const files: ExampleFile[] = [{ name: 'paper-bengio1994.csv', contents: csv(['x', 'y'], rows) }];
  for (const w of BENGIO_WEIGHTS) {
    const stem = `paper-bengio1994.w${w}`;
    const weights = {
      'rnn.weight_ih_l0': [[1]],
      'rnn.weight_hh_l0': [[w]],
      'rnn.bias_ih_l0': [0],
      'rnn.bias_hh_l0': [0],
      'fc.weight': [[1]],
      'fc.bias': [0],
    };
    files.push({
      name: `${stem}.json`,
      contents: `{\n${Object.entries(weights)
        .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`)
        .join(',\n')}\n}\n`,
    });
    files.push({
      name: `${stem}.unroll.json`,
      contents: modelFile(
        [
          'Bengio, Simard & Frasconi 1994, "Learning long-term dependencies with gradient descent is difficult":',
          `latching. One tanh unit with self-weight w = ${w} > 1 (the weights file sets it; everything else 1 or 0).`,
          'The input 1 at t = 0 pushes h_t to the stable fixed point x̄ = tanh(w·x̄) ≠ 0, and the zeros after it keep',
          'it there: the unit stores one bit robustly. Near x̄ the step Jacobian is ∂h_t/∂h_{t−1} = w(1 − x̄²) < 1.',
          `Look at: the hidden state settling at x̄, the step Jacobian (edge widths) equal to w(1 − x̄²), and the flow`,
          'row of the last step falling by that same factor per step: the robust memory is what makes the gradient vanish.',
        ],
        {
          data: 'paper-bengio1994.csv',
          task: 'seq-to-one',
          inputs: ['x'],
          targets: ['y'],
          cell: 'rnn',
          nonlinearity: 'tanh',
          hidden: 1,
          window: BENGIO_STEPS,
          weights: `${stem}.json`,
          seed: 0,
        },
      ),
    });
  }
  return files;
}

/**
 * Pascanu, Mikolov & Bengio 2013: ‖∂h_t/∂h_k‖ ≤ (γσ_max)^{t−k} for a vanilla RNN (γ = 1 for tanh and relu), so
 * every flow entry lies under ‖∂ℓ_t/∂h_t‖·(γσ_max)^{t−k}. Random inputs, a target at every step, W_hh rescaled to a
 * spectral radius below and above 1.
 */
function pascanu2013(): ExampleFile[] {
  const rand = random(2013);
  const T = 60;
  const rows = Array.from({ length: T }, () => {
    const x = [0, 1, 2].map(() => (2 * rand() - 1).toFixed(4));
    return [...x, (2 * rand() - 1).toFixed(4)];
  });
  const files: ExampleFile[] = [{ name: 'paper-pascanu2013.csv', contents: csv(['x1', 'x2', 'x3', 'y'], rows) }];
  for (const nonlinearity of ['tanh', 'relu'] as const) {
    for (const rho of PASCANU_RADII) {
      files.push({
        name: `paper-pascanu2013.${nonlinearity}-rho${rho}.unroll.json`,
        contents: modelFile(
          [
            'Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent neural networks", section 2.1:',
            `‖∂h_t/∂h_k‖ ≤ (γσ_max)^{t−k} with γ = 1 for ${nonlinearity}. W_hh is random (xavier) rescaled to spectral radius ${rho};`,
            rho < 1
              ? 'its σ_max is still above 1, so the bound grows with distance while the measured flow decays.'
              : 'the bound grows with distance and allows explosion, without forcing it.',
            'Look at: the decay view, where the measured decay stays under the (γσ_max)^d line; every entry of the flow',
            'matrix obeys ‖∂ℓ_t/∂h_k‖ ≤ ‖∂ℓ_t/∂h_t‖·(γσ_max)^{t−k}.',
          ],
          {
            data: 'paper-pascanu2013.csv',
            task: 'columns',
            inputs: ['x1', 'x2', 'x3'],
            targets: ['y'],
            cell: 'rnn',
            nonlinearity,
            hidden: 32,
            init: { kind: 'xavier', spectralRadius: rho },
            window: T,
            seed: 0,
          },
        ),
      });
    }
  }
  return files;
}

/**
 * The adding problem in the form of Le et al. 2015 (used again by Arjovsky et al. 2016): a value column of U(0, 1)
 * numbers and a marker column with exactly two 1s, one in each half; the target at the last step is the sum of the
 * two marked values. Values are written with 4 decimals and the target is the sum of the written values.
 */
function addingT150(name: string, seed: number): ExampleFile {
  const rand = random(seed);
  const T = ADDING_STEPS;
  const half = T / 2;
  const rows: (string | number)[][] = [];
  for (let s = 0; s < ADDING_SEQUENCES; s++) {
    const first = Math.floor(rand() * half);
    const second = half + Math.floor(rand() * half);
    const values = Array.from({ length: T }, () => Math.round(rand() * 1e4));
    const target = ((values[first] + values[second]) / 1e4).toFixed(4);
    for (let t = 0; t < T; t++)
      rows.push([s + 1, (values[t] / 1e4).toFixed(4), t === first || t === second ? 1 : 0, t === T - 1 ? target : '']);
  }
  return { name, contents: csv(['sequence', 'value', 'marker', 'target'], rows) };
}

const ADDING_FIELDS = { task: 'seq-to-one', inputs: ['value', 'marker'], targets: ['target'], cell: 'rnn' };

/** Le, Jaitly & Hinton 2015: the IRNN (ReLU, W_hh = I) against a tanh RNN with PyTorch's random init. */
function le2015(): ExampleFile[] {
  const common = [
    'Le, Jaitly & Hinton 2015, "A simple way to initialize recurrent networks of rectified linear units":',
    `the adding problem with T = ${ADDING_STEPS} (one marker in each half), here with 100 hidden units, at initialization.`,
  ];
  return [
    addingT150('paper-le2015.csv', 2015),
    {
      name: 'paper-le2015.irnn.unroll.json',
      contents: modelFile(
        [
          ...common,
          "IRNN: ReLU units, W_hh = I, biases 0 (Unroll's identity init draws W_ih from N(0, 0.001²)). An active unit",
          `passes its gradient back unchanged, so ‖∂ℓ_T/∂h_k‖ stays within a factor of 2 of its value at k = T over all ${ADDING_STEPS} steps.`,
          'Look at: the flow row of the last step (flat) and its twin paper-le2015.tanh.unroll.json (vanishing).',
        ],
        {
          data: 'paper-le2015.csv',
          ...ADDING_FIELDS,
          nonlinearity: 'relu',
          hidden: 100,
          init: { kind: 'identity' },
          window: ADDING_STEPS,
          optimizer: { kind: 'sgd', lr: 0.01 },
          clip: { norm: 1 },
          epochs: 20,
          seed: 0,
        },
      ),
    },
    {
      name: 'paper-le2015.tanh.unroll.json',
      contents: modelFile(
        [
          ...common,
          "The comparison: a tanh RNN with small random weights (PyTorch's default, U(±1/√H), spectral radius about 0.6).",
          `‖∂ℓ_T/∂h_k‖ falls below 1e-3 of its value at k = T within 15 steps: the first marker, 75 or more steps back, is out of reach.`,
          'Look at: the memory horizon and the flow row of the last step, against paper-le2015.irnn.unroll.json.',
        ],
        {
          data: 'paper-le2015.csv',
          ...ADDING_FIELDS,
          nonlinearity: 'tanh',
          hidden: 100,
          init: { kind: 'pytorch' },
          window: ADDING_STEPS,
          optimizer: { kind: 'sgd', lr: 0.01 },
          clip: { norm: 1 },
          epochs: 20,
          seed: 0,
        },
      ),
    },
  ];
}

/**
 * The copy task of Arjovsky et al. 2016, in their format: categories a_0 … a_9 one-hot in x0 … x9. Ten symbols from
 * a_0 … a_7, then T − 1 blanks (a_8), the delimiter a_9, ten more blanks. The target (y0 … y8, one-hot) is a_8 for
 * T + 10 steps, then the ten symbols in order: a target at every one of the T + 20 steps.
 */
function copyT100(name: string): ExampleFile {
  const rand = random(100);
  const T = COPY_BLANKS;
  const steps = T + 20;
  const rows: (string | number)[][] = [];
  const oneHot = (k: number, n: number) => Array.from({ length: n }, (_, j) => (j === k ? 1 : 0));
  for (let s = 0; s < COPY_SEQUENCES; s++) {
    const symbols = Array.from({ length: 10 }, () => Math.floor(rand() * 8));
    for (let t = 0; t < steps; t++) {
      const input = t < 10 ? symbols[t] : t === T + 9 ? 9 : 8;
      const target = t < T + 10 ? 8 : symbols[t - T - 10];
      rows.push([s + 1, ...oneHot(input, 10), ...oneHot(target, 9)]);
    }
  }
  const header = [
    'sequence',
    ...Array.from({ length: 10 }, (_, j) => `x${j}`),
    ...Array.from({ length: 9 }, (_, j) => `y${j}`),
  ];
  return { name, contents: csv(header, rows) };
}

/** Arjovsky, Shah & Bengio 2016: random against orthogonal W_hh at initialization, and the two tasks' baselines. */
function arjovsky2016(): ExampleFile[] {
  const paper = 'Arjovsky, Shah & Bengio 2016, "Unitary evolution recurrent neural networks":';
  const adding = (init: 'pytorch' | 'orthogonal', lines: string[]) =>
    modelFile(
      [
        paper,
        `‖∂C/∂h_t‖ against t at initialization, the adding problem with T = ${ADDING_STEPS} (one marker in each half).`,
        ...lines,
        'Baseline: predicting 1 (the mean of the sum of two U(0, 1)) gives a mean squared error of 1/6 ≈ 0.167; a model',
        'that has learned nothing about the markers scores about that. Training measures it on its held-out sequences,',
        `${Math.round(ADDING_SEQUENCES * 0.2)} of ${ADDING_SEQUENCES} here, so expect 0.17 ± 0.06 (0.26 on these).`,
      ],
      {
        data: 'paper-arjovsky2016.adding.csv',
        ...ADDING_FIELDS,
        nonlinearity: 'tanh',
        hidden: 100,
        init: { kind: init },
        window: ADDING_STEPS,
        validation: 0.2,
        optimizer: { kind: 'rmsprop', lr: 0.001 },
        clip: { norm: 1 },
        epochs: 20,
        seed: 0,
      },
    );
  const T = COPY_BLANKS;
  return [
    addingT150('paper-arjovsky2016.adding.csv', 2016),
    {
      name: 'paper-arjovsky2016.adding.random.unroll.json',
      contents: adding('pytorch', [
        "A tanh RNN with a random W_hh (PyTorch's default U(±1/√H), spectral radius about 0.6; the same init as",
        'paper-le2015.tanh): ‖∂C/∂h_t‖ falls below 1e-3 of its value at the last step within 15 steps.',
        'Compare paper-arjovsky2016.adding.orthogonal.unroll.json.',
      ]),
    },
    {
      name: 'paper-arjovsky2016.adding.orthogonal.unroll.json',
      contents: adding('orthogonal', [
        'The same tanh RNN with an orthogonal W_hh (every singular value 1): only the tanh derivatives shrink the',
        'gradient: ‖∂C/∂h_t‖ stays above 1e-3 of its value at the last step for more than 100 steps. Look at: the flow',
        'row of the last step, against paper-arjovsky2016.adding.random.unroll.json.',
      ]),
    },
    copyT100('paper-arjovsky2016.copy.csv'),
    {
      name: 'paper-arjovsky2016.copy.unroll.json',
      contents: modelFile(
        [
          paper,
          `the copy task with T = ${T}: ten symbols from 8 categories, ${T - 1} blanks, a delimiter, ten blanks (${T + 20} steps),`,
          `inputs one-hot x0 … x9; the target (y0 … y8, one-hot) is the blank until the last ten steps, then the ten symbols.`,
          `Baseline: blanks, then a uniform guess among the 8 symbols, gives a cross-entropy of 10·log 8/(T + 20) = ${((10 * Math.log(8)) / (T + 20)).toFixed(4)}`,
          'per step: a model above it has not remembered anything. Training estimates it from the frequencies at each step',
          `of its ${COPY_SEQUENCES - Math.round(COPY_SEQUENCES * 0.2)} training sequences, which costs extra: 0.21 ± 0.01 here (0.173 with thousands of sequences).`,
        ],
        {
          data: 'paper-arjovsky2016.copy.csv',
          task: 'columns',
          loss: 'xent',
          inputs: Array.from({ length: 10 }, (_, j) => `x${j}`),
          targets: Array.from({ length: 9 }, (_, j) => `y${j}`),
          cell: 'rnn',
          nonlinearity: 'tanh',
          hidden: 80,
          init: { kind: 'orthogonal' },
          window: T + 20,
          validation: 0.2,
          optimizer: { kind: 'rmsprop', lr: 0.001 },
          clip: { norm: 1 },
          epochs: 20,
          seed: 0,
        },
      ),
    },
  ];
}

export function paperExampleSet(name: PaperExampleName): ExampleFile[] {
  switch (name) {
    case 'paper-bengio1994':
      return bengio1994();
    case 'paper-pascanu2013':
      return pascanu2013();
    case 'paper-le2015':
      return le2015();
    case 'paper-arjovsky2016':
      return arjovsky2016();
  }
}

/** Every paper example's files, in a fixed order. */
export function paperExampleFiles(): ExampleFile[] {
  return PAPER_EXAMPLE_NAMES.flatMap(paperExampleSet);
}

/** The examples/README.md section on these files. */
export const PAPER_README = `## Checked against the papers

\`unroll example paper-<name>\` writes each setup; \`test/unit/papers\` checks each claim against the paper's numbers.

| example | files | what to look at |
| --- | --- | --- |
| \`paper-bengio1994\` | \`paper-bengio1994.w1.5\`, \`.w2\` (model + weights) | latching (Bengio, Simard & Frasconi 1994): one tanh unit with w > 1 settles at x̄ = tanh(w·x̄), and the gradient shrinks by exactly w(1 − x̄²) per step |
| \`paper-pascanu2013\` | \`paper-pascanu2013.{tanh,relu}-rho{0.9,1.5}\` | every flow entry lies under ‖∂ℓ_t/∂h_t‖·(γσ_max)^{t−k} (Pascanu, Mikolov & Bengio 2013) |
| \`paper-le2015\` | \`paper-le2015.irnn\`, \`.tanh\` | IRNN (ReLU, W_hh = I) keeps ‖∂ℓ_T/∂h_k‖ within a factor of 2 over 150 steps; a tanh RNN with small random weights loses it (below 1e-3) within 15 (Le, Jaitly & Hinton 2015) |
| \`paper-arjovsky2016\` | \`paper-arjovsky2016.adding.random\`, \`.adding.orthogonal\`, \`.copy\` | ‖∂C/∂h_t‖ at initialization, random against orthogonal W_hh; baselines: adding MSE 0.167, copy cross-entropy 10·log 8/(T + 20) (Arjovsky, Shah & Bengio 2016) |
`;
