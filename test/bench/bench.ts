// `npm run bench`: forward + full BPTT (∂L/∂h_t kept for every step) on the workloads of issue 2, timed in one run
// for Unroll's engine, TensorFlow.js (CPU backend), brain.js and PyTorch (CPU, one thread), plus analyze() with
// every diagnostic. Prints a table, or with --json one object keyed by workload, then system.
// Options: --json, --only <text> (workloads whose name contains it), --full (also the very slow tfjs/brain.js runs).
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { ANALYZE_WORKLOADS, WORKLOADS, multiplyAdds, type Workload } from './workloads';
import { DEFAULT_PLAN, type Timing } from './timing';
import { oursAnalyze, oursForwardBackward } from './ours';
import { initTfjs, tfjsForwardBackward } from './tfjs';
import { brainForwardBackward, loadBrain } from './brain';
import { PYTHON, runTorch } from './torch';
import { enableRelaxedSimd } from '../../src/worker/relaxedSimd';

enableRelaxedSimd(); // as the worker and the CLI do: fused multiply-adds in the kernels on Node 20

type Cell = (Timing & { gflops?: number }) | { skipped: string };
type Row = Record<string, Cell | Record<string, number>>;

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const full = args.includes('--full');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
const repoRoot = resolve(__dirname, '..');
const log = (line: string) => (asJson ? process.stderr : process.stdout).write(line + '\n');

/** tfjs and brain.js take 30–60 s per repetition here; they run only with --full. */
const tooSlowWithoutFull = (w: Workload) => w.T * w.B > 256 * 32;

async function main(): Promise<void> {
  const workloads = WORKLOADS.filter((w) => !only || w.name.includes(only));
  const analyses = ANALYZE_WORKLOADS.filter((w) => !only || w.name.includes(only));
  const env = {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE ?? null,
    OPENBLAS_L2_SIZE: process.env.OPENBLAS_L2_SIZE ?? null,
    pytorch: 'not run',
  };
  const rows: Record<string, Row> = {};
  for (const w of [...workloads, ...analyses]) rows[w.name] = {};

  // PyTorch first, in its own process, so nothing else runs beside it.
  log(`pytorch: ${PYTHON} test/bench/torch_bench.py …`);
  const torch = runTorch(resolve(repoRoot, 'test/bench/torch_bench.py'), workloads, DEFAULT_PLAN);
  env.pytorch = 'missing' in torch ? `absent: ${torch.missing}` : `${torch.version}, float32, 1 thread`;
  for (const w of workloads) rows[w.name].pytorch = 'missing' in torch ? { skipped: torch.missing } : withGflops(w, torch.timings.get(w.name)!);

  await initTfjs();
  const brain = loadBrain(repoRoot, log);
  for (const w of workloads) {
    log(`${w.name}: ours, tfjs, brain.js …`);
    const row = rows[w.name];
    row.ours = withGflops(w, await oursForwardBackward(w));
    row.tfjs = !full && tooSlowWithoutFull(w) ? { skipped: 'about 40 s a repetition (--full runs it)' } : withGflops(w, await tfjsForwardBackward(w));
    row.brain = 'missing' in brain ? { skipped: brain.missing }
      : !full && tooSlowWithoutFull(w) ? { skipped: 'about 30 s a repetition (--full runs it)' }
      : withGflops(w, await brainForwardBackward(brain.brain, w));
    row.ratios = ratios(row);
  }
  for (const w of analyses) {
    log(`${w.name} …`);
    const [full, plain] = await oursAnalyze(w);
    const row = rows[w.name];
    row.ours = full;
    row.forwardBackward = plain;
    row.ratios = { 'analyze/forwardBackward': full.medianMs / plain.medianMs };
  }

  if (asJson) process.stdout.write(JSON.stringify({ env, workloads: rows }, null, 1) + '\n');
  else printTable(env, rows);
}

function withGflops(w: Workload, t: Timing): Cell {
  return { ...t, gflops: (2 * multiplyAdds(w)) / (t.medianMs * 1e6) };
}

function ms(c: Cell | Record<string, number> | undefined): number | undefined {
  return c && 'medianMs' in c ? (c.medianMs as number) : undefined;
}

function ratios(row: Row): Record<string, number> {
  const out: Record<string, number> = {};
  const ours = ms(row.ours)!;
  const add = (key: string, v: number | undefined) => {
    if (v !== undefined) out[key] = v;
  };
  add('ours/pytorch', ms(row.pytorch) && ours / ms(row.pytorch)!);
  add('tfjs/ours', ms(row.tfjs) && ms(row.tfjs)! / ours);
  add('brain/ours', ms(row.brain) && ms(row.brain)! / ours);
  return out;
}

function printTable(env: Record<string, unknown>, rows: Record<string, Row>): void {
  const systems = ['ours', 'pytorch', 'tfjs', 'brain'];
  const ratioKeys = ['ours/pytorch', 'tfjs/ours', 'brain/ours', 'analyze/forwardBackward'];
  const head = ['workload', ...systems.map((s) => `${s} ms`), 'ours GFLOP/s', ...ratioKeys];
  const body = Object.entries(rows).map(([name, row]) => {
    const ratio = row.ratios as Record<string, number> | undefined;
    const cell = row.ours as { gflops?: number } | undefined;
    return [
      name,
      ...systems.map((s) => (ms(row[s]) === undefined ? (row[s] ? 'skip' : '') : ms(row[s])!.toFixed(1))),
      cell?.gflops ? cell.gflops.toFixed(2) : '',
      ...ratioKeys.map((k) => (ratio?.[k] === undefined ? '' : ratio[k].toFixed(2))),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log('');
  console.log(line(head));
  for (const r of body) console.log(line(r));
  console.log('');
  console.log('Median ms of forward + full BPTT with ∂L/∂h_t for every step. analyze: plus every diagnostic at the default flow');
  console.log('budget (the flow matrix may cost one forward + backward pass), with a new W_hh every run ("same weights": the same');
  console.log('W_hh every run, as on a re-save of the data file, so ρ and σ_max are reused); its ratio is to plain forward + BPTT');
  console.log('timed in alternation with it, run by run, in the same window:');
  for (const [name, row] of Object.entries(rows)) {
    const plain = row.forwardBackward as Timing | undefined;
    if (plain) console.log(`  ${name}: analyze ${ms(row.ours)!.toFixed(1)} ms, forward + BPTT ${plain.medianMs.toFixed(1)} ms (${plain.reps} pairs)`);
  }
  console.log('ours: float64. pytorch: nn.RNN/LSTM/GRU + nn.Linear, retain_grad() on the output sequence. tfjs: tfjs-core +');
  console.log('backend-cpu, float32, tf.grads over the unrolled loop. brain.js: *TimeStep nets (ReLU RNN), one sequence at a time.');
  for (const [name, row] of Object.entries(rows)) {
    for (const [system, c] of Object.entries(row)) if ('skipped' in c) console.log(`${name} ${system}: skipped, ${c.skipped}`);
  }
  for (const [k, v] of Object.entries(env)) console.log(`${k}: ${v ?? 'unset'}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
