// The spectral helper thread's entry (bundled to dist/spectral.js): computes ρ and σ_max of a matrix in shared memory
// for the analysis thread that started it (src/worker/spectralThread.ts has the protocol), with its own WebAssembly
// instance of the engine's kernels.
import { parentPort, workerData } from 'node:worker_threads';
import { sigmaMax, spectralRadius } from '../engine/eigen';
import { useKernelBuild, type KernelBuild } from '../engine/wasm';
import { enableRelaxedSimd } from './relaxedSimd';
import { SpectralState, type SpectralJob } from './spectralThread';

if (!parentPort) throw new Error('dist/spectral.js runs only as a worker thread');
parentPort.on('message', (job: SpectralJob) => {
  const { control, data, H, build } = job;
  // Claim the job; the owner may have taken it back (it computed the values itself) before this thread got to it.
  if (Atomics.compareExchange(control, 0, SpectralState.Pending, SpectralState.Running) !== SpectralState.Pending)
    return;
  let state: number = SpectralState.Failed;
  try {
    // Same function on the same bits only with the owner's kernel build (FMA or not changes the last bits): the
    // first job instantiates it here.
    if (build === 'relaxed-simd') enableRelaxedSimd();
    if (useKernelBuild(build)) {
      const started = performance.now();
      const M = data.subarray(0, H * H);
      data[H * H] = spectralRadius(M, H);
      data[H * H + 1] = sigmaMax(M, H, H);
      data[H * H + 2] = performance.now() - started;
      state = SpectralState.Done;
    }
  } catch {
    // reported as Failed: the owner computes the values itself
  }
  Atomics.store(control, 0, state);
  Atomics.notify(control, 0);
});
// The owner's build, instantiated now rather than in the first job (which the owner waits for).
const owner = (workerData as { build?: KernelBuild } | undefined)?.build;
if (owner !== undefined) {
  if (owner === 'relaxed-simd') enableRelaxedSimd();
  useKernelBuild(owner);
}
parentPort.postMessage('ready');
