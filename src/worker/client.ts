// The extension's side of the worker: one request id per job, answers matched here and nowhere else.
// Two threads with independent lifetimes, one for the view's analyses and comparisons and one for a training: ending
// either thread (stuck, crashed, out of memory) leaves the other's work alone.
// A newer analysis (or Stop) cancels a stale one; a thread that does not answer Cancel within CANCEL_GRACE_MS is
// terminated and the newer request goes to a fresh one. Stop ends a training within STOP_GRACE_MS, killing the
// thread if it must.
// A training that acknowledges Stop in time gets FINISH_GRACE_MS more to analyze the weights it reached.
import {
  FromWorkerType,
  ToWorkerType,
  type AnalyzeSource,
  type CompareResultMessage,
  type EngineSettings,
  type FromWorker,
  type Problem,
  type ResultMessage,
  type ToWorker,
  type TrainDoneMessage,
} from '../protocol/messages';
import type { CellKind, TrainPoint } from '../protocol/result';
import type { WorkerExit, WorkerTransport } from './transport';

/** How long a training gets to notice Cancel between batches before its thread is terminated. */
export const STOP_GRACE_MS = 50;
/** After it acknowledged Stop, how long a training gets to send the analysis of its weights. */
export const FINISH_GRACE_MS = 5000;
/**
 * How long a superseded analysis gets to answer Cancel before its thread is terminated. An analysis is one
 * synchronous computation: it notices Cancel only when done, so a short one finishes in this time and a long one
 * would make the newer request wait behind it.
 */
export const CANCEL_GRACE_MS = 200;

/** The request was superseded or stopped; not an error to show. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}

/** The worker answered with problems: in the user's files, or (internal) in Unroll. */
export class JobError extends Error {
  constructor(
    readonly problems: Problem[],
    readonly internal: boolean,
  ) {
    super(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`).join('\n'));
  }
}

/** The worker thread died under this request (out of memory, crash); the message is for the user, the log has the details. */
export class WorkerFailedError extends Error {}

type JobRequest = Exclude<ToWorker, { type: ToWorkerType.Cancel }>;

function doing(request: JobRequest): string {
  const verb =
    request.type === ToWorkerType.Train
      ? 'training'
      : request.type === ToWorkerType.Compare
        ? 'comparing cells on'
        : 'analyzing';
  return `${verb} ${request.source.path}`;
}

function failureMessage(request: JobRequest, exit: WorkerExit): string {
  if (exit.outOfMemory) {
    return (
      `Unroll's worker ran out of memory (limit ${exit.memoryLimitMB} MB) while ${doing(request)}; ` +
      'a smaller window, hidden size, vocabulary or flow budget needs less memory, or raise the limit (unroll.maxMemoryMB). The next run starts a fresh worker.'
    );
  }
  return `Unroll's worker stopped unexpectedly while ${doing(request)}; the next run starts a fresh worker. The Unroll log has the details.`;
}

interface Pending {
  request: JobRequest;
  resolve(message: FromWorker): void;
  reject(error: Error): void;
  /** `run`: which run of a training compare the point belongs to. */
  onProgress?(point: TrainPoint, run?: number): void;
  /** Set by stopTraining: the worker acknowledged Stop. */
  onStopping?(): void;
  lastPoint?: TrainPoint;
}

export interface WorkerClientOptions {
  /** Starts a worker thread; called lazily per lane, and again after a crash or a forced stop. */
  start(): WorkerTransport;
  log(level: 'trace' | 'debug' | 'info' | 'warn' | 'error', message: string): void;
}

/** One worker thread and the answers it owes; started by the first request, started afresh after a crash or a kill. */
class Lane {
  private transport: WorkerTransport | undefined;
  readonly pending = new Map<number, Pending>();
  /** Superseded requests the thread has not answered yet, each with the timer that terminates the thread if it never does. */
  private readonly unanswered = new Map<number, NodeJS.Timeout>();

  constructor(
    private readonly name: string,
    private readonly options: WorkerClientOptions,
  ) {}

  get alive(): boolean {
    return this.transport !== undefined;
  }

  request(request: JobRequest, onProgress?: (point: TrainPoint, run?: number) => void): Promise<FromWorker> {
    return new Promise<FromWorker>((resolve, reject) => {
      this.pending.set(request.requestId, { request, resolve, reject, onProgress });
      this.post(request);
    });
  }

  cancel(requestId: number): void {
    this.post({ type: ToWorkerType.Cancel, requestId });
  }

  /** Ends a request for its caller now (CancelledError); the thread has `graceMs` to answer Cancel before it is replaced. */
  supersede(requestId: number, graceMs: number): void {
    const pending = this.pending.get(requestId);
    if (!pending) return;
    this.pending.delete(requestId);
    this.cancel(requestId);
    pending.reject(new CancelledError());
    const timer = setTimeout(() => {
      this.unanswered.delete(requestId);
      this.options.log(
        'info',
        `${this.name} request ${requestId} did not answer Cancel within ${graceMs} ms; restarting the ${this.name} worker`,
      );
      this.restart();
    }, graceMs);
    this.unanswered.set(requestId, timer);
  }

  /** Terminates the thread and re-sends the requests it still owed to a fresh one. */
  restart(): void {
    this.stopThread();
    for (const p of this.pending.values()) this.post(p.request);
  }

  /** Terminates the thread if it owes nothing: an idle thread would only hold memory. */
  release(): void {
    if (this.pending.size === 0) this.stopThread();
  }

  /** Terminates the thread; every open request ends with CancelledError. */
  dispose(): void {
    this.stopThread();
    for (const p of this.pending.values()) p.reject(new CancelledError());
    this.pending.clear();
  }

  /** Ends the thread as a crash would (see WorkerTransport.kill); false when there was none. */
  kill(): boolean {
    this.transport?.kill();
    return this.transport !== undefined;
  }

  private stopThread(): void {
    this.transport?.terminate();
    this.transport = undefined;
    this.forgetUnanswered();
  }

  private forgetUnanswered(): void {
    for (const timer of this.unanswered.values()) clearTimeout(timer);
    this.unanswered.clear();
  }

  private post(message: ToWorker): void {
    this.ensureTransport().postMessage(message);
  }

  private ensureTransport(): WorkerTransport {
    if (this.transport) return this.transport;
    const transport = this.options.start();
    transport.onMessage((message) => this.receive(message));
    transport.onExit((exit) => this.crashed(transport, exit));
    this.transport = transport;
    return transport;
  }

  private crashed(transport: WorkerTransport, exit: WorkerExit): void {
    if (transport !== this.transport) return;
    this.transport = undefined;
    this.forgetUnanswered();
    const lost = [...this.pending.values()].map((p) => doing(p.request));
    this.options.log(
      'error',
      `the ${this.name} worker ${exit.outOfMemory ? `ran out of memory (limit ${exit.memoryLimitMB} MB)` : 'crashed'}${lost.length ? ` while ${lost.join(', ')}` : ''}: ${exit.detail}`,
    );
    for (const p of this.pending.values()) p.reject(new WorkerFailedError(failureMessage(p.request, exit)));
    this.pending.clear();
  }

  private receive(message: FromWorker): void {
    if (message.type === FromWorkerType.Log) return this.options.log(message.level, message.message);
    const late = this.unanswered.get(message.requestId);
    if (late !== undefined && message.type !== FromWorkerType.Progress && message.type !== FromWorkerType.Stopping) {
      clearTimeout(late); // the superseded request ended in time: the thread is free for the newer one
      this.unanswered.delete(message.requestId);
    }
    const pending = this.pending.get(message.requestId);
    if (!pending) return; // an answer to a request already cancelled or stopped
    switch (message.type) {
      case FromWorkerType.Progress:
        pending.lastPoint = message.point;
        pending.onProgress?.(message.point, message.run);
        return;
      case FromWorkerType.Stopping:
        pending.onStopping?.();
        return;
      case FromWorkerType.Cancelled:
        this.pending.delete(message.requestId);
        return pending.reject(new CancelledError());
      case FromWorkerType.Error:
        this.pending.delete(message.requestId);
        return pending.reject(new JobError(message.problems, message.internal));
      default:
        this.pending.delete(message.requestId);
        return pending.resolve(message);
    }
  }
}

export class WorkerClient {
  private readonly view: Lane;
  private readonly trainer: Lane;
  private nextRequestId = 1;
  /** The analysis (or comparison) whose answer the panel is waiting for; a newer one replaces it. */
  private currentView: number | undefined;
  private currentTrain: number | undefined;
  private disposed = false;

  constructor(private readonly options: WorkerClientOptions) {
    this.view = new Lane('view', options);
    this.trainer = new Lane('training', options);
  }

  get hasWorker(): boolean {
    return this.view.alive || this.trainer.alive;
  }

  get training(): boolean {
    return this.currentTrain !== undefined;
  }

  async analyze(source: AnalyzeSource, settings: EngineSettings, cell?: CellKind): Promise<ResultMessage> {
    const requestId = this.supersedeView();
    const answer = await this.request(this.view, { type: ToWorkerType.Analyze, requestId, source, settings, cell });
    return answer as ResultMessage;
  }

  /**
   * Runs side by side on the view's thread (a newer analysis or Stop cancels it): one per cell, or one per model file
   * (`models`); with `epochs` each run trains first and `onProgress` follows every run's epochs.
   */
  async compare(
    source: AnalyzeSource,
    settings: EngineSettings,
    cells: CellKind[],
    options: { models?: string[]; epochs?: number } = {},
    onProgress?: (run: number, point: TrainPoint) => void,
  ): Promise<CompareResultMessage> {
    const requestId = this.supersedeView();
    const request: JobRequest = {
      type: ToWorkerType.Compare,
      requestId,
      source,
      settings,
      cells,
      ...(options.models ? { models: options.models } : {}),
      ...(options.epochs ? { epochs: options.epochs } : {}),
    };
    const answer = await this.request(this.view, request, onProgress && ((point, run) => onProgress(run ?? 0, point)));
    return answer as CompareResultMessage;
  }

  /** One training at a time: starting another stops the first. Its thread ends with it. */
  async train(
    source: AnalyzeSource,
    settings: EngineSettings,
    options: { saveTo?: string; epochs?: number },
    onProgress: (point: TrainPoint) => void,
  ): Promise<TrainDoneMessage> {
    if (this.currentTrain !== undefined) await this.stopTraining();
    const requestId = this.nextRequestId++;
    this.currentTrain = requestId;
    try {
      const answer = await this.request(
        this.trainer,
        { type: ToWorkerType.Train, requestId, source, settings, ...options },
        onProgress,
      );
      return answer as TrainDoneMessage;
    } finally {
      if (this.currentTrain === requestId) this.currentTrain = undefined;
      this.trainer.release();
    }
  }

  /**
   * Resolves once the training has ended: by itself, or by terminating its thread when it neither ended nor
   * acknowledged Stop within STOP_GRACE_MS (or, acknowledged, did not finish within FINISH_GRACE_MS).
   */
  async stopTraining(): Promise<void> {
    const requestId = this.currentTrain;
    const pending = requestId === undefined ? undefined : this.trainer.pending.get(requestId);
    if (requestId === undefined || !pending) return;
    this.trainer.cancel(requestId);
    const ended = new Promise<void>((resolve) => {
      const { resolve: settle, reject } = pending;
      pending.resolve = (m) => (settle(m), resolve());
      pending.reject = (e) => (reject(e), resolve());
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), STOP_GRACE_MS);
      pending.onStopping = () => {
        clearTimeout(timer);
        timer = setTimeout(() => resolve('late'), FINISH_GRACE_MS);
      };
    });
    const outcome = await Promise.race([ended, late]);
    clearTimeout(timer);
    if (outcome !== 'late' || !this.trainer.pending.has(requestId)) return;
    this.options.log(
      'info',
      `training ${requestId} did not stop within ${STOP_GRACE_MS} ms (or finish within ${FINISH_GRACE_MS} ms of acknowledging); restarting the worker`,
    );
    this.trainer.pending.delete(requestId);
    pending.resolve({
      type: FromWorkerType.TrainDone,
      requestId,
      reason: 'cancelled',
      last: pending.lastPoint ?? null,
      nonFinite: null,
    });
    this.trainer.restart();
  }

  /** Stop for the view: the running analysis or comparison ends as CancelledError, its thread replaced if stuck. False if none ran. */
  stopView(): boolean {
    const running = this.currentView;
    this.currentView = undefined;
    if (running === undefined || !this.view.pending.has(running)) return false;
    this.view.supersede(running, CANCEL_GRACE_MS);
    return true;
  }

  /** Ends the view's thread as a crash would, without telling this client first (the soak test's crash). */
  killViewWorker(): boolean {
    return this.view.kill();
  }

  /** Frees both threads; every open request ends with CancelledError. */
  dispose(): void {
    this.disposed = true;
    this.view.dispose();
    this.trainer.dispose();
    this.currentView = this.currentTrain = undefined;
  }

  /** A new view request id; the one the panel was waiting for is stopped. */
  private supersedeView(): number {
    this.stopView();
    this.currentView = this.nextRequestId++;
    return this.currentView;
  }

  private request(
    lane: Lane,
    request: JobRequest,
    onProgress?: (point: TrainPoint, run?: number) => void,
  ): Promise<FromWorker> {
    if (this.disposed) return Promise.reject(new CancelledError());
    return lane.request(request, onProgress);
  }
}
