// `npm run bench`: forward + full BPTT (∂L/∂h_t kept for every step) on the workloads of issues 2 and 12, timed in
// one run for Unroll's engine in both precisions, TensorFlow.js (CPU backend), brain.js and PyTorch (CPU, one thread),
// analyze() with every diagnostic, and the char-LSTM training workload (ours as `unroll train` runs it, and PyTorch).
// Prints Markdown for docs/bench.md (the machine, the tables, the targets met or not), or with --json the figures.
// Progress goes to stderr. Options: --json, --markdown (the default output), --only <text> (workloads whose name
// contains it), --full (also the very slow tfjs/brain.js runs), --no-train (skip the training workload),
// --no-js-libs (skip tfjs and brain.js: a quick repeat of ours against PyTorch).
import { cpus, tmpdir } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ALICE_OPENING } from '../../src/data/exampleText';
import { Network } from '../../src/engine/network';
import { kernelBuild } from '../../src/engine/wasm';
import { initParams } from '../../src/engine/params';
import {
  ANALYZE_WORKLOADS,
  CHAR_LM,
  PRECISIONS,
  WORKLOADS,
  benchText,
  charLmModelFile,
  makeBatch,
  multiplyAdds,
  resolvedModel,
  type Workload,
} from './workloads';
import { DEFAULT_PLAN, type Timing } from './timing';
import { oursAnalyze, oursForwardBackward, oursTrainCharLm, type TrainTiming } from './ours';
import { initTfjs, tfjsForwardBackward } from './tfjs';
import { brainForwardBackward, loadBrain } from './brain';
import { PYTHON, runTorch, TORCH_OPENBLAS_THREADS, type TorchTrainRequest } from './torch';
import {
  SECOND_THREAD,
  markdown,
  trainRow,
  type BenchFigures,
  type Cell,
  type Env,
  type ForwardBackwardRow,
  type Row,
} from './report';
import { enableRelaxedSimd } from '../../src/worker/relaxedSimd';
import { spectralThreadIfParallel } from '../../src/worker/spectralThread';

enableRelaxedSimd(); // as the worker and the CLI do: fused multiply-adds in the kernels on Node 20

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const full = args.includes('--full');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
const train = !args.includes('--no-train') && (!only || CHAR_LM.name.includes(only));
const jsLibs = !args.includes('--no-js-libs');
const repoRoot = resolve(__dirname, '..');
const log = (line: string) => process.stderr.write(line + '\n');

/** tfjs and brain.js take 30–60 s per repetition here; they run only with --full. */
const tooSlowWithoutFull = (w: Workload) => w.T * w.B > 256 * 32;

/** Whether the engine computes in float32 when asked: the same forward pass gives different bits in the two precisions. */
function float32Honoured(): boolean {
  const w = WORKLOADS[0];
  const batch = makeBatch({ ...w, T: 8 });
  const loss = PRECISIONS.map((p) => {
    const model = resolvedModel(w, p);
    return new Network(model, initParams(model)).forward(batch);
  });
  return loss[0] !== loss[1];
}

async function main(): Promise<void> {
  const workloads = WORKLOADS.filter((w) => !only || w.name.includes(only));
  const analyses = ANALYZE_WORKLOADS.filter((w) => !only || w.name.includes(only));
  const env: Env = {
    date: new Date().toISOString().slice(0, 10),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    pytorch: 'not run',
    OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE ?? null,
    OPENBLAS_L2_SIZE: process.env.OPENBLAS_L2_SIZE ?? null,
    OPENBLAS_NUM_THREADS: TORCH_OPENBLAS_THREADS,
    float32Honoured: float32Honoured(),
    kernels: kernelBuild() ?? 'JavaScript (no WebAssembly)',
  };
  const rows: Record<string, Row> = {};

  // The training workload's text and model files, in a temporary folder (its own workspace root).
  const folder = mkdtempSync(join(tmpdir(), 'unroll-bench-'));
  try {
    const textFile = join(folder, 'bench.txt');
    if (train) {
      writeFileSync(textFile, benchText(CHAR_LM.textChars, ALICE_OPENING));
      for (const p of PRECISIONS)
        writeFileSync(join(folder, `bench.${p}.unroll.json`), JSON.stringify(charLmModelFile('bench.txt', p)));
    }

    // PyTorch runs in its own process (nothing else runs beside it), once per workload, just before ours on the same
    // workload: on a shared machine whose load comes and goes, the two sides of a ratio are timed minutes apart otherwise.
    const script = resolve(repoRoot, 'test/bench/torch_bench.py');
    const torchRun = (ws: Workload[], trainRequest?: TorchTrainRequest) => {
      const result = runTorch(script, ws, DEFAULT_PLAN, trainRequest);
      env.pytorch = 'missing' in result ? `absent: ${result.missing}` : `${result.version}, float32, 1 thread`;
      return result;
    };

    await initTfjs();
    const brain = loadBrain(repoRoot, log);
    for (const w of workloads) {
      log(`${w.name}: pytorch (${PYTHON}), ours (float64, float32)${jsLibs ? ', tfjs, brain.js' : ''} …`);
      const torch = torchRun([w]);
      const cells: ForwardBackwardRow['cells'] = {};
      cells.pytorch = 'missing' in torch ? { skipped: torch.missing } : withGflops(w, torch.timings.get(w.name)!);
      cells['ours-f64'] = withGflops(w, await oursForwardBackward(w, 'float64'));
      cells['ours-f32'] = withGflops(w, await oursForwardBackward(w, 'float32'));
      cells.tfjs = !jsLibs
        ? { skipped: 'not run (--no-js-libs)' }
        : !full && tooSlowWithoutFull(w)
          ? { skipped: 'about 40 s a repetition (--full runs it)' }
          : withGflops(w, await tfjsForwardBackward(w));
      cells.brain = !jsLibs
        ? { skipped: 'not run (--no-js-libs)' }
        : 'missing' in brain
          ? { skipped: brain.missing }
          : !full && tooSlowWithoutFull(w)
            ? { skipped: 'about 30 s a repetition (--full runs it)' }
            : withGflops(w, await brainForwardBackward(brain.brain, w));
      rows[w.name] = { kind: 'forwardBackward', cells };
    }
    if (train) {
      // Rounds of PyTorch, ours f64, ours f32 one after another: each round's ratios come from one stretch of load,
      // and the row keeps the median of the rounds' figures and of their ratios.
      const rounds: Record<'pytorch' | 'ours-f64' | 'ours-f32', TrainTiming[]> = {
        pytorch: [],
        'ours-f64': [],
        'ours-f32': [],
      };
      let missing: string | undefined;
      for (let round = 1; round <= CHAR_LM.rounds && !missing; round++) {
        log(`${CHAR_LM.name}, round ${round} of ${CHAR_LM.rounds}: pytorch, ours (float64, float32) …`);
        const torch = torchRun([], {
          text: textFile,
          hidden: CHAR_LM.hidden,
          window: CHAR_LM.window,
          batch: CHAR_LM.batch,
          lr: CHAR_LM.lr,
          warmup: CHAR_LM.warmup,
          batches: CHAR_LM.batches,
        });
        if ('missing' in torch || !torch.train)
          missing = 'missing' in torch ? torch.missing : 'torch_bench.py returned no training figure';
        else rounds.pytorch.push(torch.train);
        for (const p of PRECISIONS)
          rounds[p === 'float64' ? 'ours-f64' : 'ours-f32'].push(
            await oursTrainCharLm(join(folder, `bench.${p}.unroll.json`), folder),
          );
      }
      rows[CHAR_LM.name] = trainRow(rounds, missing);
    }
    // Each analysis twice: on one thread, and as the worker runs it (ρ/σ_max on its helper thread; only where the
    // machine has a second core, as in the worker).
    const spectral = spectralThreadIfParallel();
    try {
      for (const w of analyses) {
        log(`${w.name} …`);
        const [analyze, forwardBackward] = await oursAnalyze(w);
        rows[w.name] = { kind: 'analyze', analyze, forwardBackward };
        if (!spectral) continue;
        log(`${w.name}, ${SECOND_THREAD} …`);
        const [analyze2, forwardBackward2] = await oursAnalyze(w, undefined, spectral);
        rows[`${w.name} (${SECOND_THREAD})`] = {
          kind: 'analyze',
          analyze: analyze2,
          forwardBackward: forwardBackward2,
          secondThread: true,
        };
      }
    } finally {
      await spectral?.terminate();
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }

  const figures: BenchFigures = { env, workloads: rows };
  process.stdout.write(asJson ? JSON.stringify(figures, null, 1) + '\n' : markdown(figures));
}

function withGflops(w: Workload, t: Timing): Cell {
  return { ...t, gflops: (2 * multiplyAdds(w)) / (t.medianMs * 1e6) };
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
