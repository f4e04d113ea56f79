// Long sequences are split into consecutive windows for training: every step in exactly one window, the pairs at
// the boundaries intact, the analyzed sequence as before, and the notes saying what happened.
import assert from 'node:assert/strict';
import { loadAnalysis } from '../../../src/data';
import { windowSpans } from '../../../src/data/dataset';
import { Trainer, initParams } from '../../../src/engine';
import type { SequenceData } from '../../../src/engine/types';
import type { EngineSettings } from '../../../src/protocol/messages';
import { runTrain } from '../../../src/worker/jobs';
import { expectProblem, memoryFiles, sequencesOf } from './helpers';

const settings: EngineSettings = {
  maxSteps: 512,
  flowBudget: 200_000,
  defaultCell: 'rnn',
  maxMemoryMB: 2048,
  maxWork: 30,
};
const at = (p: string) => ({ path: p, workspaceRoot: '/w' });
const rows = (n: number, width = 1) =>
  Array.from({ length: n }, (_, i) => Array.from({ length: width }, (_, j) => i * 10 + j).join(',')).join('\n') + '\n';
const csv = (n: number, width = 1) =>
  Array.from({ length: width }, (_, j) => `x${j}`).join(',') + '\n' + rows(n, width);
const model = (data: string, extra = '') => `{ "data": "${data}", "hidden": 3${extra} }`;
const steps = (s: SequenceData, D: number, which: 'inputs' | 'targets') =>
  Array.from({ length: s.T }, (_, t) => Array.from(s[which].subarray(t * D, (t + 1) * D)));
const argmax = (row: Float64Array) => row.indexOf(Math.max(...row));

function npy(shape: number[], values: number[]): Uint8Array {
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const bytes = new Uint8Array(10 + header.length + values.length * 8);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(bytes.buffer).setUint16(8, header.length, true);
  bytes.set(new TextEncoder().encode(header), 10);
  new Float64Array(bytes.buffer, 10 + header.length).set(values);
  return bytes;
}

describe('windows: long sequences train on all their steps', () => {
  it('windowSpans covers every step exactly once; a one-step remainder is left out, a longer one kept', () => {
    assert.deepEqual(windowSpans(11, 3), {
      spans: [
        { from: 0, T: 3 },
        { from: 3, T: 3 },
        { from: 6, T: 3 },
        { from: 9, T: 2 },
      ],
      leftOut: 0,
    });
    assert.deepEqual(windowSpans(10, 3), {
      spans: [
        { from: 0, T: 3 },
        { from: 3, T: 3 },
        { from: 6, T: 3 },
      ],
      leftOut: 1,
    });
    assert.deepEqual(windowSpans(5, 512), { spans: [{ from: 0, T: 5 }], leftOut: 0 });
    assert.deepEqual(windowSpans(1, 512), { spans: [{ from: 0, T: 1 }], leftOut: 0 });
    assert.deepEqual(
      windowSpans(4, 1).spans.map((s) => s.T),
      [1, 1, 1, 1],
    );
    for (let n = 1; n < 40; n++) {
      for (const w of [1, 2, 3, 7, 16, 50]) {
        const { spans, leftOut } = windowSpans(n, w);
        assert.equal(spans.reduce((sum, s) => sum + s.T, 0) + leftOut, n);
        spans.forEach((s, k) => assert.equal(s.from, k * w));
      }
    }
  });

  it('next-step CSV: windows of x_t → x_{t+1}, each pair once, boundaries intact, originalT on every window', async () => {
    const files = memoryFiles({ '/w/d.csv': csv(12, 2), '/w/m.unroll.json': model('d.csv', ', "window": 3') });
    const { dataset } = await loadAnalysis(at('/w/m.unroll.json'), settings, files);
    assert.deepEqual(
      sequencesOf(dataset).map((s) => s.T),
      [3, 3, 3, 2],
    );
    assert.ok(sequencesOf(dataset).every((s) => s.originalT === 11));
    const inputs = sequencesOf(dataset).flatMap((s) => steps(s, 2, 'inputs'));
    const targets = sequencesOf(dataset).flatMap((s) => steps(s, 2, 'targets'));
    assert.deepEqual(
      inputs,
      Array.from({ length: 11 }, (_, i) => [i * 10, i * 10 + 1]),
    );
    assert.deepEqual(
      targets,
      Array.from({ length: 11 }, (_, i) => [(i + 1) * 10, (i + 1) * 10 + 1]),
    );
    for (let k = 1; k < dataset.sequences.count; k++) {
      const prev = dataset.sequences.get(k - 1);
      assert.deepEqual(
        steps(prev, 2, 'targets').at(-1),
        steps(dataset.sequences.get(k), 2, 'inputs')[0],
        `boundary ${k}`,
      );
    }
    assert.ok(sequencesOf(dataset).every((s) => s.mask.length === s.T && s.mask.every((m) => m === 1)));
    assert.match(
      dataset.notes.join(' '),
      /d\.csv: the sequence has 11 steps, split into 4 windows of 3 steps; the analysis shows the first, training uses all \(windows as set by "window": 3 in m\.unroll\.json\)/,
    );
  });

  it('a remainder of a single step is left out, and the notes say so', async () => {
    const files = memoryFiles({ '/w/d.csv': csv(11), '/w/m.unroll.json': model('d.csv', ', "window": 3') });
    const { dataset } = await loadAnalysis(at('/w/m.unroll.json'), settings, files);
    assert.deepEqual(
      sequencesOf(dataset).map((s) => s.T),
      [3, 3, 3],
    );
    assert.deepEqual(
      sequencesOf(dataset).flatMap((s) => Array.from(s.inputs)),
      [0, 10, 20, 30, 40, 50, 60, 70, 80],
    );
    assert.match(dataset.notes.join(' '), /split into 3 windows of 3 steps/);
    assert.match(dataset.notes.join(' '), /The last step of the sequence is left out of training/);
  });

  it('the analyzed sequence is what it was: the first window of the first sequence, a view like every window', async () => {
    const window = 5;
    const long = await loadAnalysis(
      at('/w/m.unroll.json'),
      settings,
      memoryFiles({ '/w/d.csv': csv(40, 2), '/w/m.unroll.json': model('d.csv', `, "window": ${window}`) }),
    );
    const cut = await loadAnalysis(
      at('/w/m.unroll.json'),
      settings,
      memoryFiles({ '/w/d.csv': csv(window + 1, 2), '/w/m.unroll.json': model('d.csv', `, "window": ${window}`) }),
    );
    const [analyzed] = sequencesOf(long.dataset);
    assert.deepEqual({ ...analyzed, originalT: undefined }, { ...cut.dataset.sequences.get(0), originalT: undefined });
    assert.equal(analyzed.originalT, 39);
    assert.deepEqual(long.model, cut.model);
    // Windows are views of the file's rows made on demand (the Result copies what it keeps, so it holds no view).
    assert.equal(analyzed.inputs.buffer, long.dataset.sequences.get(1).inputs.buffer);

    const text = 'the quick brown fox jumps over the lazy dog. '.repeat(10);
    const longText = await loadAnalysis(
      at('/w/m.unroll.json'),
      settings,
      memoryFiles({ '/w/t.txt': text, '/w/m.unroll.json': model('t.txt', ', "window": 16') }),
    );
    // The vocabulary comes from the whole text, as before; the analyzed window is its first 16 steps.
    assert.deepEqual(longText.dataset.vocab, [...new Set(text)].sort());
    const first = longText.dataset.sequences.get(0);
    assert.equal(first.T, 16);
    assert.equal(first.originalT, text.length - 1);
    const V = longText.dataset.vocab!.length;
    assert.equal(
      Array.from(
        { length: 16 },
        (_, t) => longText.dataset.vocab![argmax(first.inputs.subarray(t * V, (t + 1) * V))],
      ).join(''),
      text.slice(0, 16),
    );
    assert.equal(Array.from(first.targets, (i) => longText.dataset.vocab![i]).join(''), text.slice(1, 17));
    assert.ok(first.mask.every((m) => m === 1));
    assert.equal(first.inputs.buffer.byteLength, first.inputs.byteLength);
  });

  it('char-lm: windows of one-hot characters predict the next one, across window boundaries too', async () => {
    const text = 'abcdefghijk😀';
    const { dataset } = await loadAnalysis(
      at('/w/m.unroll.json'),
      settings,
      memoryFiles({ '/w/t.txt': text, '/w/m.unroll.json': model('t.txt', ', "window": 4') }),
    );
    const vocab = dataset.vocab!;
    const V = vocab.length;
    assert.deepEqual(
      sequencesOf(dataset).map((s) => s.T),
      [4, 4, 3],
    );
    assert.ok(sequencesOf(dataset).every((s) => s.originalT === 11 && s.mask.every((m) => m === 1)));
    const chars = [...text];
    const inputs = sequencesOf(dataset).flatMap((s) =>
      Array.from({ length: s.T }, (_, t) => vocab[argmax(s.inputs.subarray(t * V, (t + 1) * V))]),
    );
    const targets = sequencesOf(dataset).flatMap((s) => Array.from(s.targets, (i) => vocab[i]));
    assert.deepEqual(inputs, chars.slice(0, -1));
    assert.deepEqual(targets, chars.slice(1));
    assert.ok(
      sequencesOf(dataset).every(
        (s) => s.inputs.every((v) => v === 0 || v === 1) && s.inputs.reduce((a, b) => a + b, 0) === s.T,
      ),
    );
    assert.match(
      dataset.notes.join(' '),
      /t\.txt: 12 characters \(11 steps, each predicting the next character\) split into 3 windows of 4 steps; the analysis shows the first, training uses all/,
    );
  });

  it('char-lm training windows build their one-hot rows on demand and again after letting them go', async () => {
    // 400 characters of vocabulary × 512 steps × 8 bytes: each window's inputs take 1.6 MB, 90 windows exceed the budget.
    const alphabet = Array.from({ length: 400 }, (_, i) => String.fromCodePoint(0x4e00 + i));
    const text = Array.from({ length: 512 * 90 + 1 }, (_, i) => alphabet[(i * 7) % 400]).join('');
    const { dataset } = await loadAnalysis(at('/w/t.txt'), settings, memoryFiles({ '/w/t.txt': text }));
    assert.equal(dataset.sequences.count, 90);
    const check = (k: number) => {
      const s = dataset.sequences.get(k);
      const t = 511;
      const from = k * 512;
      assert.equal(dataset.vocab![argmax(s.inputs.subarray(t * 400, (t + 1) * 400))], alphabet[((from + t) * 7) % 400]);
      assert.equal(dataset.vocab![s.targets[t]], alphabet[((from + t + 1) * 7) % 400]);
    };
    for (let k = 1; k < 90; k++) check(k);
    check(1);
    check(2);
  });

  it('columns: every window keeps its targets; a later window without any target is left out, the first still must have one', async () => {
    const data =
      'x,y\n' + Array.from({ length: 11 }, (_, i) => `${i},${i < 3 || i >= 6 ? i * 100 : ''}`).join('\n') + '\n';
    const files = memoryFiles({
      '/w/d.csv': data,
      '/w/m.unroll.json': model('d.csv', ', "task": "columns", "inputs": ["x"], "targets": ["y"], "window": 3'),
    });
    const { dataset } = await loadAnalysis(at('/w/m.unroll.json'), settings, files);
    // Steps 0-2 | 3-5 (no target: left out) | 6-8 | 9-10.
    assert.deepEqual(
      sequencesOf(dataset).map((s) => Array.from(s.inputs)),
      [
        [0, 1, 2],
        [6, 7, 8],
        [9, 10],
      ],
    );
    assert.deepEqual(
      sequencesOf(dataset).map((s) => Array.from(s.targets)),
      [
        [0, 100, 200],
        [600, 700, 800],
        [900, 1000],
      ],
    );
    assert.ok(sequencesOf(dataset).every((s) => s.originalT === 11));
    assert.match(dataset.notes.join(' '), /1 window of 3 steps without any target value is left out of training/);

    const late = 'x,y\n1,\n2,\n3,\n4,5\n';
    await expectProblem(
      () =>
        loadAnalysis(
          at('/w/m.unroll.json'),
          settings,
          memoryFiles({
            '/w/d.csv': late,
            '/w/m.unroll.json': model('d.csv', ', "task": "columns", "inputs": ["x"], "targets": ["y"], "window": 3'),
          }),
        ),
      {
        line: 2,
        column: 1,
        message: /has no target values in the 3 steps analyzed/,
      },
    );
  });

  it('seq-to-one is unchanged: the last `window` steps, one target at the end, one training sequence per sequence', async () => {
    const data = 'a,y\n' + Array.from({ length: 10 }, (_, i) => `${i},${i === 9 ? 42 : ''}`).join('\n') + '\n';
    const files = memoryFiles({
      '/w/d.csv': data,
      '/w/m.unroll.json': model('d.csv', ', "task": "seq-to-one", "window": 3'),
    });
    const { dataset } = await loadAnalysis(at('/w/m.unroll.json'), settings, files);
    assert.equal(dataset.sequences.count, 1);
    const [s] = sequencesOf(dataset);
    assert.deepEqual(Array.from(s.inputs), [7, 8, 9]);
    assert.deepEqual(Array.from(s.mask), [0, 0, 1]);
    assert.equal(s.targets[2], 42);
    assert.equal(s.originalT, 10);
    assert.match(
      dataset.notes.join(' '),
      /the sequence has 10 steps; analyzed the last 3 steps of each, as capped by "window": 3 in m\.unroll\.json; training uses the same steps/,
    );
    assert.doesNotMatch(dataset.notes.join(' '), /split/);

    const pairs = await loadAnalysis(
      at('/w/m.unroll.json'),
      settings,
      memoryFiles({
        '/w/p.json': '{ "inputs": [1, 2, 3, 4, 5], "targets": [9] }',
        '/w/m.unroll.json': model('p.json', ', "window": 2'),
      }),
    );
    assert.deepEqual(
      sequencesOf(pairs.dataset).map((q) => [Array.from(q.inputs), Array.from(q.mask), q.targets[1]]),
      [[[4, 5], [0, 1], 9]],
    );
  });

  it('several sequences: each split on its own, in file order; the notes count sequences and windows', async () => {
    const data =
      'id,x\n' +
      [...Array.from({ length: 8 }, (_, i) => `a,${i}`), ...Array.from({ length: 3 }, (_, i) => `b,${100 + i}`)].join(
        '\n',
      ) +
      '\n';
    const files = memoryFiles({ '/w/d.csv': data, '/w/m.unroll.json': model('d.csv', ', "window": 3') });
    const { dataset } = await loadAnalysis(at('/w/m.unroll.json'), settings, files);
    assert.deepEqual(
      sequencesOf(dataset).map((s) => [Array.from(s.inputs), Array.from(s.targets)]),
      [
        [
          [0, 1, 2],
          [1, 2, 3],
        ],
        [
          [3, 4, 5],
          [4, 5, 6],
        ],
        [
          [100, 101],
          [101, 102],
        ],
      ],
    );
    assert.deepEqual(
      sequencesOf(dataset).map((s) => s.originalT),
      [7, 7, undefined],
    );
    assert.match(
      dataset.notes.join(' '),
      /d\.csv holds 2 sequences; 1 of them have more than 3 steps \(up to 7\) and are split into windows of 3 steps .*3 training sequences in all; the analysis shows the first window of the first sequence, training uses all/,
    );
    assert.match(dataset.notes.join(' '), /The last step of 1 sequence is left out/);
  });

  it('JSON series, JSON { inputs, targets } and .npy follow the same rule', async () => {
    const series = await loadAnalysis(
      at('/w/m.unroll.json'),
      settings,
      memoryFiles({ '/w/s.json': '[1, 2, 3, 4, 5, 6, 7, 8]', '/w/m.unroll.json': model('s.json', ', "window": 3') }),
    );
    assert.deepEqual(
      sequencesOf(series.dataset).map((s) => [Array.from(s.inputs), Array.from(s.targets)]),
      [
        [
          [1, 2, 3],
          [2, 3, 4],
        ],
        [
          [4, 5, 6],
          [5, 6, 7],
        ],
      ],
    );
    assert.match(series.dataset.notes.join(' '), /left out of training/);

    const pairs = await loadAnalysis(
      at('/w/m.unroll.json'),
      settings,
      memoryFiles({
        '/w/p.json': '{ "inputs": [1, 2, 3, 4, 5], "targets": [10, null, 30, 40, 50] }',
        '/w/m.unroll.json': model('p.json', ', "window": 2'),
      }),
    );
    assert.deepEqual(
      sequencesOf(pairs.dataset).map((s) => [Array.from(s.inputs), Array.from(s.mask), Array.from(s.targets)]),
      [
        [
          [1, 2],
          [1, 0],
          [10, 0],
        ],
        [
          [3, 4],
          [1, 1],
          [30, 40],
        ],
      ],
    );
    assert.match(pairs.dataset.notes.join(' '), /the sequence has 5 steps, split into 2 windows of 2 steps/);

    const array = npy([2, 5, 1], [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]);
    const fromNpy = await loadAnalysis(
      at('/w/m.unroll.json'),
      settings,
      memoryFiles({ '/w/a.npy': array, '/w/m.unroll.json': model('a.npy', ', "window": 2') }),
    );
    assert.deepEqual(
      sequencesOf(fromNpy.dataset).map((s) => [Array.from(s.inputs), Array.from(s.targets)]),
      [
        [
          [0, 1],
          [1, 2],
        ],
        [
          [2, 3],
          [3, 4],
        ],
        [
          [10, 11],
          [11, 12],
        ],
        [
          [12, 13],
          [13, 14],
        ],
      ],
    );
  });

  it('a short file is one sequence with no note about windows', async () => {
    const { dataset } = await loadAnalysis(at('/w/d.csv'), settings, memoryFiles({ '/w/d.csv': csv(20) }));
    assert.equal(dataset.sequences.count, 1);
    assert.equal(dataset.sequences.get(0).originalT, undefined);
    assert.deepEqual(dataset.notes, []);
  });
});

describe('windows reach training', () => {
  it('Trainer.batches gets every window of a long sequence, not only the first', async () => {
    const files = memoryFiles({ '/w/d.csv': csv(1001), '/w/m.unroll.json': model('d.csv', ', "window": 100') });
    const loaded = await loadAnalysis(at('/w/m.unroll.json'), settings, files);
    const trainer = new Trainer(loaded.model, initParams(loaded.model));
    const batched = trainer.batches(loaded.dataset, 1, 4).flat();
    assert.equal(batched.length, 10);
    assert.equal(
      batched.reduce((sum, i) => sum + loaded.dataset.sequences.steps(i), 0),
      1000,
    );
    assert.deepEqual(new Set(batched), new Set(sequencesOf(loaded.dataset).map((_, i) => i)));
  });

  it('char-lm windows built on demand train exactly like plain arrays', async () => {
    const text = 'to be or not to be, that is the question. '.repeat(8);
    const loaded = await loadAnalysis(
      at('/w/m.unroll.json'),
      settings,
      memoryFiles({ '/w/t.txt': text, '/w/m.unroll.json': model('t.txt', ', "window": 32, "cell": "lstm"') }),
    );
    const windows = sequencesOf(loaded.dataset).slice(1, 5);
    const plain = windows.map((s) => ({
      T: s.T,
      inputs: s.inputs.slice(),
      targets: s.targets.slice(),
      mask: s.mask.slice(),
    }));
    const pa = initParams(loaded.model),
      pb = initParams(loaded.model);
    // The windows give their characters' columns (inputIds): training reads those, not the one-hot rows.
    const lazy = sequencesOf(loaded.dataset).slice(1, 5);
    assert.ok(lazy.every((s) => s.inputIds && typeof Object.getOwnPropertyDescriptor(s, 'inputs')?.get === 'function'));
    const a = new Trainer(loaded.model, pa).step(lazy);
    const b = new Trainer(loaded.model, pb).step(plain);
    assert.deepEqual(a, b);
    for (const [name, t] of pa) assert.deepEqual(t.data, pb.get(name)!.data, `${name} after the step`);
    // the columns and the rows agree, and a spread copies the rows
    const V = loaded.dataset.vocab!.length;
    for (const [k, s] of windows.entries()) {
      assert.deepEqual(
        Array.from({ length: s.T }, (_, t) => argmax(s.inputs.subarray(t * V, (t + 1) * V))),
        Array.from(s.inputIds!),
      );
      assert.deepEqual({ ...s }.inputs, plain[k].inputs);
    }
    // columns outside the vocabulary: the rows are read instead (here all zero: not one-hot, the dense products)
    const odd = sequencesOf(loaded.dataset)
      .slice(1, 5)
      .map((s) => ({ ...s, inputIds: s.inputIds!.map(() => V), inputs: new Float64Array(s.T * V) }));
    const c = new Trainer(loaded.model, initParams(loaded.model)).step(odd);
    const zero = plain.map((s) => ({ ...s, inputs: new Float64Array(s.T * V) }));
    assert.deepEqual(c, new Trainer(loaded.model, initParams(loaded.model)).step(zero));
    assert.notDeepEqual(c, a);
  });

  it('runTrain learns from every window: more batches per epoch than the single analyzed sequence', async () => {
    const files = memoryFiles({
      '/w/d.csv': csv(401),
      '/w/m.unroll.json': model(
        'd.csv',
        ', "window": 10, "epochs": 1, "validation": 0, "optimizer": { "kind": "sgd", "lr": 0.000001 }',
      ),
    });
    let batches = 0;
    const outcome = await runTrain(
      at('/w/m.unroll.json'),
      settings,
      files,
      {},
      {
        onProgress() {},
        shouldStop: () => false,
        yieldNow: async () => void batches++,
      },
    );
    assert.equal(outcome.reason, 'finished');
    // 40 windows of 10 steps in batches of at most 16: three batches (with only the first window: one).
    assert.equal(batches, 3);
    assert.equal(outcome.result.meta.sequences, 40);
    assert.equal(outcome.result.meta.steps, 10);
    assert.equal(outcome.result.meta.originalSteps, 400);
  });
});
