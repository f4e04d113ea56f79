// ρ and σ_max of the weights on a second thread while the analysis runs: they depend only on the weights, so the
// analysis job hands the matrix over as soon as the parameters are known (AnalysisCache.prefetchSpectral), and the
// helper thread computes them during forward + BPTT + flow + step gain on the machine's other core.
//
// Protocol, one job per matrix: the owner copies M into a SharedArrayBuffer with room for the two results, and a
// one-int control word starts Pending. The helper claims the job (Pending → Running), computes with the engine's own
// spectralRadius/sigmaMax and stores Done (or Failed), then Atomics.notify. When the analysis asks (take), the owner
// takes a job still Pending back (Pending → Cancelled: the helper is starting or busy, computing here costs no more
// than waiting) and waits for a Running one with Atomics.wait, at most about twice what the helper last took for
// this size: a helper that is descheduled, hung or dead costs that wait, never the analysis, whose values then come
// from the owner's thread as without a helper. A helper that exited is replaced at the next start.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SpectralSource } from '../engine/cache';
import { kernelBuild, type KernelBuild } from '../engine/wasm';

export const SpectralState = { Pending: 0, Running: 1, Done: 2, Failed: 3, Cancelled: 4 } as const;

/** What the owner posts: the control word, M (H×H) followed by room for ρ, σ_max and the helper's ms, and its kernel build. */
export interface SpectralJob {
  control: Int32Array;
  data: Float64Array;
  H: number;
  build: KernelBuild;
}

/**
 * Below this hidden size the helper is not used. Measured (RNN, T=256, D=64, wall time of analyze with/without the
 * helper, median of 61 interleaved pairs on an otherwise quiet 2-core machine): H=32 ×1.00, H=48 ×0.985, H=64
 * ×0.95, H=96 ×0.85, H=128 ×0.73.
 */
export const SPECTRAL_THREAD_MIN_HIDDEN = 64;

export interface SpectralThreadOptions {
  /** The helper's script: dist/spectral.js next to the running bundle, or spectralMain.ts from the sources (tsx). */
  script?: string;
  /** Smallest H handed to the helper. */
  minHidden?: number;
  /**
   * How long take waits for a running job before computing itself (ms); default: twice the helper's last time for
   * this H (at first, twice ~5 ms·(H/128)³, ρ+σ_max on one core), plus 2 ms.
   */
  timeoutMs?(H: number): number;
}

function defaultScript(): string {
  const bundled = join(__dirname, 'spectral.js');
  return existsSync(bundled) ? bundled : join(__dirname, 'spectralMain.ts');
}

export class SpectralThread implements SpectralSource {
  private worker: Worker | null = null;
  private job: SpectralJob | null = null;
  private readonly script: string;
  private readonly minHidden: number;
  private readonly timeoutMs: (H: number) => number;
  /** The helper's last compute time per H (ms): how long a running job may still take. */
  private readonly helperMs = new Map<number, number>();
  /** Helper threads started, and what happened to the jobs: answered, taken back before begun, failed, timed out. */
  readonly counts = { helpers: 0, started: 0, answered: 0, takenBack: 0, failed: 0, timedOut: 0 };

  constructor(options: SpectralThreadOptions = {}) {
    this.script = options.script ?? defaultScript();
    this.minHidden = options.minHidden ?? SPECTRAL_THREAD_MIN_HIDDEN;
    this.timeoutMs = options.timeoutMs ?? ((H) => 2 + 2 * (this.helperMs.get(H) ?? 5 * (H / 128) ** 3));
  }

  private readyPromise: Promise<boolean> | null = null;

  /**
   * Starts the helper if it is not running; resolves true once it takes jobs, false if it failed to start. Jobs
   * started before that are taken back at take (computed on the owner's thread): a caller may wait for this first.
   */
  ready(): Promise<boolean> {
    this.helper();
    return this.readyPromise ?? Promise.resolve(false);
  }

  /**
   * Resolves once the current job (if any) has left Pending and, unless `begunOnly`, Running (tests: makes take's
   * path deterministic).
   */
  async settled(begunOnly = false): Promise<void> {
    const job = this.job;
    const last = begunOnly ? SpectralState.Pending : SpectralState.Running;
    while (job && Atomics.load(job.control, 0) <= last) await new Promise((resolve) => setTimeout(resolve, 1));
  }

  private helper(): Worker {
    if (this.worker) return this.worker;
    // From the TypeScript sources (tests under tsx) the helper loads them through tsx's require hook.
    // The owner's kernel build goes along so the helper instantiates it before its first job.
    const workerData = { build: kernelBuild() };
    const worker = this.script.endsWith('.ts')
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(this.script)});`, { eval: true, workerData })
      : new Worker(this.script, { workerData });
    worker.unref(); // never keeps a process (the CLI's) alive
    this.counts.helpers++;
    const gone = () => {
      if (this.worker === worker) this.worker = null;
    };
    worker.on('error', gone);
    worker.on('exit', gone);
    this.readyPromise = new Promise((resolve) => {
      worker.once('message', (m) => resolve(m === 'ready'));
      worker.once('error', () => resolve(false));
      worker.once('exit', () => resolve(false));
    });
    this.worker = worker;
    return worker;
  }

  start(M: Float64Array, H: number): void {
    this.cancel();
    if (H < this.minHidden) return;
    const control = new Int32Array(new SharedArrayBuffer(4));
    const data = new Float64Array(new SharedArrayBuffer(8 * (H * H + 3)));
    data.set(M.subarray(0, H * H));
    const job: SpectralJob = { control, data, H, build: kernelBuild() };
    try {
      this.helper().postMessage(job);
    } catch {
      return; // no helper: take answers null
    }
    this.job = job;
    this.counts.started++;
  }

  take(M: Float64Array, H: number): { radius: number; sigma: number } | null {
    const job = this.job;
    if (!job || job.H !== H || !sameBits(job.data, M, H * H)) return null;
    this.job = null;
    const { control, data } = job;
    if (Atomics.compareExchange(control, 0, SpectralState.Pending, SpectralState.Cancelled) === SpectralState.Pending) {
      this.counts.takenBack++;
      return null;
    }
    if (Atomics.wait(control, 0, SpectralState.Running, this.timeoutMs(H)) === 'timed-out') {
      // Slow (descheduled), hung or dead: computed here. A late answer lands in this dropped job; a helper that
      // exited is replaced at the next start, a hung one never claims another job (each is then taken back).
      this.counts.timedOut++;
      return null;
    }
    if (Atomics.load(control, 0) !== SpectralState.Done) {
      this.counts.failed++;
      return null;
    }
    this.counts.answered++;
    this.helperMs.set(H, data[H * H + 2]);
    return { radius: data[H * H], sigma: data[H * H + 1] };
  }

  /** Takes back a job not yet begun (the weights changed before the analysis asked). */
  private cancel(): void {
    if (this.job) Atomics.compareExchange(this.job.control, 0, SpectralState.Pending, SpectralState.Cancelled);
    this.job = null;
  }

  /** Ends the helper thread (a later start begins a new one). */
  terminate(): Promise<number> | undefined {
    this.cancel();
    const worker = this.worker;
    this.worker = null;
    return worker?.terminate();
  }
}

function sameBits(a: Float64Array, b: Float64Array, n: number): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, 2 * n);
  const y = new Uint32Array(b.buffer, b.byteOffset, 2 * n);
  for (let i = 0; i < 2 * n; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** The helper for this thread's analyses when the machine has a second core to run it on; else null. */
export function spectralThreadIfParallel(options?: SpectralThreadOptions): SpectralThread | null {
  return availableParallelism() > 1 ? new SpectralThread(options) : null;
}
