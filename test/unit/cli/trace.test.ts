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
    const bi = path.join(dir, 'bi.unroll-trace');
    mkdirSync(bi);
    writeFileSync(path.join(bi, 'index.jsonl'), indexLine(5));
    writeFileSync(
      path.join(bi, 'step-5.safetensors'),
      snapshotBytes(randomSnapshot(config({ mode: 'LSTM', bidirectional: true }), 2, 6), { step: 5 }),
    );
    writeFileSync(path.join(dir, 'data.csv'), 'x\n1\n2\n3\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the run, the step and loss, the replay verdict, and exits 0', async () => {
    const { code, stdout } = await run(['analyze', 'good.unroll-trace', '--step', '10'], dir);
    assert.equal(code, 0);
    assert.match(
      stdout,
      /^good\.unroll-trace · PyTorch GRU \(2 layers, hidden 4\) · snapshot at step 10 \(2 snapshots, steps 10…20\) · layer 1 · 8 steps, recorded row 1 of 2\n/,
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

  it('--layer N and --reverse pick the layer and direction the views show', async () => {
    const first = await run(['analyze', 'good.unroll-trace', '--layer', '0', '--json', '-'], dir);
    assert.equal(first.code, 0, first.stderr);
    const json = JSON.parse(first.stdout) as {
      trace: { layer: number; reverse: boolean };
      spectral: { matrix: string };
      meta: { notes: string[] };
    };
    assert.deepEqual([json.trace.layer, json.trace.reverse], [0, false]);
    assert.equal(json.spectral.matrix, 'weight_hh_l0[n]');
    assert.ok(json.meta.notes.some((n) => /^The views show layer 0 of 2 \(0 to 1\),/.test(n)));
    assert.match(first.stderr, /snapshot at step 20 \(2 snapshots, steps 10…20\) · layer 0 · /);
    const last = await run(['analyze', 'good.unroll-trace', '--json', '-'], dir);
    assert.equal((JSON.parse(last.stdout) as { spectral: { matrix: string } }).spectral.matrix, 'weight_hh_l1[n]');
    const reverse = await run(['analyze', 'bi.unroll-trace', '--reverse'], dir);
    assert.equal(reverse.code, 0, reverse.stderr);
    assert.match(reverse.stdout, / · layer 0, reverse direction · 6 steps/);
    assert.match(reverse.stdout, /weight_hh_l0_reverse\[g\]/);
    const forward = await run(['analyze', 'bi.unroll-trace'], dir);
    assert.match(forward.stdout, / · layer 0, forward direction · 6 steps/);
  });

  it('refuses a layer or direction the module does not have, naming the valid range (exit 2)', async () => {
    const high = await run(['analyze', 'good.unroll-trace', '--layer', '2'], dir);
    assert.equal(high.code, 2);
    assert.match(
      high.stderr,
      /^good\.unroll-trace\/step-20\.safetensors:1:1: this GRU has no layer 2: it has layers 0 to 1 .*\(hint: pick one of layers 0 to 1\)/,
    );
    const one = await run(['analyze', 'bi.unroll-trace', '--layer', '1'], dir);
    assert.equal(one.code, 2);
    assert.match(one.stderr, /this LSTM has no layer 1: it has only layer 0/);
    const notBi = await run(['analyze', 'good.unroll-trace', '--reverse'], dir);
    assert.equal(notBi.code, 2);
    assert.match(notBi.stderr, /this GRU is not bidirectional: it has no reverse direction/);
  });

  it('refuses options that do not apply', async () => {
    for (const [argv, message] of [
      [['analyze', 'good.unroll-trace', '--cell', 'rnn'], /--cell does not apply to a trace/],
      [['analyze', 'good.unroll-trace', '--step', 'last'], /--step must be a training step/],
      [['analyze', 'data.csv', '--step', '3'], /--step picks a snapshot of a trace/],
      [['analyze', 'data.csv', '--layer', '0'], /--layer picks what a trace replay shows/],
      [['analyze', 'data.csv', '--reverse'], /--reverse picks what a trace replay shows/],
      [['analyze', 'good.unroll-trace', '--layer=-1'], /--layer must be a layer number from 0/],
      [['analyze', 'good.unroll-trace', '--layer', 'top'], /--layer must be a layer number from 0/],
    ] as const) {
      const { code, stderr } = await run([...argv], dir);
      assert.equal(code, 2, argv.join(' '));
      assert.match(stderr, message);
    }
  });
});
