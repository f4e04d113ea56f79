// Issue 11, the training core: the validation split, batches, the loss per target step, the baselines, cross-entropy
// columns and the place of a divergence.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { loadAnalysis, splitByFraction, type LoadedAnalysis } from '../../../src/data/load';
import { initParams, lossBaseline, Rng } from '../../../src/engine';
import { Network } from '../../../src/engine/network';
import type { EngineSettings } from '../../../src/protocol/messages';
import { resultFromJson, resultToJson } from '../../../src/protocol/json';
import type { TrainPoint } from '../../../src/protocol/result';
import { runAnalyze, runTrain, trainLoaded } from '../../../src/worker/jobs';
import { nodeFiles, nodeWrites } from '../../../src/data/nodeFiles';
import { safetensorsMetadata } from '../../../src/data/safetensors';
import { expectProblem, memoryFiles } from './helpers';

const settings: EngineSettings = { maxSteps: 512, flowBudget: 1, defaultCell: 'rnn', maxMemoryMB: 2048, maxWork: 30 };
const at = (p: string) => ({ path: p, workspaceRoot: '/w' });
const quiet = { onProgress() {}, shouldStop: () => false, yieldNow: async () => {} };
const model = (data: string, extra = '') => `{ "data": "${data}", "hidden": 4${extra} }`;
const EXAMPLES = path.resolve(__dirname, '../../../examples');

/** The adding problem: value and marker inputs, two markers, the sum of the marked values as the target of the last row. */
function addingCsv(N: number, T: number, seed: number): string {
  const rng = new Rng(seed);
  const rows = ['sequence,value,marker,target'];
  for (let n = 0; n < N; n++) {
    const a = rng.int(T),
      b = (a + 1 + rng.int(T - 1)) % T;
    const values = Array.from({ length: T }, () => rng.uniform());
    for (let t = 0; t < T; t++)
      rows.push(
        `${n},${values[t].toFixed(6)},${t === a || t === b ? 1 : 0},${t === T - 1 ? (Number(values[a].toFixed(6)) + Number(values[b].toFixed(6))).toFixed(6) : ''}`,
      );
  }
  return rows.join('\n') + '\n';
}

/**
 * Arjovsky, Shah & Bengio (2016)'s copy task over 10 classes (0 blank, 1–8 symbols, 9 delimiter): 10 symbols, T − 1
 * blanks, the delimiter, 10 blanks in; T + 10 blanks, then the 10 symbols out. Inputs and targets one-hot.
 */
function copyCsv(N: number, T: number, seed: number): string {
  const rng = new Rng(seed);
  const oneHot = (k: number) => Array.from({ length: 10 }, (_, j) => (j === k ? 1 : 0)).join(',');
  const rows = [
    [
      'sequence',
      ...Array.from({ length: 10 }, (_, j) => `x${j}`),
      ...Array.from({ length: 10 }, (_, j) => `y${j}`),
    ].join(','),
  ];
  for (let n = 0; n < N; n++) {
    const symbols = Array.from({ length: 10 }, () => 1 + rng.int(8));
    const input = [...symbols, ...new Array(T - 1).fill(0), 9, ...new Array(10).fill(0)];
    const target = [...new Array(T + 10).fill(0), ...symbols];
    for (let t = 0; t < T + 20; t++) rows.push(`${n},${oneHot(input[t])},${oneHot(target[t])}`);
  }
  return rows.join('\n') + '\n';
}

const copyModel = (extra = '') =>
  `{ "data": "copy.csv", "task": "columns", "loss": "xent", "hidden": 8, "inputs": [${Array.from({ length: 10 }, (_, j) => `"x${j}"`).join(',')}], "targets": [${Array.from({ length: 10 }, (_, j) => `"y${j}"`).join(',')}]${extra} }`;

describe('validation split', () => {
  it('is determined by the seed, disjoint, covers every sequence and always trains on the first', () => {
    for (const [count, fraction] of [
      [320, 0.2],
      [11, 0.5],
      [10, 0.2],
      [3, 0.8],
    ] as const) {
      const a = splitByFraction(count, fraction, 7);
      assert.deepEqual(splitByFraction(count, fraction, 7), a, 'same seed, same split');
      const all = [...a.train, ...a.heldOut].sort((x, y) => x - y);
      assert.deepEqual(
        all,
        Array.from({ length: count }, (_, i) => i),
        'disjoint, and together every sequence',
      );
      assert.equal(a.heldOut.length, Math.min(count - 1, Math.round(fraction * count)));
      assert.equal(a.train[0], 0, 'sequence 0, the one analyzed, is trained on');
    }
    assert.notDeepEqual(
      splitByFraction(320, 0.2, 7).heldOut,
      splitByFraction(320, 0.2, 8).heldOut,
      'another seed, another split',
    );
  });

  it('holds out 0.2 by default from 10 sequences, nothing below, and says so in a note', async () => {
    const big = await loadAnalysis(
      at('/w/m.unroll.json'),
      settings,
      memoryFiles({ '/w/a.csv': addingCsv(320, 6, 1), '/w/m.unroll.json': model('a.csv', ', "task": "seq-to-one"') }),
    );
    assert.deepEqual(big.model.validation, { fraction: 0.2 });
    assert.equal(big.split.heldOut?.indices.length, 64);
    assert.equal(big.split.train.length, 256);
    assert.ok(
      big.dataset.notes.some((n) =>
        n.startsWith('Training holds out 64 of 320 sequences (validation 0.2, the default'),
      ),
      big.dataset.notes.join('\n'),
    );
    assert.ok(big.dataset.notes.some((n) => n.includes('training uses all but the 64 held out')));
    const small = await loadAnalysis(
      at('/w/m.unroll.json'),
      settings,
      memoryFiles({ '/w/a.csv': addingCsv(9, 6, 1), '/w/m.unroll.json': model('a.csv', ', "task": "seq-to-one"') }),
    );
    assert.deepEqual(small.model.validation, { fraction: 0 });
    assert.equal(small.split.heldOut, null);
    assert.equal(small.split.train.length, 9);
    const explicit = await loadAnalysis(
      at('/w/m.unroll.json'),
      settings,
      memoryFiles({
        '/w/a.csv': addingCsv(9, 6, 1),
        '/w/m.unroll.json': model('a.csv', ', "task": "seq-to-one", "validation": 0.34'),
      }),
    );
    assert.equal(explicit.split.heldOut?.indices.length, 3);
  });

  it('a validation file is read like the data and held out whole; training uses all of the data', async () => {
    const files = memoryFiles({
      '/w/a.csv': addingCsv(20, 6, 1),
      '/w/held.csv': addingCsv(5, 6, 2),
      '/w/m.unroll.json': model('a.csv', ', "task": "seq-to-one", "validation": "held.csv"'),
    });
    const loaded = await loadAnalysis(at('/w/m.unroll.json'), settings, files);
    assert.deepEqual(loaded.model.validation, { file: '/w/held.csv' });
    assert.ok(loaded.files.includes('/w/held.csv'));
    assert.equal(loaded.split.train.length, 20);
    assert.equal(loaded.split.heldOut?.indices.length, 5);
    const { summary } = await trainLoaded(loaded, loaded.model, initParams(loaded.model), 2, quiet);
    assert.equal(summary.heldOutSequences, 5);
    assert.equal(summary.trainSequences, 20);
    assert.ok(summary.history.every((p) => p.heldOutLoss !== null && Number.isFinite(p.heldOutLoss)));
  });

  it('a validation file that cannot be used is refused at the "validation" field', async () => {
    const m = (v: string) => `{\n  "data": "a.csv",\n  "task": "seq-to-one",\n  "validation": ${v}\n}`;
    const load = (entries: Record<string, string>) => () =>
      loadAnalysis(at('/w/m.unroll.json'), settings, memoryFiles({ '/w/a.csv': addingCsv(4, 6, 1), ...entries }));
    await expectProblem(load({ '/w/m.unroll.json': m('"a.csv"') }), {
      file: '/w/m.unroll.json',
      line: 4,
      column: 17,
      message: /names the data file itself/,
    });
    await expectProblem(load({ '/w/m.unroll.json': m('"./a.csv"') }), {
      file: '/w/m.unroll.json',
      line: 4,
      column: 17,
      message: /names the data file itself/,
    });
    await expectProblem(load({ '/w/m.unroll.json': m('"gone.csv"') }), {
      file: '/w/m.unroll.json',
      line: 4,
      column: 17,
      message: /the validation file gone\.csv does not exist/,
    });
    await expectProblem(load({ '/w/m.unroll.json': m('"held.json"'), '/w/held.json': '[1, 2, 3]' }), {
      file: '/w/m.unroll.json',
      line: 4,
      column: 17,
      message: /held\.json is a \.json file; the data file a\.csv is csv/,
    });
    await expectProblem(
      load({
        '/w/m.unroll.json': m('"held.csv"'),
        '/w/held.csv': 'sequence,value,marker,other\n1,0.5,1,\n1,0.5,1,1\n',
      }),
      {
        file: '/w/m.unroll.json',
        line: 4,
        column: 17,
        message:
          /held\.csv has inputs value, marker; targets other, the data file a\.csv has inputs value, marker; targets target/,
      },
    );
    await expectProblem(load({ '/w/m.unroll.json': m('"../out.csv"') }), {
      file: '/w/m.unroll.json',
      line: 4,
      column: 17,
      message: /"validation" points outside the workspace/,
    });
    // A problem inside the validation file points into it.
    await expectProblem(
      load({ '/w/m.unroll.json': m('"held.csv"'), '/w/held.csv': 'sequence,value,marker,target\n1,0.5,x,\n' }),
      { file: '/w/held.csv', line: 2, column: 7, message: /"x" is not a number/ },
    );
  });
});

describe('training in batches, losses per target step', () => {
  it('honours "batch": batches per epoch follow it, and the cost check counts it', async () => {
    const run = async (batch: number) => {
      const files = memoryFiles({
        '/w/a.csv': addingCsv(20, 6, 1),
        '/w/m.unroll.json': model('a.csv', `, "task": "seq-to-one", "validation": 0, "batch": ${batch}`),
      });
      const loaded = await loadAnalysis(at('/w/m.unroll.json'), settings, files, { training: true });
      return (await trainLoaded(loaded, loaded.model, initParams(loaded.model), 1, quiet)).summary;
    };
    assert.deepEqual(
      [(await run(4)).history[0].batches, (await run(16)).history[0].batches, (await run(100)).history[0].batches],
      [5, 2, 1],
    );
    assert.equal((await run(4)).batch, 4);
    // The cost check counts a batch of "batch" sequences: the same model fits with a batch of 1 and not with 40.
    const long = (batch: number) =>
      memoryFiles({
        '/w/a.csv': addingCsv(40, 400, 1),
        '/w/m.unroll.json': `{ "data": "a.csv", "task": "seq-to-one", "hidden": 64,\n  "batch": ${batch} }`,
      });
    const tight = { ...settings, maxMemoryMB: 20 };
    await loadAnalysis(at('/w/m.unroll.json'), tight, long(1), { training: true });
    await expectProblem(() => loadAnalysis(at('/w/m.unroll.json'), tight, long(40), { training: true }), {
      file: '/w/m.unroll.json',
      line: 1,
      column: 1,
      message: /a training batch of 40/,
    });
  });

  it('reports training and held-out loss per target step: Σ ℓ_t over the target steps / their number, in words', async () => {
    // Columns with a target on every other step: 3 of 6 steps per sequence.
    const rows = ['sequence,x,y'];
    const rng = new Rng(3);
    for (let n = 0; n < 30; n++)
      for (let t = 0; t < 6; t++)
        rows.push(`${n},${rng.uniform().toFixed(4)},${t % 2 ? rng.uniform().toFixed(4) : ''}`);
    const files = memoryFiles({
      '/w/c.csv': rows.join('\n'),
      '/w/m.unroll.json': model(
        'c.csv',
        ', "task": "columns", "inputs": ["x"], "targets": ["y"], "optimizer": { "kind": "sgd", "lr": 0.1 }',
      ),
    });
    const loaded = await loadAnalysis(at('/w/m.unroll.json'), settings, files, { training: true });
    const params = initParams(loaded.model);
    const { summary } = await trainLoaded(loaded, loaded.model, params, 2, quiet);
    assert.equal(summary.unit, 'mean squared error per target step');
    // The held-out loss after the last epoch, recomputed one sequence at a time with the trained weights.
    const net = new Network(loaded.model, params);
    const held = loaded.split.heldOut!;
    let sum = 0;
    for (let k = 0; k < held.indices.length; k++) sum += net.forward([held.sequences.get(held.indices[k])]);
    const expected = sum / (3 * held.indices.length);
    assert.ok(
      Math.abs(summary.history[1].heldOutLoss! - expected) < 1e-12 * expected,
      `${summary.history[1].heldOutLoss} vs ${expected}`,
    );
    // Σ_t ℓ_t of a sequence (the objective) is 3× the per-target-step loss here: the unit is not the objective's.
    assert.ok(Math.abs(sum / held.indices.length / summary.history[1].heldOutLoss! - 3) < 1e-9);
  });

  it('a stop mid-epoch says which batches of the unfinished epoch the weights include', async () => {
    const files = memoryFiles({
      '/w/a.csv': addingCsv(20, 5, 1),
      '/w/m.unroll.json': model('a.csv', ', "task": "seq-to-one", "validation": 0, "batch": 4'),
    });
    let checks = 0;
    const outcome = await runTrain(
      at('/w/m.unroll.json'),
      settings,
      files,
      { epochs: 2 },
      { ...quiet, shouldStop: () => ++checks > 8 },
    );
    assert.equal(outcome.reason, 'cancelled');
    assert.equal(outcome.summary.epochs, 1);
    assert.ok(
      outcome.result.meta.notes.includes(
        'After 1 epoch(s) of training (cancelled; the weights also have 3 of the 5 batches of epoch 2).',
      ),
      outcome.result.meta.notes.join('\n'),
    );
  });

  it('every analysis names its weights; a training run carries its summary, also through the JSON form', async () => {
    const files = memoryFiles({
      '/w/a.csv': addingCsv(12, 5, 1),
      '/w/m.unroll.json': model('a.csv', ', "task": "seq-to-one", "epochs": 2, "init": { "kind": "orthogonal" }'),
    });
    const analyzed = await runAnalyze(at('/w/m.unroll.json'), settings, files);
    assert.deepEqual(analyzed.result.meta.weights, { kind: 'initialization', init: 'orthogonal' });
    assert.equal(analyzed.result.training, undefined);
    const trained = await runTrain(at('/w/m.unroll.json'), settings, files, {}, quiet);
    assert.deepEqual(trained.result.meta.weights, { kind: 'trained', epochs: 2, startedFrom: 'initialization' });
    assert.equal(trained.result.training, trained.summary);
    assert.equal(trained.summary.history.length, 2);
    const back = resultFromJson(JSON.parse(JSON.stringify(resultToJson(trained.result))));
    assert.deepEqual(back.training, trained.summary);
    assert.deepEqual(back.meta.weights, trained.result.meta.weights);
  });
});

describe('saved weights remember their training', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'unroll-record-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('records epochs, losses and the baseline in __metadata__; an analysis of the file says how many epochs it had', async () => {
    writeFileSync(path.join(dir, 'a.csv'), addingCsv(12, 5, 1));
    writeFileSync(path.join(dir, 'm.unroll.json'), model('a.csv', ', "task": "seq-to-one", "epochs": 2'));
    const source = { path: path.join(dir, 'm.unroll.json'), workspaceRoot: dir };
    const saveTo = path.join(dir, 'w.safetensors');
    const first = await runTrain(source, settings, nodeFiles, { saveTo, writes: nodeWrites }, quiet);
    const metadata = safetensorsMetadata(new Uint8Array(readFileSync(saveTo)))!;
    assert.equal(metadata['unroll.epochs'], '2');
    assert.equal(Number(metadata['unroll.held_out_loss']), first.summary.history[1].heldOutLoss);
    assert.equal(Number(metadata['unroll.baseline_loss']), first.summary.baseline.loss);
    assert.equal(metadata['unroll.loss_unit'], 'mean squared error per target step');
    assert.equal(metadata.writer, 'unroll');
    const analyzed = await runAnalyze({ ...source, weights: saveTo }, settings, nodeFiles);
    assert.deepEqual(analyzed.result.meta.weights, { kind: 'file', path: saveTo, trainedEpochs: 2 });
    // Training on from those weights counts the epochs they had.
    const again = await runTrain(
      { ...source, weights: saveTo },
      settings,
      nodeFiles,
      { epochs: 3, saveTo, force: true, writes: nodeWrites },
      quiet,
    );
    assert.deepEqual(again.result.meta.weights, { kind: 'trained', epochs: 3, startedFrom: 'file' });
    assert.equal(safetensorsMetadata(new Uint8Array(readFileSync(saveTo)))!['unroll.epochs'], '5');
  });
});

describe('loss baselines', () => {
  it('the adding problem: predicting the mean target costs Var(U1 + U2) = 1/6', async () => {
    const loaded = await loadAnalysis(
      at('/w/m.unroll.json'),
      settings,
      memoryFiles({ '/w/a.csv': addingCsv(2000, 8, 5), '/w/m.unroll.json': model('a.csv', ', "task": "seq-to-one"') }),
    );
    const { summary } = await trainLoaded(loaded, loaded.model, initParams(loaded.model), 0, quiet);
    assert.equal(summary.baseline.kind, 'mean');
    assert.equal(summary.baseline.what, 'predicting the mean target at each step');
    assert.ok(Math.abs(summary.baseline.loss - 1 / 6) < 0.015, `${summary.baseline.loss}`);
  });

  it("Arjovsky et al.'s copy task: knowing the step but not the inputs costs 10·log 8 / (T + 20) nats per step", async () => {
    const T = 20;
    const loaded = await loadAnalysis(
      at('/w/m.unroll.json'),
      settings,
      memoryFiles({ '/w/copy.csv': copyCsv(1000, T, 9), '/w/m.unroll.json': copyModel() }),
    );
    assert.equal(loaded.dataset.loss, 'xent');
    const { summary } = await trainLoaded(loaded, loaded.model, initParams(loaded.model), 0, quiet);
    const expected = (10 * Math.log(8)) / (T + 20);
    assert.equal(summary.baseline.kind, 'unigram');
    assert.equal(summary.unit, 'cross-entropy per target step, in nats');
    assert.ok(Math.abs(summary.baseline.loss - expected) < 0.02 * expected, `${summary.baseline.loss} vs ${expected}`);
    // Pooled over all steps (no positions) the same data costs much more: the step index is worth knowing.
    const pooled = lossBaseline(
      'xent',
      10,
      { sequences: loaded.dataset.sequences, indices: loaded.split.train },
      loaded.split.heldOut!,
      false,
    );
    assert.ok(pooled.loss > 2 * expected);
  });

  it('per-position statistics need aligned sequences of one length; otherwise the pooled ones are used, smoothed for unseen classes', () => {
    // Two classes, position 0 always class 0, position 1 always class 1, in training; held out: a class-1 at position 0.
    const seq = (a: number, b: number) => ({
      T: 2,
      inputs: new Float64Array(2),
      targets: Float64Array.of(a, b),
      mask: Uint8Array.of(1, 1),
    });
    const all = [...Array.from({ length: 10 }, () => seq(0, 1)), seq(1, 1)];
    const store = { count: all.length, steps: (i: number) => all[i].T, get: (i: number) => all[i], bytes: 0 };
    const train = { sequences: store, indices: Array.from({ length: 10 }, (_, i) => i) };
    const held = { sequences: store, indices: [10] };
    const b = lossBaseline('xent', 2, train, held, true);
    // Krichevsky–Trofimov smoothing, ½ per position spread over the 2 classes (¼ each): at position 0 class 1 was seen
    // 0 of 10 times, p = 0.25/10.5; at position 1, 10 of 10 times, p = 10.25/10.5. Mean over the two held-out steps:
    const expected = (Math.log(42) + Math.log(42 / 41)) / 2;
    assert.ok(Math.abs(b.loss - expected) < 1e-12, `${b.loss} vs ${expected}`);
    // Pooled: class 1 is 10 of the 20 training targets, p = 10.25/20.5 = ½ for both held-out steps.
    const pooled = lossBaseline('xent', 2, train, held, false);
    assert.ok(Math.abs(pooled.loss - Math.log(2)) < 1e-12, `${pooled.loss}`);
    assert.equal(pooled.what, 'predicting the target classes with their training frequencies');
  });
});

describe('cross-entropy columns', () => {
  it('one-hot target columns become class indices; the output size is the number of classes', async () => {
    const csv = 'sequence,x,a,b,c\n1,0.1,,,\n1,0.2,0,1,0\n1,0.3,0,0,1\n2,0.4,1,0,0\n2,0.5,,,\n';
    const loaded = await loadAnalysis(
      at('/w/m.unroll.json'),
      settings,
      memoryFiles({
        '/w/d.csv': csv,
        '/w/m.unroll.json': model(
          'd.csv',
          ', "task": "columns", "loss": "xent", "inputs": ["x"], "targets": ["a", "b", "c"]',
        ),
      }),
    );
    assert.equal(loaded.model.loss, 'xent');
    assert.equal(loaded.model.outputSize, 3);
    const s0 = loaded.dataset.sequences.get(0),
      s1 = loaded.dataset.sequences.get(1);
    assert.deepEqual([...s0.mask, ...s1.mask], [0, 1, 1, 1, 0]);
    assert.deepEqual([s0.targets[1], s0.targets[2], s1.targets[0]], [1, 2, 0]);
    assert.equal(s0.targets.length, 3, 'one class index a step, not three columns');
  });

  it('a row that is not one-hot is refused at its cell', async () => {
    const m = model('d.csv', ', "task": "columns", "loss": "xent", "inputs": ["x"], "targets": ["a", "b", "c"]');
    const load = (csv: string) => () =>
      loadAnalysis(at('/w/m.unroll.json'), settings, memoryFiles({ '/w/d.csv': csv, '/w/m.unroll.json': m }));
    await expectProblem(load('x,a,b,c\n0.1,0,1,0\n0.2,0,0.5,0\n'), {
      file: '/w/d.csv',
      line: 3,
      column: 7,
      message: /0\.5 in target column "b" is not 0 or 1/,
    });
    await expectProblem(load('x,a,b,c\n0.1,1,0,1\n'), {
      file: '/w/d.csv',
      line: 2,
      column: 9,
      message: /a second 1 in target column "c"/,
    });
    await expectProblem(load('x,a,b,c\n0.1,0,0,0\n'), {
      file: '/w/d.csv',
      line: 2,
      column: 5,
      message: /every target cell of this row is 0/,
    });
    await expectProblem(load('x,a,b,c\n0.1,1,,0\n'), {
      file: '/w/d.csv',
      line: 2,
      column: 7,
      message: /empty cell in target column "b"/,
    });
    await expectProblem(
      () =>
        loadAnalysis(
          at('/w/m.unroll.json'),
          settings,
          memoryFiles({
            '/w/d.csv': 'x,a\n1,1\n',
            '/w/m.unroll.json':
              '{ "data": "d.csv", "task": "columns", "loss": "xent",\n  "inputs": ["x"], "targets": ["a"] }',
          }),
        ),
      { file: '/w/m.unroll.json', line: 2, column: 31, message: /"loss": "xent" needs at least two target columns/ },
    );
    await expectProblem(
      () =>
        loadAnalysis(
          at('/w/m.unroll.json'),
          settings,
          memoryFiles({ '/w/d.csv': 'x,a\n1,1\n2,3\n', '/w/m.unroll.json': '{ "data": "d.csv", "loss": "xent" }' }),
        ),
      { file: '/w/m.unroll.json', line: 1, column: 28, message: /task next-step always uses mse/ },
    );
  });

  it('JSON targets are checked the same way', async () => {
    const json =
      '[{ "inputs": [1, 2, 3], "targets": [[0, 1], null, [1, 0]] }, { "inputs": [1, 2], "targets": [[0.5, 0.5], [1, 0]] }]';
    await expectProblem(
      () =>
        loadAnalysis(
          at('/w/m.unroll.json'),
          settings,
          memoryFiles({ '/w/d.json': json, '/w/m.unroll.json': '{ "data": "d.json", "loss": "xent" }' }),
        ),
      {
        file: '/w/d.json',
        line: 1,
        column: 62,
        message: /sequence 2: the target of step 1 is not one-hot \(\[0\.5, 0\.5\]\)/,
      },
    );
  });
});

describe('unroll train output', () => {
  const cli = async (args: string[]) => {
    let stdout = '';
    const code = await main(args, {
      stdout: { write: (s: string) => (stdout += s), isTTY: false, columns: 100 },
      stderr: { write: () => true },
      cwd: EXAMPLES,
    });
    return { code, stdout };
  };

  it('each epoch: training and held-out loss, ‖g‖ before clipping, clipped N/M batches; at the end the baseline in the unit', async () => {
    const { code, stdout } = await cli(['train', 'adding-lag10.rnn.unroll.json', '--epochs', '2']);
    assert.equal(code, 0, stdout);
    assert.match(
      stdout,
      /epoch 1\/2  loss [\d.e+-]+  held-out [\d.e+-]+  ‖g‖ [\d.e+-]+( \(max [\d.e+-]+\))?  ρ [\d.e+-]+  clipped \d+\/\d+ batches\n/,
    );
    assert.match(
      stdout,
      /^held-out loss \(\d+ sequences\) [\d.e+-]+ vs [\d.e+-]+ for predicting the mean target at each step; mean squared error per target step$/m,
    );
  });

  it('--json ends with the training summary: unit, baseline, one point per epoch', async () => {
    const { code, stdout } = await cli(['train', 'adding-lag10.rnn.unroll.json', '--epochs', '2', '--json']);
    assert.equal(code, 0, stdout);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => l.type),
      ['progress', 'progress', 'done'],
    );
    const { training } = lines[2];
    assert.equal(training.unit, 'mean squared error per target step');
    assert.equal(training.baseline.kind, 'mean');
    assert.deepEqual(
      training.history.map((p: TrainPoint) => p.epoch),
      [1, 2],
    );
    assert.equal(training.history[1].heldOutLoss, lines[1].heldOutLoss);
  });
});

describe('divergence', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'unroll-diverge-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('examples/exploding: the CLI names epoch, batch and what overflowed, the last finite batch, exits 3 and saves nothing', async () => {
    let stdout = '';
    const save = path.join(dir, 'w.safetensors');
    const code = await main(['train', 'exploding.rnn.unroll.json', '--epochs', '80', '--save', save], {
      stdout: { write: (s: string) => (stdout += s), isTTY: false, columns: 100 },
      stderr: { write: () => true },
      cwd: EXAMPLES,
    });
    assert.equal(code, 3, stdout);
    assert.match(
      stdout,
      /^Training diverged in epoch \d+, batch [12] of 2: .*(is not finite|overflows).*\. The last finite batch \(epoch \d+, batch [12]\) had loss [\d.e+]+, ‖g‖ [\d.e+]+ before clipping; after it ρ = [\d.e+]+, σ_max = [\d.e+]+\. Weights were not saved\.$/m,
    );
    assert.doesNotMatch(stdout, /step -1/);
    assert.ok(!existsSync(save), 'nothing saved');
  });

  it('trainLoaded places the first non-finite value and keeps the last finite weights', async () => {
    const loaded = await loadAnalysis(
      { path: path.join(EXAMPLES, 'exploding.rnn.unroll.json'), workspaceRoot: EXAMPLES },
      settings,
      nodeFiles,
    );
    const params = initParams(loaded.model);
    const points: TrainPoint[] = [];
    const { summary } = await trainLoaded(loaded, loaded.model, params, 80, {
      ...quiet,
      onProgress: (p) => points.push(p),
    });
    const n = summary.nonFinite!;
    assert.equal(summary.reason, 'nonFinite');
    assert.equal(n.epoch, summary.epochs + 1, 'the epoch after the last completed one');
    assert.equal(n.batches, 2);
    assert.ok(n.tensor, 'a tensor is named');
    const lf = n.lastFinite!;
    assert.ok(
      Number.isFinite(lf.loss) &&
        Number.isFinite(lf.gradNorm) &&
        Number.isFinite(lf.radius) &&
        Number.isFinite(lf.sigmaMax),
    );
    assert.ok((lf.epoch === n.epoch && lf.batch === n.batch! - 1) || (lf.epoch === n.epoch! - 1 && lf.batch === 2));
    for (const t of params.values()) assert.ok(t.data.every(Number.isFinite), 'weights stay finite');
    // It was diverging long before: the finite loss grew more than 1e6× within a few epochs.
    assert.ok(
      summary.diverging && summary.diverging.epoch <= 3 && summary.diverging.factor > 1e100,
      JSON.stringify(summary.diverging),
    );
    assert.equal(points.length, summary.epochs);
  });

  it('a parameter made non-finite by the update is named, and the update undone', async () => {
    // No model file may ask for it (lr ≤ 100, and a gradient large enough overflows its norm first): a model made here
    // does, with a step size that overflows every weight whose gradient is not zero.
    const files = memoryFiles({
      '/w/a.csv': addingCsv(4, 5, 1),
      '/w/m.unroll.json': model('a.csv', ', "task": "seq-to-one"'),
    });
    const loaded: LoadedAnalysis = await loadAnalysis(at('/w/m.unroll.json'), settings, files);
    const reckless = { ...loaded.model, optimizer: { kind: 'sgd' as const, lr: Infinity } };
    const params = initParams(reckless);
    const before = [...params.values()].map((t) => t.data.slice());
    const { summary } = await trainLoaded(loaded, reckless, params, 3, quiet);
    const n = summary.nonFinite!;
    assert.deepEqual([n.epoch, n.batch, n.batches, n.step], [1, 1, 1, -1]);
    assert.match(n.tensor!, /^(rnn|fc)\.\w+ after the update$/);
    assert.equal(n.lastFinite, undefined, 'no batch was finite');
    assert.deepEqual(
      [...params.values()].map((t) => t.data),
      before,
    );
  });
});

describe('stopping while the held-out loss is measured', () => {
  it('is acknowledged within a batch of the held-out set, ends as cancelled and reports no half-measured epoch', async () => {
    // adding-lag10: 800 training sequences (50 batches of 16), 200 held out (13 batches): the 53rd yield is inside the
    // held-out measurement of epoch 1. Before, that measurement ran to its end without a check, and the worker was
    // restarted without an answer when it took longer than STOP_GRACE_MS.
    let yields = 0;
    let stoppingAt = -1;
    const outcome = await runTrain(
      { path: path.join(EXAMPLES, 'adding-lag10.rnn.unroll.json'), workspaceRoot: EXAMPLES },
      settings,
      nodeFiles,
      {},
      {
        onProgress: () => assert.fail('no epoch point: epoch 1 did not finish its held-out measurement'),
        shouldStop: () => yields >= 53,
        onStopping: () => (stoppingAt = yields),
        yieldNow: async () => void yields++,
      },
    );
    assert.equal(outcome.summary.reason, 'cancelled');
    assert.equal(outcome.summary.history.length, 0);
    assert.equal(stoppingAt, 53, 'acknowledged at the first check after the stop, inside the held-out batches');
    assert.match(
      outcome.result.meta.notes.join(' '),
      /cancelled; the weights also have 50 of the 50 batches of epoch 1/,
    );
  });
});
