// The bench's pure parts: the generated training text, and the targets judged on made-up figures whose verdicts are
// known (each figure sits on a chosen side of its bound), so a wrong bound or a swapped ratio fails here, not in a
// recorded run.
import assert from 'node:assert/strict';
import { ALICE_OPENING } from '../../src/data/exampleText';
import { CHAR_LM, benchText } from '../bench/workloads';
import { SECOND_THREAD, checkTargets, markdown, trainRow, type BenchFigures } from '../bench/report';

const timing = (medianMs: number) => ({ medianMs, reps: 5 });
const train = (seqPerSec: number) => ({ seqPerSec, medianBatchMs: 16000 / seqPerSec, batches: 24 });

function makeFigures(): BenchFigures {
  return {
    env: {
      date: '2026-12-03',
      cpu: 'test cpu',
      cores: 2,
      node: 'v20',
      pytorch: '1.13, float32, 1 thread',
      OPENBLAS_CORETYPE: null,
      OPENBLAS_L2_SIZE: null,
      OPENBLAS_NUM_THREADS: null,
      float32Honoured: true,
      kernels: 'relaxed',
    },
    workloads: {
      // f64 at 0.4× PyTorch (met), f32 at 0.6× (not met); tfjs 25× the f64 time (met) but 16.7× the f32 time (not met).
      'rnn T=256 B=1': {
        kind: 'forwardBackward',
        cells: {
          'ours-f64': timing(4),
          'ours-f32': timing(6),
          pytorch: timing(10),
          tfjs: timing(100),
          brain: { skipped: 'absent' },
        },
      },
      // 3× PyTorch (not met) and exactly 2× (met: the bound is inclusive); tfjs skipped, so no tfjs line.
      'lstm T=256 B=32': {
        kind: 'forwardBackward',
        cells: { 'ours-f64': timing(30), 'ours-f32': timing(20), pytorch: timing(10), tfjs: { skipped: 'slow' } },
      },
      [CHAR_LM.name]: { kind: 'train', cells: { 'ours-f64': train(50), 'ours-f32': train(120), pytorch: train(100) } },
      'analyze rnn T=256': { kind: 'analyze', analyze: timing(35), forwardBackward: timing(10) },
    },
  };
}

describe('bench', () => {
  it('generates exactly the asked number of characters, the same every time, with the vocabulary of prose', () => {
    const text = benchText(CHAR_LM.textChars, ALICE_OPENING);
    assert.equal(text.length, 100_001);
    assert.equal(benchText(CHAR_LM.textChars, ALICE_OPENING), text);
    assert.notEqual(benchText(CHAR_LM.textChars, ALICE_OPENING, 8), text);
    const vocab = new Set(text);
    const source = new Set(ALICE_OPENING + '\n.');
    assert.ok(
      [...vocab].every((c) => source.has(c) || /[A-Z]/.test(c)),
      'only the example text’s characters, capitals and newlines',
    );
    assert.ok(vocab.size >= 40 && vocab.size <= 90, `vocabulary of ${vocab.size} characters`);
    // 1000 windows of 100 steps: the training workload never meets a short last window.
    assert.equal((text.length - 1) % CHAR_LM.window, 0);
    assert.ok((text.length - 1) / CHAR_LM.window >= (CHAR_LM.warmup + CHAR_LM.batches) * CHAR_LM.batch);
  });

  it('judges each target on its side of the bound, per precision', () => {
    const verdicts = Object.fromEntries(checkTargets(makeFigures()).map((c) => [`${c.target} @ ${c.workload}`, c.met]));
    assert.deepEqual(verdicts, {
      'batch 1 ≤ 0.5× PyTorch (time ratio) @ rnn T=256 B=1': { 'ours-f64': true, 'ours-f32': false },
      'batch 32 ≤ 2× PyTorch (time ratio) @ lstm T=256 B=32': { 'ours-f64': false, 'ours-f32': true },
      'tfjs ≥ 20× slower than us (time ratio) @ rnn T=256 B=1': { 'ours-f64': true, 'ours-f32': false },
      [`training ≥ PyTorch (seq/s ratio) @ ${CHAR_LM.name}`]: { 'ours-f64': false, 'ours-f32': true },
      'diagnostics ≤ 3× forward + BPTT @ analyze rnn T=256': { 'ours-f64': false },
    });
  });

  it('judges diagnostics on the worker path (ρ/σ_max on a second thread) where measured, printing one thread for reference', () => {
    const figures = makeFigures();
    figures.workloads[`analyze rnn T=256 (${SECOND_THREAD})`] = {
      kind: 'analyze',
      analyze: timing(28),
      forwardBackward: timing(10),
      secondThread: true,
    };
    const analyses = checkTargets(figures).filter((c) => c.workload.startsWith('analyze'));
    assert.deepEqual(
      analyses.map((c) => [c.target, c.workload, c.figures['ours-f64'], c.reference ?? false, c.met['ours-f64']]),
      [
        ['diagnostics on one thread (reference, not judged)', 'analyze rnn T=256', 3.5, true, false],
        ['diagnostics ≤ 3× forward + BPTT', `analyze rnn T=256 (${SECOND_THREAD})`, 2.8, false, true],
      ],
    );
    const md = markdown(figures);
    assert.match(md, /\| diagnostics on one thread \(reference, not judged\) \| analyze rnn T=256 \| 3\.50 \| {2}\|/);
    assert.match(
      md,
      /\| diagnostics ≤ 3× forward \+ BPTT \| analyze rnn T=256 \(ρ\/σ_max on a second thread, as the worker runs it\) \| 2\.80 met \|/,
    );
  });

  it('summarizes training rounds by the median of their ratios, each round from one stretch of time', () => {
    // Per-round ratios 0.5, 3 and 1.2: median 1.2, though the medians of the figures (50 and 50) give 1.
    const row = trainRow({
      pytorch: [train(100), train(10), train(50)],
      'ours-f64': [train(50), train(30), train(60)],
      'ours-f32': [],
    });
    assert.ok(Math.abs(row.ratios!['ours-f64']! - 1.2) < 1e-12);
    assert.deepEqual(row.ratioRanges!['ours-f64'], [0.5, 3]);
    assert.equal(row.ratios!['ours-f32'], undefined);
    assert.deepEqual(row.cells.pytorch, { seqPerSec: 50, medianBatchMs: 320, batches: 72 });
    const figures: BenchFigures = { env: makeFigures().env, workloads: { [CHAR_LM.name]: row } };
    assert.deepEqual(
      checkTargets(figures).map((c) => c.met),
      [{ 'ours-f64': true }],
    );
    assert.match(markdown(figures), /\| 1\.20 \(0\.50–3\.00\) \|/, 'the median ratio with the rounds’ range');
    assert.deepEqual(trainRow({ pytorch: [], 'ours-f64': [train(50)], 'ours-f32': [] }, 'torch absent').cells.pytorch, {
      skipped: 'torch absent',
    });
  });

  it('prints the run as Markdown with the machine, the figures and the verdicts', () => {
    const md = markdown(makeFigures());
    assert.match(md, /^### Run of 2026-12-03$/m);
    assert.match(md, /\| CPU \| test cpu, 2 cores \|/);
    assert.match(
      md,
      /\| rnn T=256 B=1 \| 4\.0 \| 6\.0 \| 10\.0 \| 100\.0 \| – \| 0\.40 \| 0\.60 \| 25\.00 \| 16\.67 \| {2}\|/,
    );
    assert.match(md, /\| char-lstm train H=128 T=100 B=16 \| 50\.0 \| 120\.0 \| 100\.0 \| 0\.50 \| 1\.20 \|/);
    assert.match(
      md,
      /\| batch 1 ≤ 0\.5× PyTorch \(time ratio\) \| rnn T=256 B=1 \| 0\.40 met \| 0\.60 \*\*not met\*\* \|/,
    );
    assert.match(md, /Skipped: rnn T=256 B=1 brain: absent; lstm T=256 B=32 tfjs: slow\./);
  });
});
