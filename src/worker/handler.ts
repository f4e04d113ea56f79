// The worker's logic, free of any transport: requests in, answers out. The thread entry (main.ts) wraps it, and
// unit tests drive it directly, so tests exercise what ships.
import {
  FromWorkerType,
  ToWorkerType,
  type AnalyzeRequest,
  type CompareRequest,
  type FromWorker,
  type Problem,
  type ToWorker,
  type TrainRequest,
} from '../protocol/messages';
import type { FileSeam, WriteSeam } from '../data/files';
import { AnalysisCache } from '../engine';
import type { SpectralThread } from './spectralThread';
import { runAnalyze, runCompare, runTrain } from './jobs';
import { collectTransferables } from './transfer';

export interface WorkerIo {
  files: FileSeam;
  writes: WriteSeam;
}

export type Post = (message: FromWorker, transfer?: ArrayBuffer[]) => void;

export interface JobHandler {
  handle(message: ToWorker): void;
}

/** A macrotask break: lets Cancel messages queued behind a request reach the handler before it starts. */
const nextMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The data layer's InputError carries the user-facing problems; anything else is our fault. */
function userProblems(error: unknown): Problem[] | undefined {
  const problems = (error as { problems?: unknown } | null)?.problems;
  return Array.isArray(problems) ? (problems as Problem[]) : undefined;
}

/** The answer to a failed job; an internal failure also logs its stack (for the log, never for the user's eyes). */
function reportFailure(post: Post, requestId: number, error: unknown, path: string): void {
  const problems = userProblems(error);
  if (problems) return post({ type: FromWorkerType.Error, requestId, problems, internal: false });
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.stack) post({ type: FromWorkerType.Log, level: 'error', message: error.stack });
  post({
    type: FromWorkerType.Error,
    requestId,
    internal: true,
    problems: [
      {
        file: path,
        line: 1,
        column: 1,
        message: `internal error: ${message}`,
        hint: 'this is a bug in Unroll; the log has details',
        severity: 'error',
      },
    ],
  });
}

/**
 * `spectral`: where ρ/σ_max of new weights may be computed while the analysis runs (the helper thread), if any; it is
 * started when the first job arrives, so it loads while that job reads its files.
 */
export function createJobHandler(io: WorkerIo, post: Post, spectral?: SpectralThread | null): JobHandler {
  const cancelled = new Set<number>();
  const isCancelled = (requestId: number) => cancelled.has(requestId);
  // What this thread's analyses reuse from the last one (a re-analysis after a save: same network, same ρ/σ_max).
  const cache = new AnalysisCache();
  cache.setSpectralSource(spectral ?? null);

  async function analyze(request: AnalyzeRequest): Promise<void> {
    const { requestId, source, settings, cell } = request;
    await nextMacrotask();
    if (isCancelled(requestId)) return post({ type: FromWorkerType.Cancelled, requestId });
    const outcome = await runAnalyze(source, settings, io.files, cell, undefined, cache);
    if (isCancelled(requestId)) return post({ type: FromWorkerType.Cancelled, requestId });
    const { result, files, warnings } = outcome;
    post({ type: FromWorkerType.Result, requestId, result, files, warnings }, collectTransferables(result));
  }

  async function compare(request: CompareRequest): Promise<void> {
    const { requestId, source, settings, cells, models, epochs } = request;
    await nextMacrotask();
    if (isCancelled(requestId)) return post({ type: FromWorkerType.Cancelled, requestId });
    const { results, files, stopped } = await runCompare(source, settings, io.files, cells, {
      cache,
      models,
      epochs,
      onProgress: (run, point) => post({ type: FromWorkerType.Progress, requestId, point, run }),
      shouldStop: () => isCancelled(requestId),
      yieldNow: nextMacrotask,
    });
    if (stopped || isCancelled(requestId)) return post({ type: FromWorkerType.Cancelled, requestId });
    post({ type: FromWorkerType.CompareResult, requestId, results, files }, collectTransferables(results));
  }

  async function train(request: TrainRequest): Promise<void> {
    const { requestId, source, settings, saveTo, epochs } = request;
    const outcome = await runTrain(
      source,
      settings,
      io.files,
      // The extension asks before saving (a quick pick names the file), so the target is a confirmed one.
      { epochs, saveTo, force: true, writes: io.writes, cache },
      {
        onProgress: (point) => post({ type: FromWorkerType.Progress, requestId, point }),
        shouldStop: () => isCancelled(requestId),
        onStopping: () => post({ type: FromWorkerType.Stopping, requestId }),
        yieldNow: nextMacrotask,
      },
    );
    const { reason, last, nonFinite, saved, result } = outcome;
    post(
      { type: FromWorkerType.TrainDone, requestId, reason, last, nonFinite, saved, result },
      collectTransferables(result),
    );
  }

  function run(requestId: number, path: string, job: Promise<void>): void {
    job
      .catch((error: unknown) => reportFailure(post, requestId, error, path))
      .finally(() => cancelled.delete(requestId));
  }

  return {
    handle(message) {
      if (message.type !== ToWorkerType.Cancel) void spectral?.ready();
      switch (message.type) {
        case ToWorkerType.Analyze:
          return run(message.requestId, message.source.path, analyze(message));
        case ToWorkerType.Compare:
          return run(message.requestId, message.source.path, compare(message));
        case ToWorkerType.Train:
          return run(message.requestId, message.source.path, train(message));
        case ToWorkerType.Cancel:
          cancelled.add(message.requestId);
          return;
      }
    },
  };
}
