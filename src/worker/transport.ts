// How the extension reaches the worker: one small interface, two backends (STYLE.md, "a worker behind an interface").
// The worker_threads backend is what ships; the in-process backend runs the same job handler for unit tests.
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from '../protocol/messages';
import { createJobHandler, type WorkerIo } from './handler';

export interface WorkerTransport {
  postMessage(message: ToWorker): void;
  /** Called for every message the worker sends; one listener per transport. */
  onMessage(listener: (message: FromWorker) => void): void;
  /** Called once when the worker dies without being asked (crash, out of memory). */
  onExit(listener: (reason: string) => void): void;
  /** Stops the worker at once, whatever it is computing. */
  terminate(): void;
}

let liveThreads = 0;

/** Worker threads started and not yet exited, in this process: a leak shows here. */
export function liveThreadWorkers(): number {
  return liveThreads;
}

/** A real thread: compute never touches the extension host's event loop. */
export function startThreadWorker(scriptPath: string): WorkerTransport {
  const worker = new Worker(scriptPath);
  liveThreads++;
  let terminating = false;
  let exitListener: (reason: string) => void = () => {};
  worker.on('error', (error) => {
    if (!terminating) exitListener(`worker failed: ${error.message}`);
  });
  worker.on('exit', (code) => {
    liveThreads--;
    if (!terminating) exitListener(`worker exited with code ${code}`);
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
  };
}

/**
 * The same handler in this thread, for tests. Messages are delivered on later macrotasks, as a thread would, so
 * a Cancel posted right after a request is seen before that request starts. Buffers are not transferred.
 */
export function startInProcessWorker(io: WorkerIo): WorkerTransport {
  let listener: (message: FromWorker) => void = () => {};
  let terminated = false;
  const handler = createJobHandler(io, (message) => {
    if (!terminated) setImmediate(() => !terminated && listener(message));
  });
  return {
    postMessage: (message) => {
      if (!terminated) setImmediate(() => !terminated && handler.handle(message));
    },
    onMessage: (l) => {
      listener = l;
    },
    onExit: () => {},
    terminate: () => {
      terminated = true;
      handler.stopAll();
    },
  };
}
