// How the extension reaches the worker: one small interface over a worker thread (tests script it with fakes).
// This file must not import the job handler: that would bundle the readers and the engine into the extension host
// (test/unit/bundle.test.ts checks the built bundle).
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from '../protocol/messages';

/** The worker's JavaScript heap limit unless the caller gives one (the `unroll.maxMemoryMB` default). */
export const DEFAULT_WORKER_MEMORY_MB = 2048;

/** Why a worker ended without being asked. */
export interface WorkerExit {
  /** It reached its heap limit: the job was too large for it, not a bug. */
  outOfMemory: boolean;
  memoryLimitMB: number;
  /** For the log: the error or the exit code. */
  detail: string;
}

export interface WorkerTransport {
  postMessage(message: ToWorker): void;
  /** Called for every message the worker sends; one listener per transport. */
  onMessage(listener: (message: FromWorker) => void): void;
  /** Called once when the worker dies without being asked (crash, out of memory). */
  onExit(listener: (exit: WorkerExit) => void): void;
  /** Stops the worker at once, whatever it is computing. */
  terminate(): void;
  /** Stops the worker as a crash would: onExit reports it (how tests crash a worker on purpose). */
  kill(): void;
}

let liveThreads = 0;

/** Worker threads started and not yet exited, in this process: a leak shows here. */
export function liveThreadWorkers(): number {
  return liveThreads;
}

/**
 * A real thread: compute never touches the extension host's event loop. Its JavaScript heap is capped at
 * `memoryLimitMB`, so a job too large for it ends this thread (reported through onExit), not the extension host.
 * Typed arrays live outside that heap: the up-front cost estimate bounds those.
 */
export function startThreadWorker(scriptPath: string, memoryLimitMB = DEFAULT_WORKER_MEMORY_MB): WorkerTransport {
  const worker = new Worker(scriptPath, { resourceLimits: { maxOldGenerationSizeMb: memoryLimitMB } });
  liveThreads++;
  let terminating = false;
  let failure: (Error & { code?: string }) | undefined;
  let exitListener: (exit: WorkerExit) => void = () => {};
  // An 'error' (uncaught exception, heap limit) is always followed by 'exit': report once, at the exit.
  worker.on('error', (error) => (failure = error));
  worker.on('exit', (code) => {
    liveThreads--;
    if (terminating) return;
    const outOfMemory = failure?.code === 'ERR_WORKER_OUT_OF_MEMORY';
    exitListener({
      outOfMemory,
      memoryLimitMB,
      detail: failure ? `${failure.message}${failure.stack ? `\n${failure.stack}` : ''}` : `exit code ${code}`,
    });
  });
  return {
    postMessage: (message) => worker.postMessage(message),
    onMessage: (listener) => worker.on('message', listener),
    onExit: (listener) => {
      exitListener = listener;
    },
    terminate: () => {
      terminating = true;
      void worker.terminate();
    },
    kill: () => void worker.terminate(),
  };
}
