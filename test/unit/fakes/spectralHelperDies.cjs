// A spectral helper that dies mid-job: it claims the job (Pending → Running, as src/worker/spectralMain.ts does)
// and then its thread exits without storing a result. The owner must not hang: it times out and computes itself.
const { parentPort } = require('node:worker_threads');

parentPort.on('message', (job) => {
  if (Atomics.compareExchange(job.control, 0, 0, 1) === 0) process.exit(1);
});
parentPort.postMessage('ready');
