// Issue 10, family 3: the cost of a run is known before anything large is allocated. Shapes that once took 15 GB or
// 400 s are refused in about a second (exit 2) with the field that drives the cost, where it is written, a value
// that fits and the setting or flag that raises the limit; and the estimate is honest against a measured peak.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../src/data';
import { nodeFiles } from '../../src/data/nodeFiles';
import type { EngineSettings } from '../../src/protocol/messages';
import { runAnalyze, runCompare } from '../../src/worker/jobs';
import { runCli, runCliMeasured, useTempDir } from './helpers';

/** A text with `vocabulary` distinct characters (from U+4E00) and `length` characters in all. */
function text(vocabulary: number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += String.fromCharCode(0x4e00 + ((i * 7919) % vocabulary));
  return out;
}

/** A CSV of `rows` rows of one column x, split into `sequences` sequences. */
function csv(rows: number, sequences = 1): string {
  const lines = [sequences > 1 ? 'sequence,x' : 'x'];
  for (let r = 0; r < rows; r++) {
    const x = Math.sin(r / 7).toFixed(4);
    lines.push(sequences > 1 ? `${r % sequences},${x}` : x);
  }
  return `${lines.join('\n')}\n`;
}

/** "about 1.2 GB" in a message, in bytes. */
function bytesIn(message: string): number {
  const m = /about ([\d.]+) (KB|MB|GB) of memory/.exec(message);
  assert.ok(m, `no memory figure in: ${message}`);
  return Number(m[1]) * 1024 ** { KB: 1, MB: 2, GB: 3 }[m[2] as 'KB' | 'MB' | 'GB'];
}

describe('cost: known up front, refused over the limits', () => {
  const dir = useTempDir();
  const write = (name: string, content: string) => writeFileSync(path.join(dir(), name), content);

  it('a text with a large vocabulary and "window": 1000000 is refused at the window field, with a window that fits', async () => {
    write('big.txt', text(4000, 8000));
    write('big.unroll.json', '{\n  "data": "big.txt",\n  "window": 1000000\n}\n');
    const started = Date.now();
    const run = await runCli(['analyze', 'big.unroll.json', '--max-memory', '256'], dir());
    assert.equal(run.code, 2, run.stderr);
    assert.ok(Date.now() - started < 20_000, 'refused before the work');
    assert.match(
      run.stderr,
      /^big\.unroll\.json:3:13: "window" 1000000 \(7999 steps here\) × vocabulary 4000 .*needs about [\d.]+ GB of memory; the limit is 256\.0 MB/m,
    );
    const fits = Number(/lower "window" to (\d+) or less/.exec(run.stderr)?.[1]);
    assert.ok(fits >= 1 && fits < 7999, run.stderr);
    assert.match(run.stderr, /unroll\.maxMemoryMB setting or --max-memory MB/);
    // The window suggested fits the memory limit (a zero work limit stops the run right after the memory check).
    write('big.unroll.json', `{ "data": "big.txt", "window": ${fits} }\n`);
    const again = await runCli(['analyze', 'big.unroll.json', '--max-memory', '256', '--max-work', '0.001'], dir());
    assert.match(again.stderr, /billion multiply-adds; the limit is/);
  });

  it('an LSTM with "hidden": 512 and a huge window on a CSV is refused, naming window × hidden', async () => {
    write('long.csv', csv(5000));
    write('long.unroll.json', '{ "data": "long.csv", "cell": "lstm", "hidden": 512, "window": 1000000 }\n');
    const run = await runCli(['analyze', 'long.unroll.json', '--max-memory', '256'], dir());
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /^long\.unroll\.json:1:64: "window" 1000000 \(4999 steps here\) × "hidden" 512 \(lstm states kept for BPTT\) needs about [\d.]+ MB of memory; the limit is 256\.0 MB \(hint: lower "window" to \d+ or less/m,
    );
  });

  it('"hidden": 4096 on a 199-step file is refused by the default work limit, at the hidden field', async () => {
    write('short.csv', csv(200));
    write('short.unroll.json', '{\n  "data": "short.csv",\n  "hidden": 4096\n}\n');
    const started = Date.now();
    const run = await runCli(['analyze', 'short.unroll.json'], dir());
    assert.equal(run.code, 2, run.stderr);
    assert.ok(Date.now() - started < 20_000, 'refused before the work');
    assert.match(
      run.stderr,
      /^short\.unroll\.json:3:13: "hidden" 4096 \(ρ and σ_max of a 4096×4096 matrix\) needs about [\d,]+ billion multiply-adds; the limit is 120 billion \(hint: lower "hidden" to \d+ or less, or raise the limit with the unroll\.maxWork setting or --max-work N\)/m,
    );
  });

  it('training counts a batch of 16 windows: a shape that analyzes within the limit can be refused for training', async () => {
    write('many.csv', csv(16 * 2001, 16));
    write('many.unroll.json', '{ "data": "many.csv", "cell": "gru", "hidden": 128, "window": 2000 }\n');
    const analyzed = await runCli(['analyze', 'many.unroll.json', '--max-memory', '128', '--max-work', '0.001'], dir());
    assert.doesNotMatch(analyzed.stderr, /of memory/, 'the analysis alone fits the memory limit');
    const trained = await runCli(['train', 'many.unroll.json', '--max-memory', '128', '--epochs', '1'], dir());
    assert.equal(trained.code, 2, trained.stderr);
    assert.match(
      trained.stderr,
      /"window" 2000 × "hidden" 128 \(gru states kept for BPTT, a training batch of 16\) needs about [\d.]+ MB of memory/,
    );
  });

  it("Compare checks the cost of every cell it runs, not only the model's", async () => {
    write('c.csv', csv(3001));
    write('c.unroll.json', '{ "data": "c.csv", "cell": "rnn", "hidden": 256, "window": 3000 }\n');
    const settings: EngineSettings = {
      maxSteps: 512,
      flowBudget: 1,
      defaultCell: 'rnn',
      maxMemoryMB: 100,
      maxWork: 30,
    };
    const source = { path: path.join(dir(), 'c.unroll.json'), workspaceRoot: dir() };
    await runAnalyze(source, settings, nodeFiles);
    await assert.rejects(runCompare(source, settings, nodeFiles, ['rnn', 'lstm', 'gru']), (e: InputError) => {
      assert.match(
        e.problems[0].message,
        /^"window" 3000 × "hidden" 256 \(lstm states kept for BPTT\) needs about [\d.]+ MB of memory; the limit is 100\.0 MB$/,
      );
      return true;
    });
  });

  it('every bundled example analyzes within the default limits', async () => {
    for (const model of [
      'adding-lag200.lstm.unroll.json',
      'text.gru.unroll.json',
      'exploding.rnn.unroll.json',
      'copy-lag30.gru.unroll.json',
    ]) {
      const run = await runCli(['analyze', model]);
      assert.equal(run.code, 0, `${model}: ${run.stderr}`);
    }
  });

  describe('the estimate is honest: within 0.5–2× of the peak measured in a child process', () => {
    const cases: { name: string; files: Record<string, string>; argv: string[] }[] = [
      {
        name: 'one-hot text, vocabulary 1000, 5000 steps',
        files: { 't.txt': text(1000, 5001), 't.unroll.json': '{ "data": "t.txt", "window": 5000 }' },
        argv: ['analyze', 't.unroll.json'],
      },
      {
        name: 'lstm, hidden 128, 10000 steps',
        files: {
          'l.csv': csv(10001),
          'l.unroll.json': '{ "data": "l.csv", "cell": "lstm", "hidden": 128, "window": 10000 }',
        },
        argv: ['analyze', 'l.unroll.json'],
      },
      {
        name: 'gru training, 16 windows of 2000 steps, hidden 64',
        files: {
          'g.csv': csv(16 * 2001, 16),
          'g.unroll.json': '{ "data": "g.csv", "cell": "gru", "hidden": 64, "window": 2000 }',
        },
        argv: ['train', 'g.unroll.json', '--epochs', '1'],
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        for (const [name, content] of Object.entries(c.files)) write(name, content);
        const refused = await runCli([...c.argv, '--max-memory', '1'], dir());
        const estimate = bytesIn(refused.stderr);
        const run = runCliMeasured([...c.argv, '--max-memory', '100000', '--max-work', '1000'], dir());
        assert.equal(run.code, 0, run.stderr);
        const ratio = estimate / run.growthBytes;
        console.log(
          `      estimate ${(estimate / 2 ** 20).toFixed(0)} MB, measured ${(run.growthBytes / 2 ** 20).toFixed(0)} MB (×${ratio.toFixed(2)})`,
        );
        assert.ok(ratio >= 0.5 && ratio <= 2, `estimate ${estimate} vs measured ${run.growthBytes}`);
      });
    }
  });
});
