// The worker client's bookkeeping, against a scripted transport: matching, stale cancellation, Stop, crashes.
import assert from 'node:assert/strict';
import { FromWorkerType, ToWorkerType, type FromWorker, type ToWorker } from '../../src/protocol/messages';
import type { AnalysisResult, TrainPoint } from '../../src/protocol/result';
import {
  CANCEL_GRACE_MS,
  CancelledError,
  FINISH_GRACE_MS,
  JobError,
  STOP_GRACE_MS,
  WorkerClient,
  WorkerFailedError,
} from '../../src/worker/client';
import type { WorkerExit, WorkerTransport } from '../../src/worker/transport';
import { FakeClock } from './fakeClock';

class ScriptedWorker implements WorkerTransport {
  readonly received: ToWorker[] = [];
  terminated = false;
  private listener: (m: FromWorker) => void = () => {};
  private exitListener: (exit: WorkerExit) => void = () => {};
  postMessage(message: ToWorker) {
    this.received.push(message);
  }
  onMessage(listener: (m: FromWorker) => void) {
    this.listener = listener;
  }
  onExit(listener: (exit: WorkerExit) => void) {
    this.exitListener = listener;
  }
  terminate() {
    this.terminated = true;
  }
  kill() {
    this.die({ outOfMemory: false, memoryLimitMB: 2048, detail: 'killed' });
  }
  reply(message: FromWorker) {
    this.listener(message);
  }
  die(exit: WorkerExit) {
    this.exitListener(exit);
  }
}

const source = { path: '/ws/a.csv', workspaceRoot: '/ws' };
const settings = { maxSteps: 512, flowBudget: 200000, defaultCell: 'rnn' as const, maxMemoryMB: 2048, maxWork: 30 };
const fakeResult = { loss: 1 } as unknown as AnalysisResult;
const point = (epoch: number): TrainPoint => ({
  epoch,
  epochs: 9,
  loss: 1 / epoch,
  heldOutLoss: null,
  gradNorm: 1,
  gradNormMax: 1,
  clipped: 0,
  batches: 1,
  radius: 0.9,
  sigmaMax: 1,
  elapsedMs: 1,
});

function setup() {
  const workers: ScriptedWorker[] = [];
  const logs: string[] = [];
  const client = new WorkerClient({
    start: () => {
      const w = new ScriptedWorker();
      workers.push(w);
      return w;
    },
    log: (_level, message) => logs.push(message),
  });
  return { client, workers, logs };
}

describe('WorkerClient', () => {
  // The grace periods run on a fake clock: each is checked on both sides of its boundary, with no sleep.
  let clock: FakeClock;
  beforeEach(() => {
    clock = new FakeClock();
    clock.install();
  });
  afterEach(() => clock.uninstall());

  it('starts no worker until the first request, then matches the answer by request id', async () => {
    const { client, workers } = setup();
    assert.equal(client.hasWorker, false);
    const answer = client.analyze(source, settings);
    assert.equal(workers.length, 1);
    const request = workers[0].received[0];
    assert.equal(request.type, ToWorkerType.Analyze);
    workers[0].reply({
      type: FromWorkerType.Result,
      requestId: request.requestId + 100,
      result: fakeResult,
      files: [],
      warnings: [],
    });
    workers[0].reply({
      type: FromWorkerType.Result,
      requestId: request.requestId,
      result: fakeResult,
      files: ['/ws/a.csv'],
      warnings: [],
    });
    const message = await answer;
    assert.deepEqual(message.files, ['/ws/a.csv']);
  });

  it('a newer analysis cancels the stale one, in the worker and for its caller', async () => {
    const { client, workers } = setup();
    const stale = client.analyze(source, settings);
    const fresh = client.analyze(source, settings, 'lstm');
    await assert.rejects(stale, CancelledError);
    const [first, cancel, second] = workers[0].received;
    assert.deepEqual(cancel, { type: ToWorkerType.Cancel, requestId: first.requestId });
    assert.equal(second.type === ToWorkerType.Analyze && second.cell, 'lstm');
    // The stale answer arriving late is ignored.
    workers[0].reply({
      type: FromWorkerType.Result,
      requestId: first.requestId,
      result: fakeResult,
      files: ['stale'],
      warnings: [],
    });
    workers[0].reply({
      type: FromWorkerType.Result,
      requestId: second.requestId,
      result: fakeResult,
      files: ['fresh'],
      warnings: [],
    });
    assert.deepEqual((await fresh).files, ['fresh']);
  });

  it('a training compare sends its models and epochs and streams each point with its run', async () => {
    const { client, workers } = setup();
    const seen: string[] = [];
    const answer = client.compare(
      source,
      settings,
      [],
      { models: ['/ws/a.unroll.json', '/ws/b.unroll.json'], epochs: 2 },
      (run, p) => seen.push(`${run}:${p.epoch}`),
    );
    const request = workers[0].received[0];
    assert.ok(request.type === ToWorkerType.Compare);
    assert.deepEqual([request.models, request.epochs], [['/ws/a.unroll.json', '/ws/b.unroll.json'], 2]);
    for (const [run, epoch] of [
      [0, 1],
      [0, 2],
      [1, 1],
      [1, 2],
    ])
      workers[0].reply({ type: FromWorkerType.Progress, requestId: request.requestId, point: point(epoch), run });
    workers[0].reply({
      type: FromWorkerType.CompareResult,
      requestId: request.requestId,
      results: [fakeResult, fakeResult],
      files: [],
    });
    assert.equal((await answer).results.length, 2);
    assert.deepEqual(seen, ['0:1', '0:2', '1:1', '1:2']);
  });

  it('turns problems into a JobError that keeps them', async () => {
    const { client, workers } = setup();
    const answer = client.analyze(source, settings);
    const problem = {
      file: '/ws/m.unroll.json',
      line: 3,
      column: 5,
      message: 'hidden must be a positive integer',
      severity: 'error' as const,
    };
    workers[0].reply({
      type: FromWorkerType.Error,
      requestId: workers[0].received[0].requestId,
      problems: [problem],
      internal: false,
    });
    const error = await answer.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof JobError);
    assert.deepEqual(error.problems, [problem]);
    assert.equal(error.internal, false);
    assert.match(error.message, /m\.unroll\.json:3:5: hidden/);
  });

  it('streams training progress, and a training that honours Cancel ends without a restart', async () => {
    const { client, workers, logs } = setup();
    const seen: number[] = [];
    const done = client.train(source, settings, { epochs: 9 }, (p) => seen.push(p.epoch));
    const id = workers[0].received[0].requestId;
    workers[0].reply({ type: FromWorkerType.Progress, requestId: id, point: point(1) });
    workers[0].reply({ type: FromWorkerType.Progress, requestId: id, point: point(2) });
    assert.equal(client.training, true);
    const stopped = client.stopTraining();
    assert.deepEqual(workers[0].received[1], { type: ToWorkerType.Cancel, requestId: id });
    workers[0].reply({
      type: FromWorkerType.TrainDone,
      requestId: id,
      reason: 'cancelled',
      last: point(2),
      nonFinite: null,
    });
    await stopped;
    assert.equal((await done).reason, 'cancelled');
    assert.deepEqual(seen, [1, 2]);
    assert.equal(workers.length, 1);
    assert.doesNotMatch(logs.join('\n'), /restarting/);
    assert.equal(client.training, false);
    assert.equal(workers[0].terminated, true, 'a training thread ends with its training');
  });

  it('a training that acknowledges Stop in time may finish analyzing its weights past the first grace period', async () => {
    const { client, workers } = setup();
    const done = client.train(source, settings, {}, () => {});
    const id = workers[0].received[0].requestId;
    const stopped = client.stopTraining();
    workers[0].reply({ type: FromWorkerType.Stopping, requestId: id });
    await clock.advance(FINISH_GRACE_MS - 1);
    assert.equal(workers[0].terminated, false, 'an acknowledged Stop must not kill the thread after STOP_GRACE_MS');
    workers[0].reply({
      type: FromWorkerType.TrainDone,
      requestId: id,
      reason: 'cancelled',
      last: point(3),
      nonFinite: null,
      result: fakeResult,
    });
    await stopped;
    const outcome = await done;
    assert.equal(outcome.result, fakeResult);
    assert.equal(workers.length, 1);
  });

  it('a training deaf to Cancel is ended by terminating its thread; the view thread and its analysis are untouched', async () => {
    const { client, workers, logs } = setup();
    const done = client.train(source, settings, {}, () => {});
    const trainId = workers[0].received[0].requestId;
    workers[0].reply({ type: FromWorkerType.Progress, requestId: trainId, point: point(4) });
    const analysis = client.analyze(source, settings);
    assert.equal(workers.length, 2, 'analyses run on their own thread');
    const analyzeId = workers[1].received[0].requestId;
    const stopping = client.stopTraining();
    await clock.advance(STOP_GRACE_MS - 1);
    assert.equal(workers[0].terminated, false, 'terminated before its grace ran out');
    await clock.advance(1);
    await stopping;
    assert.equal(workers[0].terminated, true);
    const outcome = await done;
    assert.equal(outcome.reason, 'cancelled');
    assert.equal(outcome.last?.epoch, 4);
    assert.match(logs.join('\n'), new RegExp(`within ${STOP_GRACE_MS} ms`));
    assert.equal(workers[1].terminated, false);
    assert.equal(workers.length, 2, 'no thread started for the analysis again');
    workers[1].reply({
      type: FromWorkerType.Result,
      requestId: analyzeId,
      result: fakeResult,
      files: [],
      warnings: [],
    });
    assert.equal((await analysis).result, fakeResult);
  });

  it('a superseded analysis that answers Cancel within the grace keeps its thread', async () => {
    const { client, workers } = setup();
    const stale = client.analyze(source, settings);
    const fresh = client.analyze(source, settings);
    await assert.rejects(stale, CancelledError);
    const [first, , second] = workers[0].received;
    await clock.advance(CANCEL_GRACE_MS - 1);
    workers[0].reply({ type: FromWorkerType.Cancelled, requestId: first.requestId });
    await clock.advance(CANCEL_GRACE_MS * 10);
    assert.equal(workers[0].terminated, false);
    assert.equal(clock.pending, 0, 'the grace timer is cleared by the answer');
    assert.equal(workers.length, 1);
    workers[0].reply({
      type: FromWorkerType.Result,
      requestId: second.requestId,
      result: fakeResult,
      files: [],
      warnings: [],
    });
    assert.equal((await fresh).result, fakeResult);
  });

  it('a superseded analysis stuck past the grace loses its thread; the newer one goes to a fresh thread', async () => {
    const { client, workers, logs } = setup();
    const training = client.train(source, settings, {}, () => {});
    const stale = client.analyze(source, settings);
    const fresh = client.analyze(source, settings, 'gru');
    await assert.rejects(stale, CancelledError);
    await clock.advance(CANCEL_GRACE_MS - 1);
    assert.equal(workers[1].terminated, false, 'replaced before its grace ran out');
    assert.equal(workers.length, 2);
    await clock.advance(1);
    const [trainThread, staleThread, freshThread] = workers;
    assert.equal(staleThread.terminated, true);
    assert.equal(trainThread.terminated, false, 'the training has a thread of its own');
    assert.match(logs.join('\n'), new RegExp(`within ${CANCEL_GRACE_MS} ms`));
    const resent = freshThread.received[0];
    assert.equal(resent.type === ToWorkerType.Analyze && resent.cell, 'gru');
    freshThread.reply({
      type: FromWorkerType.Result,
      requestId: resent.requestId,
      result: fakeResult,
      files: [],
      warnings: [],
    });
    assert.equal((await fresh).result, fakeResult);
    client.dispose();
    await assert.rejects(training, CancelledError);
  });

  it('Stop for the view ends the running analysis at once and replaces its thread if it does not answer', async () => {
    const { client, workers } = setup();
    assert.equal(client.stopView(), false, 'nothing to stop');
    const running = client.analyze(source, settings);
    assert.equal(client.stopView(), true);
    await assert.rejects(running, CancelledError);
    assert.deepEqual(workers[0].received[1], {
      type: ToWorkerType.Cancel,
      requestId: workers[0].received[0].requestId,
    });
    await clock.advance(CANCEL_GRACE_MS - 1);
    assert.equal(workers[0].terminated, false, 'terminated before its grace ran out');
    await clock.advance(1);
    assert.equal(workers[0].terminated, true);
    assert.equal(client.hasWorker, false, 'no thread is started for nothing');
  });

  it('a crashed worker fails its requests with a clear message, and the next request starts a new one', async () => {
    const { client, workers, logs } = setup();
    const answer = client.analyze(source, settings);
    workers[0].die({ outOfMemory: false, memoryLimitMB: 2048, detail: 'exit code 134' });
    const error = await answer.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof WorkerFailedError);
    assert.match(
      error.message,
      /stopped unexpectedly while analyzing \/ws\/a\.csv; the next run starts a fresh worker/,
    );
    assert.match(logs.join('\n'), /view worker crashed while analyzing \/ws\/a\.csv: exit code 134/);
    assert.equal(client.hasWorker, false);
    void client.analyze(source, settings).catch(() => {});
    assert.equal(workers.length, 2);
  });

  it('a worker out of memory names the limit, the file and what to do; a training on the other thread goes on', async () => {
    const { client, workers } = setup();
    const training = client.train(source, settings, {}, () => {});
    const answer = client.analyze({ ...source, path: '/ws/big.unroll.json' }, settings);
    workers[1].die({
      outOfMemory: true,
      memoryLimitMB: 64,
      detail: 'Worker terminated due to reaching memory limit: JS heap out of memory',
    });
    const error = await answer.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof WorkerFailedError);
    assert.match(
      error.message,
      /ran out of memory \(limit 64 MB\) while analyzing \/ws\/big\.unroll\.json; a smaller window/,
    );
    assert.equal(client.training, true);
    const trainId = workers[0].received[0].requestId;
    workers[0].reply({
      type: FromWorkerType.TrainDone,
      requestId: trainId,
      reason: 'finished',
      last: point(9),
      nonFinite: null,
    });
    assert.equal((await training).reason, 'finished');
  });

  it('dispose terminates the worker and cancels what was open; later requests are refused', async () => {
    const { client, workers } = setup();
    const answer = client.analyze(source, settings);
    client.dispose();
    assert.equal(workers[0].terminated, true);
    assert.equal(client.hasWorker, false);
    await assert.rejects(answer, CancelledError);
    await assert.rejects(client.analyze(source, settings), CancelledError);
    assert.equal(workers.length, 1);
  });
});
