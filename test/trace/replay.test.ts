// Real PyTorch traces replayed (issue 13 §3): every module variant written by test/trace/make_trace.py, the tracer's
// own output (python/unroll_trace) and its 2-process DDP char-LSTM training, each replayed within 1e-5 (float32
// runs) or 1e-10 (float64) of PyTorch's own gradients; a dropout run flagged approximate; a wrong or damaged snapshot
// refused. Needs a Python with torch: $UNROLL_PYTHON, /usr/bin/python3 (Debian's python3-torch, which CI installs) or
// python3; without one the suite fails and says how to install it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { nodeFiles } from '../../src/data/nodeFiles';
import { runAnalyze } from '../../src/worker/jobs';
import type { EngineSettings } from '../../src/protocol/messages';

const ROOT = path.resolve(__dirname, '../..');
const settings: EngineSettings = { maxSteps: 1000, flowBudget: 1, defaultCell: 'lstm', maxMemoryMB: 2048, maxWork: 30 };

function pythonWithTorch(): string {
  const candidates = [process.env.UNROLL_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p);
  const found = candidates.find(
    (p) =>
      (!p.includes('/') || existsSync(p)) && spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
  );
  if (!found) {
    throw new Error(
      `no Python with torch among ${candidates.join(', ')}: install it (Debian/Ubuntu: apt-get install python3-torch libopenblas0-pthread) or set UNROLL_PYTHON`,
    );
  }
  return found;
}

function python(args: string[], what: string): string {
  const r = spawnSync(pythonWithTorch(), args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  assert.equal(r.status, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function cli(argv: string[], cwd: string) {
  let stdout = '',
    stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    cwd,
  });
  return { code, stdout, stderr };
}

const VARIANTS: Record<string, Record<string, unknown>> = {
  'lstm-bidirectional-proj': { mode: 'LSTM', num_layers: 2, bidirectional: true, proj_size: 3 },
  'lstm-h0-none-3-layers': { mode: 'LSTM', num_layers: 3, h0: 'none' },
  'gru-bidirectional': { mode: 'GRU', num_layers: 2, bidirectional: true },
  'rnn-relu': { mode: 'RNN_RELU', num_layers: 2 },
  'rnn-tanh-time-first-no-bias': { mode: 'RNN_TANH', batch_first: false, bias: false, bidirectional: true },
  'gru-no-bias-h0-none': { mode: 'GRU', bias: false, h0: 'none' },
  'lstm-proj-no-bias': { mode: 'LSTM', proj_size: 2, bias: false, num_layers: 2, T: 12 },
};

describe('replay of real PyTorch traces', function () {
  let dir = '';
  before(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'unroll-trace-'));
    const specs = Object.entries(VARIANTS).flatMap(([name, o]) => [
      { name: `${name}-float32`, ...o, steps: [1, 2] },
      { name: `${name}-float64`, ...o, dtype: 'float64', steps: [1, 2] },
    ]);
    specs.push({
      name: 'dropout',
      mode: 'LSTM',
      num_layers: 2,
      dropout: 0.3,
      dtype: 'float64',
      steps: [1],
    } as (typeof specs)[number]);
    specs.push({ name: 'skewed', mode: 'GRU', dtype: 'float64', skew: 1e-6, steps: [1] } as (typeof specs)[number]);
    python(['test/trace/make_trace.py', dir, JSON.stringify(specs)], 'make_trace.py');
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  for (const name of Object.keys(VARIANTS)) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`${name} (${dtype}): gradients and forward within ${dtype === 'float32' ? '1e-5' : '1e-10'} of PyTorch, both snapshots`, async () => {
        const folder = path.join(dir, `${name}-${dtype}.unroll-trace`);
        for (const step of [1, 2]) {
          const { result } = await runAnalyze(
            { path: folder, workspaceRoot: dir, traceStep: step },
            settings,
            nodeFiles,
          );
          const check = result.replay!;
          assert.equal(check.dtype, dtype);
          assert.equal(check.products, dtype, 'a float32 run matched with float32 products, not after a float64 redo');
          assert.equal(check.approximate, null);
          assert.ok(
            check.ok,
            `step ${step}: ${JSON.stringify(check.compared.slice(0, 3))} forward ${JSON.stringify(check.forward)}`,
          );
          assert.ok(check.maxRelErr <= (dtype === 'float32' ? 1e-5 : 1e-10));
          assert.ok(check.forward!.maxRelErr <= (dtype === 'float32' ? 1e-5 : 1e-10));
          const withH0 = !name.includes('h0-none');
          assert.equal(
            check.compared.some((c) => c.name === 'h0'),
            withH0,
            'h0 compared exactly when the module was given one',
          );
          assert.equal(result.trace!.shown, step);
          assert.deepEqual(
            result.trace!.snapshots.map((s) => s.step),
            [1, 2],
          );
        }
      });
    }
  }

  it('the CLI says the replay matches, names the run, step and loss, and exits 0; --json carries replay and trace', async () => {
    const { code, stdout } = await cli(['analyze', 'gru-bidirectional-float64.unroll-trace', '--step', '1'], dir);
    assert.equal(code, 0);
    assert.match(
      stdout,
      /^gru-bidirectional-float64\.unroll-trace · PyTorch GRU \(2 layers, bidirectional, hidden 5\) · snapshot at step 1 \(2 snapshots, steps 1…2\)/,
    );
    assert.match(
      stdout,
      /Replay of PyTorch step \d+[^:\n]*: gradients match PyTorch to \d(\.\d)?e-\d+ \(float64, bound 1e-10\)/,
    );
    assert.match(stdout, /PyTorch loss {4}\d/);
    assert.match(stdout, /A snapshot of your PyTorch run at training step 1/);
    const json = await cli(['analyze', 'gru-bidirectional-float64.unroll-trace', '--json', '-'], dir);
    assert.equal(json.code, 0);
    const parsed = JSON.parse(json.stdout) as {
      replay: { ok: boolean };
      trace: { shown: number; snapshots: unknown[] };
    };
    assert.equal(parsed.replay.ok, true);
    assert.equal(parsed.trace.shown, 2);
    assert.equal(parsed.trace.snapshots.length, 2);
  });

  it('a dropout run is flagged approximate (exit 0), never passed off as exact', async () => {
    const { result } = await runAnalyze(
      { path: path.join(dir, 'dropout.unroll-trace'), workspaceRoot: dir },
      settings,
      nodeFiles,
    );
    assert.equal(result.replay!.approximate, 'dropout 0.3 between layers');
    assert.equal(result.replay!.ok, false);
    const { code, stdout } = await cli(['analyze', 'dropout.unroll-trace'], dir);
    assert.equal(code, 0);
    assert.match(stdout, /Replay of PyTorch step \d+[^:\n]* is approximate \(dropout 0\.3 between layers\)/);
  });

  it('a snapshot whose gradients do not match is a failed check: exit 4, naming the tensor', async () => {
    const { code, stdout } = await cli(['analyze', 'skewed.unroll-trace'], dir);
    assert.equal(code, 4);
    assert.match(stdout, /gradients do NOT match PyTorch: relative error .* in weight_hh_l0 \(float64, bound 1e-10\)/);
  });

  it('a damaged snapshot is refused with file:line:col and a hint (exit 2), a partial index line is skipped', async () => {
    const folder = path.join(dir, 'rnn-relu-float64.unroll-trace');
    const file = path.join(folder, 'step-2.safetensors');
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 100));
    const { code, stderr } = await cli(['analyze', 'rnn-relu-float64.unroll-trace', '--step', '2'], dir);
    assert.equal(code, 2);
    assert.match(stderr, /^rnn-relu-float64\.unroll-trace\/step-2\.safetensors:\d+:\d+: .*\(hint: /);
    writeFileSync(file, bytes);
    writeFileSync(
      path.join(folder, 'index.jsonl'),
      readFileSync(path.join(folder, 'index.jsonl'), 'utf8') + '{"step": 3, "file": "step-3.saf',
    );
    const again = await cli(['analyze', 'rnn-relu-float64.unroll-trace'], dir);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /snapshot at step 2 \(2 snapshots/);
  });

  it('the tracer (python/unroll_trace) on a bidirectional, time-first LSTM with proj_size and no h0 replays exactly', async () => {
    const folder = path.join(dir, 'tracer.unroll-trace');
    python(
      [
        '-c',
        `
import sys, torch
sys.path.insert(0, 'python')
import unroll_trace
torch.manual_seed(0)
lstm = torch.nn.LSTM(3, 6, num_layers=2, bidirectional=True, proj_size=2).double()
head = torch.nn.Linear(4, 1).double()
opt = torch.optim.SGD(list(lstm.parameters()) + list(head.parameters()), lr=0.1)
with unroll_trace.watch(lstm, ${JSON.stringify(folder)}, every=2, sequences=3) as tracer:
    for step in range(5):
        x = torch.randn(9, 5, 3, dtype=torch.float64)
        out, _ = lstm(x)
        loss = head(out).pow(2).mean()
        tracer.loss(loss)
        opt.zero_grad(); loss.backward(); opt.step()
`,
      ],
      'the tracer',
    );
    const { result } = await runAnalyze({ path: folder, workspaceRoot: dir }, settings, nodeFiles);
    assert.deepEqual(
      result.trace!.snapshots.map((s) => s.step),
      [0, 2, 4],
    );
    assert.ok(result.replay!.ok, JSON.stringify(result.replay));
    assert.ok(result.replay!.maxRelErr <= 1e-10);
    assert.ok(result.trace!.snapshots.every((s) => s.loss !== null));
  });

  for (const dtype of ['float32', 'float64'] as const) {
    it(`a 2-process DDP char-LSTM training (gloo, CPU), traced on rank 0, replays within the ${dtype} bound`, async () => {
      const folder = path.join(dir, `ddp-${dtype}.unroll-trace`);
      python(['python/tests/ddp_char_lstm.py', folder, '--dtype', dtype, '--h0'], 'the DDP training');
      const { result } = await runAnalyze({ path: folder, workspaceRoot: dir }, settings, nodeFiles);
      const check = result.replay!;
      assert.ok(check.ok, JSON.stringify(check.compared.slice(0, 3)));
      assert.equal(check.products, dtype);
      assert.ok(check.maxRelErr <= (dtype === 'float32' ? 1e-5 : 1e-10));
      assert.ok(check.compared.some((c) => c.name === 'h0') && check.compared.some((c) => c.name === 'c0'));
      assert.equal(result.trace!.worldSize, 2);
      assert.equal(result.trace!.rank, 0);
      // every snapshot of the timeline was replayed (they are small) and matched
      for (const s of result.trace!.snapshots)
        assert.ok(s.maxRelErr !== null && s.maxRelErr <= check.tolerance, `step ${s.step}: ${s.maxRelErr}`);
    });
  }
});
