// `unroll analyze <x>.unroll-trace` on traces written here (test/unit/data/traceFixture.ts): the summary, --step,
// the exit codes (0 match, 4 mismatch, 2 bad input or usage). Real PyTorch traces: test/trace.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { config, indexLine, randomSnapshot, snapshotBytes } from '../data/traceFixture';

async function run(argv: string[], cwd: string) {
  let stdout = '',
    stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    cwd,
  });
  return { code, stdout, stderr };
}

describe('unroll analyze on a trace', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'unroll-cli-trace-'));
    const snap = randomSnapshot(config({ mode: 'GRU', numLayers: 2 }), 2, 8);
    for (const [name, perturb] of [
      ['good', undefined],
      ['skewed', { name: 'weight_hh_l1', by: 1e-4 }],
    ] as const) {
      const folder = path.join(dir, `${name}.unroll-trace`);
      mkdirSync(folder);
      writeFileSync(path.join(folder, 'index.jsonl'), indexLine(10, 2.25) + indexLine(20, 2));
      writeFileSync(
        path.join(folder, 'step-10.safetensors'),
        snapshotBytes(snap, { step: 10, metadata: { loss: '2.25' } }),
      );
      writeFileSync(
        path.join(folder, 'step-20.safetensors'),
        snapshotBytes(snap, { step: 20, perturb, metadata: { loss: '2' } }),
      );
    }
    writeFileSync(path.join(dir, 'data.csv'), 'x\n1\n2\n3\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the run, the step and loss, the replay verdict, and exits 0', async () => {
    const { code, stdout } = await run(['analyze', 'good.unroll-trace', '--step', '10'], dir);
    assert.equal(code, 0);
    assert.match(
      stdout,
      /^good\.unroll-trace · PyTorch GRU \(2 layers, hidden 4\) · snapshot at step 10 \(2 snapshots, steps 10…20\) · 8 steps, recorded row 1 of 2\n/,
    );
    assert.match(
      stdout,
      /\n {2}Replay of PyTorch step \d+[^:\n]*: gradients match PyTorch to \S+ \(float64, bound 1e-10\)\n/,
    );
    assert.match(stdout, /\n {2}PyTorch loss {4}2\.25 at step 10/);
    assert.doesNotMatch(stdout, /\n {2}loss {12}/, 'no Unroll loss line');
  });

  it('exits 4 when the replay does not match, 2 for a step the trace lacks', async () => {
    const skewed = await run(['analyze', 'skewed.unroll-trace'], dir);
    assert.equal(skewed.code, 4);
    assert.match(skewed.stdout, /gradients do NOT match PyTorch: relative error .* in weight_hh_l1/);
    const missing = await run(['analyze', 'good.unroll-trace', '--step', '15'], dir);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /^good\.unroll-trace\/index\.jsonl:1:1: the trace has no snapshot at step 15 \(hint: steps recorded: 10, 20\)/,
    );
  });

  it('refuses options that do not apply', async () => {
    for (const [argv, message] of [
      [['analyze', 'good.unroll-trace', '--cell', 'rnn'], /--cell does not apply to a trace/],
      [['analyze', 'good.unroll-trace', '--step', 'last'], /--step must be a training step/],
      [['analyze', 'data.csv', '--step', '3'], /--step picks a snapshot of a trace/],
    ] as const) {
      const { code, stderr } = await run([...argv], dir);
      assert.equal(code, 2, argv.join(' '));
      assert.match(stderr, message);
    }
  });
});
