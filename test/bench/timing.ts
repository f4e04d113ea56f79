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

/**
 * Two runs timed in alternation (a, b, a, b, …) after warming both up, so that both medians come from the same
 * stretch of a shared, noisy machine and their ratio is not skewed by load that came and went in between.
 */
export async function timePaired(
  a: () => void,
  b: () => void,
  plan: TimingPlan = DEFAULT_PLAN,
): Promise<[Timing, Timing]> {
  for (let i = 0; i < plan.warmup; i++) {
    a();
    b();
  }
  const sa: number[] = [],
    sb: number[] = [];
  let total = 0;
  while (sa.length < plan.minReps || (sa.length < plan.maxReps && total < plan.budgetMs)) {
    let t0 = performance.now();
    a();
    const ta = performance.now() - t0;
    t0 = performance.now();
    b();
    const tb = performance.now() - t0;
    sa.push(ta);
    sb.push(tb);
    total += ta + tb;
  }
  return [
    { medianMs: median(sa), reps: sa.length },
    { medianMs: median(sb), reps: sb.length },
  ];
}
