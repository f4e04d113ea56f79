// The worker's lifecycle with real threads (dist/worker.js): a job too large for the worker's memory limit, an
// analysis stuck in synchronous work that a newer one supersedes, a training beside both, and Stop.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AnalyzeSource, EngineSettings } from '../../src/protocol/messages';
import {
  CANCEL_GRACE_MS,
  CancelledError,
  STOP_GRACE_MS,
  WorkerClient,
  WorkerFailedError,
} from '../../src/worker/client';
import { liveThreadWorkers, startThreadWorker } from '../../src/worker/transport';
import { EXAMPLES, useTempDir } from './helpers';

const ROOT = path.resolve(__dirname, '../..');
const WORKER = path.join(ROOT, 'dist/worker.js');
// The work limit is lifted: these tests are about the thread's heap limit and stuck work, which the cost check would
// otherwise refuse before they start.
const settings: EngineSettings = { maxSteps: 512, flowBudget: 1, defaultCell: 'rnn', maxMemoryMB: 2048, maxWork: 1e6 };
const sine: AnalyzeSource = { path: path.join(EXAMPLES, 'sine.rnn.unroll.json'), workspaceRoot: EXAMPLES };

/** A client on real threads that counts the threads it started. */
function threadClient(memoryLimitMB?: number) {
  const logs: string[] = [];
  let starts = 0;
  const client = new WorkerClient({
    start: () => (starts++, startThreadWorker(WORKER, memoryLimitMB)),
    log: (_level, message) => logs.push(message),
  });
  return { client, logs, starts: () => starts };
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

/**
 * An analysis that computes for many seconds in one synchronous stretch (17-28 s here, by load): an LSTM with 384
 * units over 1000 steps, with a flow budget of 40 forward + backward passes.
 */
function slowAnalysis(dir: string): { source: AnalyzeSource; settings: EngineSettings } {
  const rows = ['x', ...Array.from({ length: 1200 }, (_, t) => Math.sin(t / 7).toFixed(5))];
  writeFileSync(path.join(dir, 'long.csv'), rows.join('\n') + '\n');
  const model = { data: './long.csv', task: 'next-step', cell: 'lstm', hidden: 384, window: 1000 };
  writeFileSync(path.join(dir, 'slow.unroll.json'), JSON.stringify(model));
  return {
    source: { path: path.join(dir, 'slow.unroll.json'), workspaceRoot: dir },
    settings: { ...settings, flowBudget: 40 },
  };
}

describe('worker lifecycle (real threads)', function () {
  this.timeout(60_000);
  const tempDir = useTempDir();

  // The threads run dist/worker.js: build it from this checkout so it is the code under test.
  before(() => execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT }));
  afterEach(() => waitFor('every worker thread to exit', () => liveThreadWorkers() === 0));

  it('a job over the memory limit ends its worker with a clear message; the next request gets a fresh worker', async () => {
    // Weights as JSON for an RNN with 2048 units: about 30 MB of text, parsed into far more than a 64 MB heap.
    const H = 2048;
    const dir = tempDir();
    const row = `[${Array.from({ length: H }, (_, i) => ((i % 17) / 1000 - 0.008).toFixed(4)).join(',')}]`;
    const column = `[${Array(H).fill('[0.01]').join(',')}]`;
    const zeros = `[${Array(H).fill('0').join(',')}]`;
    writeFileSync(
      path.join(dir, 'big.weights.json'),
      `{"rnn.weight_ih_l0":${column},"rnn.weight_hh_l0":[${Array(H).fill(row).join(',')}],"rnn.bias_ih_l0":${zeros},"rnn.bias_hh_l0":${zeros},"fc.weight":[${row}],"fc.bias":[0]}`,
    );
    writeFileSync(
      path.join(dir, 'steps.csv'),
      ['x', ...Array.from({ length: 50 }, (_, t) => String(t % 5))].join('\n') + '\n',
    );
    const model = { data: './steps.csv', task: 'next-step', cell: 'rnn', hidden: H, weights: './big.weights.json' };
    writeFileSync(path.join(dir, 'big.unroll.json'), JSON.stringify(model));
    const { client, logs, starts } = threadClient(64);
    try {
      const error = await client
        .analyze({ path: path.join(dir, 'big.unroll.json'), workspaceRoot: dir }, settings)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      assert.ok(error instanceof WorkerFailedError, `expected the worker to run out of memory, got ${String(error)}`);
      assert.match(
        error.message,
        /^Unroll's worker ran out of memory \(limit 64 MB\) while analyzing .*big\.unroll\.json; a smaller window/,
      );
      assert.match(logs.join('\n'), /view worker ran out of memory \(limit 64 MB\) while analyzing .*: .*heap/i);
      const next = await client.analyze(sine, settings);
      assert.ok(Number.isFinite(next.result.loss));
      assert.equal(starts(), 2, 'the next request ran on a fresh worker');
      assert.equal(liveThreadWorkers(), 1, 'the dead worker is gone');
    } finally {
      client.dispose();
    }
  });

  it('a newer analysis does not wait behind a stuck one: its thread is replaced after the grace period', async () => {
    const slow = slowAnalysis(tempDir());
    await sleep(1); // mocha's own timeout timer is armed once the test has returned its promise
    const timersBefore = timers();
    const { client, logs, starts } = threadClient();
    try {
      const stale = client.analyze(slow.source, slow.settings).catch((e: unknown) => e);
      await sleep(1000); // well into its synchronous computation
      const started = performance.now();
      const fresh = await client.analyze(sine, settings);
      const answeredMs = performance.now() - started;
      assert.ok((await stale) instanceof CancelledError);
      assert.ok(Number.isFinite(fresh.result.loss));
      // The stuck analysis needs many seconds more; the newer one needs the grace, a thread's start (about a second
      // on a loaded machine) and its own time.
      assert.ok(answeredMs < CANCEL_GRACE_MS + 4000, `the newer analysis answered after ${answeredMs.toFixed(0)} ms`);
      assert.equal(starts(), 2);
      assert.match(logs.join('\n'), new RegExp(`did not answer Cancel within ${CANCEL_GRACE_MS} ms`));
      await waitFor('the stuck thread to exit', () => liveThreadWorkers() === 1);
      assert.equal(timers(), timersBefore, 'a grace timer outlived its request');
    } finally {
      client.dispose();
    }
  });

  it('Stop ends a stuck analysis within the grace period and frees its thread', async () => {
    const slow = slowAnalysis(tempDir());
    const { client } = threadClient();
    try {
      const running = client.analyze(slow.source, slow.settings).catch((e: unknown) => e);
      await sleep(1000); // well into its synchronous computation
      const stopping = performance.now();
      assert.equal(client.stopView(), true);
      assert.ok((await running) instanceof CancelledError);
      await waitFor('the stuck thread to exit', () => liveThreadWorkers() === 0);
      const freedMs = performance.now() - stopping;
      assert.ok(freedMs < CANCEL_GRACE_MS + 4000, `the thread was freed after ${freedMs.toFixed(0)} ms`);
    } finally {
      client.dispose();
    }
  });

  it('a training goes on while a stuck analysis is replaced, and Stop ends it', async () => {
    const slow = slowAnalysis(tempDir());
    const { client } = threadClient();
    try {
      let points = 0;
      const training = client.train(sine, settings, { epochs: 1_000_000 }, () => points++);
      await waitFor('the training to report progress', () => points > 0);
      const stale = client.analyze(slow.source, slow.settings).catch((e: unknown) => e);
      await sleep(300); // the analysis is computing now (it computes for 17–28 s in one synchronous stretch)
      const before = points;
      // Polled, with a deadline well inside the analysis's time: a shared thread would make no progress at all.
      await waitFor(
        'the training to make progress while an analysis computes (they must not share a thread)',
        () => points > before,
        10_000,
      );
      await client.analyze(sine, settings);
      assert.ok((await stale) instanceof CancelledError);
      assert.equal(client.training, true, 'replacing the analysis thread must not end the training');
      const stopping = performance.now();
      await client.stopTraining();
      const done = await training;
      const stopMs = performance.now() - stopping;
      assert.equal(done.reason, 'cancelled');
      assert.ok(done.last && done.last.epoch > 0);
      assert.equal(client.training, false);
      assert.ok(stopMs < STOP_GRACE_MS + 5000, `Stop took ${stopMs.toFixed(0)} ms`);
    } finally {
      client.dispose();
    }
  });
});
