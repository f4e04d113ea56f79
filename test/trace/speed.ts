// The replay's speed on issue 13's reference snapshot: a 2-layer LSTM, H = 1024, T = 512, 4 recorded rows (input 256),
// written by PyTorch (test/trace/make_trace.py, float32), then read, replayed, checked and analyzed (default flow
// budget) as `unroll analyze` does. Prints wall and CPU time per stage (CPU time is the fair number on a shared
// machine). Usage: npx tsx test/trace/speed.ts [--steps T] [--keep DIR]   (the trace is written once into DIR)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { nodeFiles } from '../../src/data/nodeFiles';
import { pickSnapshot, readTraceIndex, readTraceSnapshot } from '../../src/data/trace';
import { analyzeReplay, checkReplay, replay } from '../../src/engine';
import { enableRelaxedSimd } from '../../src/worker/relaxedSimd';

enableRelaxedSimd(); // as the CLI and the worker do: the kernels' fused multiply-adds

const { values } = parseArgs({ options: { steps: { type: 'string' }, keep: { type: 'string' } } });
const T = Number(values.steps ?? 512);
const dir = values.keep ?? mkdtempSync(path.join(tmpdir(), 'unroll-speed-'));
const name = `lstm-h1024-t${T}`;
const folder = path.join(dir, `${name}.unroll-trace`);
if (!existsSync(folder)) {
  const python = process.env.UNROLL_PYTHON ?? '/usr/bin/python3';
  const spec = [
    { name, mode: 'LSTM', input_size: 256, hidden_size: 1024, num_layers: 2, T, batch: 4, rows: 4, steps: [1] },
  ];
  const r = spawnSync(python, [path.join(__dirname, 'make_trace.py'), dir, JSON.stringify(spec)], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('make_trace.py failed');
}
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const stages: [string, number, number][] = [];
const timed = async <R>(what: string, f: () => R | Promise<R>): Promise<R> => {
  const c = cpu(),
    w = performance.now();
  const out = await f();
  stages.push([what, performance.now() - w, cpu() - c]);
  return out;
};
(async () => {
  const file = await timed('read', async () =>
    readTraceSnapshot(nodeFiles, folder, pickSnapshot(await readTraceIndex(nodeFiles, folder), 'latest')),
  );
  const run = await timed('replay (forward + BPTT, 2 layers)', () => replay(file.snapshot));
  const { check } = await timed('check', () =>
    checkReplay(run, file.recorded, file, file.meta.dtype, file.meta.approximate),
  );
  await timed('analysis (flow, step gain, ρ/σ_max)', () =>
    analyzeReplay(run, { meta: { dataFile: folder, originalSteps: T, sequence: 0, sequences: 4, notes: [] } }),
  );
  for (const [what, wall, c] of stages)
    console.log(`${what.padEnd(40)} wall ${wall.toFixed(0).padStart(7)} ms   cpu ${c.toFixed(0).padStart(7)} ms`);
  const total = stages.reduce((a, s) => [a[0] + s[1], a[1] + s[2]], [0, 0]);
  console.log(
    `${'total'.padEnd(40)} wall ${total[0].toFixed(0).padStart(7)} ms   cpu ${total[1].toFixed(0).padStart(7)} ms   (issue 13: ≤ 2000 ms)`,
  );
  console.log(
    `replay check: max relative error ${check.maxRelErr.toExponential(2)} (${check.dtype}, bound ${check.tolerance})`,
  );
})();
