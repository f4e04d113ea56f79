// Median-of-repetitions timing shared by the in-process systems.

export interface Timing {
  medianMs: number;
  reps: number;
}

export interface TimingPlan {
  /** Untimed runs first (JIT warm-up, buffer allocation); one only when a run is slower than slowRunMs. */
  warmup: number;
  slowRunMs: number;
  /** At least this many timed repetitions ... */
  minReps: number;
  /** ... and more, up to maxReps, while the timed total stays under budgetMs. */
  maxReps: number;
  budgetMs: number;
}

export const DEFAULT_PLAN: TimingPlan = { warmup: 2, slowRunMs: 1000, minReps: 3, maxReps: 15, budgetMs: 4000 };

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function timeIt(run: () => void | Promise<void>, plan: TimingPlan = DEFAULT_PLAN): Promise<Timing> {
  for (let i = 0; i < plan.warmup; i++) {
    const t0 = performance.now();
    await run();
    if (performance.now() - t0 > plan.slowRunMs) break;
  }
  const samples: number[] = [];
  let total = 0;
  while (samples.length < plan.minReps || (samples.length < plan.maxReps && total < plan.budgetMs)) {
    const t0 = performance.now();
    await run();
    const ms = performance.now() - t0;
    samples.push(ms);
    total += ms;
  }
  return { medianMs: median(samples), reps: samples.length };
}
