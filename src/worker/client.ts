// The extension's side of the worker: one request id per job, answers matched here and nowhere else.
// A newer analysis cancels a stale one; Stop ends a training within STOP_GRACE_MS, killing the thread if it must.
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
import type { WorkerTransport } from './transport';

/** How long a training gets to notice Cancel between batches before its thread is terminated. */
export const STOP_GRACE_MS = 50;
/** After it acknowledged Stop, how long a training gets to send the analysis of its weights. */
export const FINISH_GRACE_MS = 5000;

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

interface Pending {
  request: ToWorker;
  resolve(message: FromWorker): void;
  reject(error: Error): void;
  onProgress?(point: TrainPoint): void;
  /** Set by stopTraining: the worker acknowledged Stop. */
  onStopping?(): void;
  lastPoint?: TrainPoint;
}

export interface WorkerClientOptions {
  /** Starts a worker; called lazily, and again after a crash or a forced stop. */
  start(): WorkerTransport;
  log(level: 'trace' | 'debug' | 'info' | 'warn' | 'error', message: string): void;
}

export class WorkerClient {
  private transport: WorkerTransport | undefined;
  private nextRequestId = 1;
  private readonly pending = new Map<number, Pending>();
  /** The analysis (or comparison) whose answer the panel is waiting for; a newer one replaces it. */
  private currentView: number | undefined;
  private currentTrain: number | undefined;
  private disposed = false;

  constructor(private readonly options: WorkerClientOptions) {}

  get hasWorker(): boolean {
    return this.transport !== undefined;
  }

  get training(): boolean {
    return this.currentTrain !== undefined;
  }

  async analyze(source: AnalyzeSource, settings: EngineSettings, cell?: CellKind): Promise<ResultMessage> {
    this.cancelView();
    const requestId = this.nextRequestId++;
    this.currentView = requestId;
    const answer = await this.request({ type: ToWorkerType.Analyze, requestId, source, settings, cell });
    return answer as ResultMessage;
  }

  async compare(source: AnalyzeSource, settings: EngineSettings, cells: CellKind[]): Promise<CompareResultMessage> {
    this.cancelView();
    const requestId = this.nextRequestId++;
    this.currentView = requestId;
    const answer = await this.request({ type: ToWorkerType.Compare, requestId, source, settings, cells });
    return answer as CompareResultMessage;
  }

  /** One training at a time: starting another stops the first. */
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
      const answer = await this.request({ type: ToWorkerType.Train, requestId, source, settings, ...options }, onProgress);
      return answer as TrainDoneMessage;
    } finally {
      if (this.currentTrain === requestId) this.currentTrain = undefined;
    }
  }

  /**
   * Resolves once the training has ended: by itself, or by terminating its thread when it neither ended nor
   * acknowledged Stop within STOP_GRACE_MS (or, acknowledged, did not finish within FINISH_GRACE_MS).
   */
  async stopTraining(): Promise<void> {
    const requestId = this.currentTrain;
    const pending = requestId === undefined ? undefined : this.pending.get(requestId);
    if (requestId === undefined || !pending) return;
    this.post({ type: ToWorkerType.Cancel, requestId });
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
    if (outcome !== 'late' || !this.pending.has(requestId)) return;
    this.options.log('info', `training ${requestId} did not stop within ${STOP_GRACE_MS} ms (or finish within ${FINISH_GRACE_MS} ms of acknowledging); restarting the worker`);
    this.pending.delete(requestId);
    pending.resolve({ type: FromWorkerType.TrainDone, requestId, reason: 'cancelled', last: pending.lastPoint ?? null, nonFinite: null });
    this.restart();
  }

  /** Frees the worker; every open request ends with CancelledError. */
  dispose(): void {
    this.disposed = true;
    this.transport?.terminate();
    this.transport = undefined;
    for (const p of this.pending.values()) p.reject(new CancelledError());
    this.pending.clear();
    this.currentView = this.currentTrain = undefined;
  }

  private cancelView(): void {
    const stale = this.currentView;
    this.currentView = undefined;
    const pending = stale === undefined ? undefined : this.pending.get(stale);
    if (stale === undefined || !pending) return;
    this.pending.delete(stale);
    this.post({ type: ToWorkerType.Cancel, requestId: stale });
    pending.reject(new CancelledError());
  }

  private request(request: ToWorker, onProgress?: (point: TrainPoint) => void): Promise<FromWorker> {
    if (this.disposed) return Promise.reject(new CancelledError());
    return new Promise<FromWorker>((resolve, reject) => {
      this.pending.set(request.requestId, { request, resolve, reject, onProgress });
      this.post(request);
    });
  }

  private post(message: ToWorker): void {
    this.ensureTransport().postMessage(message);
  }

  private ensureTransport(): WorkerTransport {
    if (this.transport) return this.transport;
    const transport = this.options.start();
    transport.onMessage((message) => this.receive(message));
    transport.onExit((reason) => this.crashed(transport, reason));
    this.transport = transport;
    return transport;
  }

  /** Kills the thread and re-sends the requests it still owed to a fresh one. */
  private restart(): void {
    this.transport?.terminate();
    this.transport = undefined;
    for (const p of this.pending.values()) this.post(p.request);
  }

  private crashed(transport: WorkerTransport, reason: string): void {
    if (transport !== this.transport) return;
    this.options.log('error', reason);
    this.transport = undefined;
    for (const p of this.pending.values()) p.reject(new Error(reason));
    this.pending.clear();
    this.currentView = this.currentTrain = undefined;
  }

  private receive(message: FromWorker): void {
    if (message.type === FromWorkerType.Log) return this.options.log(message.level, message.message);
    const pending = this.pending.get(message.requestId);
    if (!pending) return; // an answer to a request already cancelled or stopped
    switch (message.type) {
      case FromWorkerType.Progress:
        pending.lastPoint = message.point;
        pending.onProgress?.(message.point);
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
        if (this.currentView === message.requestId) this.currentView = undefined;
        return pending.resolve(message);
    }
  }
}
