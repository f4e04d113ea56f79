// The worker thread's entry (bundled to dist/worker.js): ToWorker in, FromWorker out, over worker_threads.
import { parentPort } from 'node:worker_threads';
import type { ToWorker } from '../protocol/messages';
import { nodeFiles, nodeWrites } from '../data/nodeFiles';
import { createJobHandler } from './handler';
import { enableRelaxedSimd } from './relaxedSimd';
import { spectralThreadIfParallel } from './spectralThread';

enableRelaxedSimd();

if (!parentPort) throw new Error('dist/worker.js runs only as a worker thread');
const port = parentPort;
// ρ/σ_max on a second thread while the analysis runs (machines with more than one core); it ends with this thread.
const handler = createJobHandler(
  { files: nodeFiles, writes: nodeWrites },
  (message, transfer) => port.postMessage(message, transfer),
  spectralThreadIfParallel(),
);
port.on('message', (message: ToWorker) => handler.handle(message));
