// The PyTorch column: torch_bench.py run by Debian's /usr/bin/python3 (the python3 first on PATH may lack torch).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Workload } from './workloads';
import type { Timing, TimingPlan } from './timing';
import type { TrainTiming } from './ours';

export const PYTHON = '/usr/bin/python3';

/**
 * OpenBLAS's own thread count for the PyTorch process: torch.set_num_threads(1) leaves OpenBLAS's threads alone
 * (its process used two cores: CPU time ≈ 2 × wall time on the training workload), so "PyTorch on one thread" needs
 * OPENBLAS_NUM_THREADS=1 too. A value set in the environment is passed on as it is.
 */
export const TORCH_OPENBLAS_THREADS = process.env.OPENBLAS_NUM_THREADS ?? '1';

/** The char-LSTM training workload for PyTorch: the text file and the shapes (see torch_bench.py's time_training). */
export interface TorchTrainRequest {
  text: string;
  hidden: number;
  window: number;
  batch: number;
  lr: number;
  warmup: number;
  batches: number;
}

export type TorchResults = { timings: Map<string, Timing>; train?: TrainTiming; version: string } | { missing: string };

export function runTorch(
  script: string,
  workloads: Workload[],
  plan: TimingPlan,
  train?: TorchTrainRequest,
): TorchResults {
  if (!existsSync(PYTHON)) return { missing: `${PYTHON} not found` };
  const run = spawnSync(PYTHON, [script], {
    env: { ...process.env, OPENBLAS_NUM_THREADS: TORCH_OPENBLAS_THREADS },
    input: JSON.stringify({ workloads, plan, train }),
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (run.status !== 0)
    return { missing: `${script} failed: ${(run.stderr || run.error?.message || '').trim().split('\n').pop()}` };
  const out = JSON.parse(run.stdout) as Record<string, unknown>;
  if (typeof out.missing === 'string') return { missing: out.missing };
  const timings = new Map<string, Timing>();
  for (const w of workloads) timings.set(w.name, out[w.name] as Timing);
  return { timings, ...(out.train ? { train: out.train as TrainTiming } : {}), version: String(out.torch) };
}
