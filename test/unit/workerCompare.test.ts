// runCompare: cells or model files side by side, at initialization or after training, against files in memory.
import assert from 'node:assert/strict';
import { InputError } from '../../src/data/errors';
import type { TrainPoint } from '../../src/protocol/result';
import { FromWorkerType, ToWorkerType } from '../../src/protocol/messages';
import { createJobHandler } from '../../src/worker/handler';
import { runAnalyze, runCompare } from '../../src/worker/jobs';
import { AnalysisCache } from '../../src/engine';
import { memoryFiles } from './data/helpers';

const settings = { maxSteps: 512, flowBudget: 1, defaultCell: 'rnn' as const, maxMemoryMB: 2048, maxWork: 30 };

/** Two sequences of a slow sine, 24 steps each (next-step prediction). */
function sineCsv(): string {
  const rows = ['sequence,x'];
  for (let s = 0; s < 2; s++) for (let t = 0; t < 24; t++) rows.push(`${s},${Math.sin(0.3 * t + s).toFixed(6)}`);
  return rows.join('\n') + '\n';
}

const model = (fields: Record<string, unknown>) =>
  JSON.stringify({
    data: 'sine.csv',
    task: 'next-step',
    hidden: 6,
    window: 12,
    seed: 3,
    epochs: 4,
    batch: 2,
    optimizer: { kind: 'sgd', lr: 0.05 },
    ...fields,
  });

/** A plain RNN, the same with clipping, and one whose large W_hh and learning rate overflow in the first epochs. */
const files = () =>
  memoryFiles({
    '/ws/sine.csv': sineCsv(),
    '/ws/plain.rnn.unroll.json': model({ cell: 'rnn' }),
    '/ws/clipped.rnn.unroll.json': model({ cell: 'rnn', clip: { norm: 0.01 } }),
    '/ws/wild.rnn.unroll.json': model({
      cell: 'rnn',
      nonlinearity: 'relu',
      init: { kind: 'identity', spectralRadius: 100 },
      optimizer: { kind: 'sgd', lr: 100 },
    }),
    '/ws/huge.rnn.unroll.json': model({ cell: 'rnn', hidden: 60000 }),
  });

const source = { path: '/ws/plain.rnn.unroll.json', workspaceRoot: '/ws' };

describe('runCompare', () => {
  it('at initialization: one run per cell, labelled, weights "initialization", no training', async () => {
    const { results, stopped } = await runCompare(source, settings, files(), ['rnn', 'gru']);
    assert.equal(stopped, false);
    assert.deepEqual(
      results.map((r) => [r.meta.label, r.model.cell, r.meta.weights?.kind, r.training]),
      [
        ['rnn', 'rnn', 'initialization', undefined],
        ['gru', 'gru', 'initialization', undefined],
      ],
    );
  });

  it('with epochs: every cell trains, progress names its run, the result carries the history', async () => {
    const seen: [number, TrainPoint][] = [];
    const { results } = await runCompare(source, settings, files(), ['rnn', 'lstm'], {
      epochs: 3,
      onProgress: (run, p) => seen.push([run, p]),
    });
    assert.deepEqual(
      seen.map(([run, p]) => `${run}:${p.epoch}`),
      ['0:1', '0:2', '0:3', '1:1', '1:2', '1:3'],
    );
    for (const [i, r] of results.entries()) {
      assert.equal(r.training?.reason, 'finished');
      assert.equal(r.training?.history.length, 3);
      assert.deepEqual(r.meta.weights, { kind: 'trained', epochs: 3, startedFrom: 'initialization' });
      // The history is the progress this run reported, in order.
      assert.deepEqual(
        r.training?.history.map((p) => p.loss),
        seen.filter(([run]) => run === i).map(([, p]) => p.loss),
      );
    }
    // Trained weights differ from the initialization: the analysis describes them, not the start.
    const [atInit] = (await runCompare(source, settings, files(), ['rnn'])).results;
    assert.notEqual(results[0].loss, atInit.loss);
  });

  it('model files: one run each, labelled by file name, each with its own clipping', async () => {
    const models = ['/ws/plain.rnn.unroll.json', '/ws/clipped.rnn.unroll.json'];
    const { results, files: read } = await runCompare(source, settings, files(), [], { models, epochs: 2 });
    assert.deepEqual(
      results.map((r) => r.meta.label),
      ['plain.rnn.unroll.json', 'clipped.rnn.unroll.json'],
    );
    assert.deepEqual(
      results.map((r) => r.meta.modelFile),
      models,
    );
    assert.ok(
      models.every((m) => read.includes(m)),
      'both model files are watched',
    );
    const clipped = (i: number) => results[i].training!.history.reduce((s, p) => s + p.clipped, 0);
    assert.equal(clipped(0), 0);
    assert.ok(clipped(1) > 0, 'τ = 0.01 clips');
  });

  it('a run that diverges stays in the comparison, marked; the next run still trains', async () => {
    const models = ['/ws/wild.rnn.unroll.json', '/ws/plain.rnn.unroll.json'];
    const { results } = await runCompare(source, settings, files(), [], { models, epochs: 4 });
    assert.equal(results.length, 2);
    assert.equal(results[0].training?.reason, 'nonFinite');
    assert.ok(results[0].training?.nonFinite, 'where it diverged');
    assert.ok(results[0].meta.notes.some((n) => /diverged/.test(n)));
    assert.equal(results[1].training?.reason, 'finished');
    assert.equal(results[1].training?.history.length, 4);
  });

  it('checks the cost of every run before any of them trains', async () => {
    const models = ['/ws/plain.rnn.unroll.json', '/ws/huge.rnn.unroll.json'];
    let progress = 0;
    await assert.rejects(
      runCompare(source, settings, files(), [], { models, epochs: 2, onProgress: () => progress++ }),
      (e: unknown) => e instanceof InputError && e.problems.some((p) => p.file === '/ws/huge.rnn.unroll.json'),
    );
    assert.equal(progress, 0, 'no run started');
  });

  it('a stop ends the whole comparison at the next batch', async () => {
    let points = 0;
    const outcome = await runCompare(source, settings, files(), ['rnn', 'lstm', 'gru'], {
      epochs: 50,
      onProgress: () => points++,
      shouldStop: () => points >= 2,
    });
    assert.equal(outcome.stopped, true);
    assert.equal(points, 2);
    assert.equal(outcome.results.length, 0, 'no run finished');
  });
});

describe('the worker handler: compare with training', () => {
  const writes = { writeFile: async () => undefined, probe: async () => undefined };

  function handler() {
    const posted: any[] = [];
    let settle: () => void = () => {};
    const done = new Promise<void>((resolve) => (settle = resolve));
    const h = createJobHandler({ files: files(), writes }, (m) => {
      posted.push(m);
      if (m.type !== FromWorkerType.Progress && m.type !== FromWorkerType.Log) settle();
    });
    return { h, posted, done };
  }

  it('posts every point with its run, then the labelled results', async () => {
    const { h, posted, done } = handler();
    h.handle({
      type: ToWorkerType.Compare,
      requestId: 7,
      source,
      settings,
      cells: [],
      models: ['/ws/plain.rnn.unroll.json', '/ws/clipped.rnn.unroll.json'],
      epochs: 2,
    });
    await done;
    assert.deepEqual(
      posted.filter((m) => m.type === FromWorkerType.Progress).map((m) => `${m.run}:${m.point.epoch}`),
      ['0:1', '0:2', '1:1', '1:2'],
    );
    const last = posted[posted.length - 1];
    assert.equal(last.type, FromWorkerType.CompareResult);
    assert.deepEqual(
      last.results.map((r: any) => [r.meta.label, r.training.epochs]),
      [
        ['plain.rnn.unroll.json', 2],
        ['clipped.rnn.unroll.json', 2],
      ],
    );
  });

  it('Cancel during the training stops the whole comparison: no more epochs, no results', async () => {
    const { h, posted, done } = handler();
    h.handle({ type: ToWorkerType.Compare, requestId: 8, source, settings, cells: ['rnn', 'lstm'], epochs: 1000 });
    while (!posted.some((m) => m.type === FromWorkerType.Progress)) await new Promise((r) => setImmediate(r));
    h.handle({ type: ToWorkerType.Cancel, requestId: 8 });
    await done;
    assert.equal(posted[posted.length - 1].type, FromWorkerType.Cancelled);
    assert.ok(posted.filter((m) => m.type === FromWorkerType.Progress).length < 10, 'stopped within a few epochs');
  });
});

describe("runAnalyze with the thread's AnalysisCache", () => {
  it('a re-analysis of unchanged weights reuses the network and ρ/σ_max; another cell gets its own', async () => {
    const cache = new AnalysisCache();
    const first = await runAnalyze(source, settings, files(), undefined, undefined, cache);
    const again = await runAnalyze(source, settings, files(), undefined, undefined, cache);
    assert.deepEqual(cache.made, { networks: 1, spectra: 1, spectraFromSource: 0 });
    assert.deepEqual(again.result.spectral, first.result.spectral);
    await runAnalyze(source, settings, files(), 'lstm', undefined, cache);
    assert.deepEqual(cache.made, { networks: 2, spectra: 2, spectraFromSource: 0 });
  });
});
