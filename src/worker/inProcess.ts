// The in-process backend of WorkerTransport, for tests: the job handler runs in this thread. It lives apart from
// transport.ts so that the extension, which imports only the thread backend, never bundles the handler, the readers
// or the engine.
import type { FromWorker } from '../protocol/messages';
import { createJobHandler, type WorkerIo } from './handler';
import type { WorkerExit, WorkerTransport } from './transport';

/**
 * The same handler in this thread, for tests. Messages are delivered on later macrotasks, as a thread would, so
 * a Cancel posted right after a request is seen before that request starts. Buffers are not transferred.
 */
export function startInProcessWorker(io: WorkerIo): WorkerTransport {
  let listener: (message: FromWorker) => void = () => {};
  let exitListener: (exit: WorkerExit) => void = () => {};
  let terminated = false;
  const handler = createJobHandler(io, (message) => {
    if (!terminated) setImmediate(() => !terminated && listener(message));
  });
  const terminate = () => {
    terminated = true;
    handler.stopAll();
  };
  return {
    postMessage: (message) => {
      if (!terminated) setImmediate(() => !terminated && handler.handle(message));
    },
    onMessage: (l) => {
      listener = l;
    },
    onExit: (l) => {
      exitListener = l;
    },
    terminate,
    kill: () => {
      terminate();
      setImmediate(() => exitListener({ outOfMemory: false, memoryLimitMB: 0, detail: 'killed' }));
    },
  };
}
