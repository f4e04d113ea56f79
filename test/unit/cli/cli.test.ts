import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { exampleSet, readSafetensors } from '../../../src/data';

const EXAMPLES = path.resolve(__dirname, '../../../examples');

async function run(argv: string[], cwd = EXAMPLES, tty = false) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: tty, columns: 100 },
    stderr: { write: (s: string) => (stderr += s) },
    cwd,
  });
  return { code, stdout, stderr };
}

/** `path:line:col: message` and nothing that looks like a stack trace. */
const PROBLEM_LINE = /^[^\s:][^:]*:\d+:\d+: .+$/;
function assertProblemLines(stderr: string, count: number): string[] {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, count, stderr);
  for (const line of lines) assert.match(line, PROBLEM_LINE);
  assert.doesNotMatch(stderr, /\n\s+at /);
  return lines;
}

describe('unroll CLI', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'unroll-cli-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('analyze prints the summary: loss, horizon, slope, ρ and σ_max against 1/γ, alive fraction, gradient norm', async () => {
    const { code, stdout, stderr } = await run(['analyze', 'adding-lag50.csv', '--model', 'adding-lag50.rnn.unroll.json']);
    assert.equal(code, 0, stderr);
    for (const label of ['loss', 'memory horizon', 'decay slope', 'ρ = ', 'σ_max = ', '1/γ = 1', 'alive fraction', 'gradient norm']) assert.ok(stdout.includes(label), label);
    assert.match(stdout, /^adding-lag50\.rnn\.unroll\.json · seq-to-one · RNN \(tanh\), H=16 · 51 steps, training sequence 1 of 1000/);
    assert.match(stdout, /lag-50/);
  });

  it('analyze --json - writes the §5 JSON to stdout and nothing else', async () => {
    const { code, stdout, stderr } = await run(['analyze', 'sine.csv', '--json', '-', '--cell', 'lstm']);
    assert.equal(code, 0, stderr);
    const json = JSON.parse(stdout);
    for (const key of ['model', 'loss', 'lossPerStep', 'grads', 'dLdh', 'hidden', 'flow', 'whhByDistance', 'spectral', 'gradNorms', 'clipped', 'nonFinite']) assert.ok(key in json, key);
    assert.equal(json.model.cell, 'lstm');
    assert.deepEqual([json.grads['rnn.weight_hh_l0'].length, json.grads['rnn.weight_hh_l0'][0].length], [64, 16]);
    assert.match(stderr, /memory horizon/);
  });

  it('analyze --flow-budget sets how many rows of the flow matrix are computed', async () => {
    const rows = async (...flags: string[]) => {
      const { code, stdout, stderr } = await run(['analyze', 'text.lstm.unroll.json', '--json', '-', ...flags]);
      assert.equal(code, 0, stderr);
      const { flow } = JSON.parse(stdout);
      return { rows: flow.steps.length, exact: flow.exact };
    };
    const byDefault = await rows();
    assert.equal(byDefault.exact, false);
    assert.deepEqual(await rows('--flow-budget', '10'), { rows: 100, exact: true });
    const less = await rows('--flow-budget', '0');
    assert.ok(less.rows <= byDefault.rows && less.rows < 100, `${less.rows} vs ${byDefault.rows}`);
  });

  it('analyze --json <file> writes the file and still prints the summary', async () => {
    const out = path.join(dir, 'r.json');
    const { code, stdout } = await run(['analyze', 'text.rnn.unroll.json', '--json', out]);
    assert.equal(code, 0);
    assert.equal(JSON.parse(readFileSync(out, 'utf8')).model.task, 'char-lm');
    assert.match(stdout, /wrote /);
  });

  it('analyze reads every format', async () => {
    const files: Record<string, string | Uint8Array> = {
      'a.tsv': 'x\ty\n1\t2\n3\t4\n5\t6\n',
      'a.json': '[[1, 2], [3, 4], [5, 6]]',
      'a.txt': 'hello world',
      'a.npy': readFileSync(path.resolve(__dirname, '../../fixtures/data/v2-f8-3d.npy')),
    };
    for (const [name, contents] of Object.entries(files)) {
      writeFileSync(path.join(dir, name), contents);
      const { code, stderr } = await run(['analyze', name], dir);
      assert.equal(code, 0, `${name}: ${stderr}`);
    }
  });

  it('bad input exits 2 with one path:line:col line per problem, relative to where the user stands', async () => {
    writeFileSync(path.join(dir, 'bad.csv'), 'a,b\n1,2\n3,oops\n');
    const { code, stdout, stderr } = await run(['analyze', 'bad.csv'], dir);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.deepEqual(assertProblemLines(stderr, 1), ['bad.csv:3:3: "oops" is not a number (column "b") (hint: every column except "sequence"/"id" must hold numbers)']);
  });

  it('a model file with several problems gives one line each', async () => {
    writeFileSync(path.join(dir, 'm.unroll.json'), '{\n  "data": "missing.csv",\n  "hiden": 3,\n  "cell": "lstn"\n}\n');
    const { code, stderr } = await run(['analyze', 'm.unroll.json'], dir);
    assert.equal(code, 2);
    const lines = assertProblemLines(stderr, 2);
    assert.match(lines[0], /^m\.unroll\.json:3:3: unknown field "hiden"; did you mean "hidden"\?/);
    assert.match(lines[1], /^m\.unroll\.json:4:11: "cell" must be one of rnn, lstm, gru, found "lstn"; did you mean "lstm"\?/);
  });

  it('a missing file, a path escaping the workspace, wrong weights: exit 2, positioned', async () => {
    assert.equal((await run(['analyze', 'nope.csv'], dir)).code, 2);
    writeFileSync(path.join(dir, 'm.unroll.json'), '{ "data": "../../x.csv" }');
    const escape = await run(['analyze', 'm.unroll.json'], dir);
    assert.equal(escape.code, 2);
    assertProblemLines(escape.stderr, 1);
    assert.match(escape.stderr, /^m\.unroll\.json:1:11: "data" points outside the workspace folder/);
    writeFileSync(path.join(dir, 's.csv'), 'v\n1\n2\n3\n');
    writeFileSync(path.join(dir, 'w.json'), '{ "fc.bias": [1, 2] }');
    const weights = await run(['analyze', 's.csv', '--weights', 'w.json'], dir);
    assert.equal(weights.code, 2);
    assert.match(weights.stderr, /^w\.json:1:1: missing tensor 'rnn\.weight_ih_l0'/);
  });

  it('usage mistakes exit 2 with a pointer to --help; --help exits 0', async () => {
    for (const argv of [[], ['frobnicate'], ['analyze'], ['analyze', 'sine.csv', '--bogus'], ['analyze', 'sine.csv', '--cell', 'tcn'], ['train', 'sine.csv', '--epochs', '0'], ['train', 'sine.csv', '--save', 'w.pt'], ['analyze', 'sine.csv', '--flow-budget', '-1'], ['analyze', 'sine.csv', '--flow-budget', 'lots']]) {
      const { code, stderr } = await run(argv);
      assert.equal(code, 2, argv.join(' '));
      assert.doesNotMatch(stderr, /\n\s+at /);
    }
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /unroll analyze/);
  });

  it('train --json streams one JSON line per epoch and a final line; --save writes loadable safetensors', async () => {
    const save = path.join(dir, 'trained.safetensors');
    const { code, stdout, stderr } = await run(['train', 'sine.rnn.unroll.json', '--epochs', '3', '--json', '--save', save]);
    assert.equal(code, 0, stderr);
    const lines = stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.type), ['progress', 'progress', 'progress', 'done']);
    assert.deepEqual(lines.slice(0, 3).map((l) => l.epoch), [1, 2, 3]);
    assert.equal(lines[3].reason, 'finished');
    const weights = readSafetensors(new Uint8Array(readFileSync(save)), save);
    assert.deepEqual(weights.get('rnn.weight_hh_l0')?.shape, [16, 16]);
  });

  it('train on a terminal draws a progress bar in place, then the summary', async () => {
    const { code, stdout } = await run(['train', 'sine.rnn.unroll.json', '--epochs', '2'], EXAMPLES, true);
    assert.equal(code, 0);
    assert.match(stdout, /^\r\[#+\.*\] epoch 1\/2 .*\r\[#+\] epoch 2\/2 .*\nTraining finished\./s);
    assert.match(stdout, /memory horizon/);
  });

  it('example writes the files, leaves identical ones alone, refuses to overwrite different ones', async () => {
    const first = await run(['example', 'adding', '--lag', '12', '--out', 'ex'], dir);
    assert.equal(first.code, 0, first.stderr);
    for (const f of exampleSet('adding', 12)) assert.equal(readFileSync(path.join(dir, 'ex', f.name), 'utf8'), f.contents);
    assert.equal((await run(['example', 'adding', '--lag', '12', '--out', 'ex'], dir)).code, 0);
    writeFileSync(path.join(dir, 'ex', 'adding-lag12.csv'), 'my own edits\n');
    const clash = await run(['example', 'adding', '--lag', '12', '--out', 'ex'], dir);
    assert.equal(clash.code, 2);
    assert.match(clash.stderr, /^ex\/adding-lag12\.csv:1:1: exists and differs from the example; not overwritten \(hint: use --force/);
    assert.equal(readFileSync(path.join(dir, 'ex', 'adding-lag12.csv'), 'utf8'), 'my own edits\n');
    assert.equal((await run(['example', 'adding', '--lag', '12', '--out', 'ex', '--force'], dir)).code, 0);
    assert.equal((await run(['example', 'sine', '--lag', '3'], dir)).code, 2);
  });

  it('example all writes the whole examples folder, which then analyzes', async () => {
    const { code } = await run(['example', 'all', '--out', 'examples'], dir);
    assert.equal(code, 0);
    assert.ok(existsSync(path.join(dir, 'examples', 'text.txt')));
    const analyzed = await run(['analyze', 'examples/exploding.rnn.unroll.json'], dir);
    assert.equal(analyzed.code, 0, analyzed.stderr);
  });
});

describe('unroll as a process (dist/cli.js)', () => {
  const ROOT = path.resolve(__dirname, '../../..');
  const CLI = path.join(ROOT, 'dist', 'cli.js');
  before(function () {
    // npm test builds first; a bare `mocha` run builds the bundles here.
    if (!existsSync(CLI)) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT });
  });
  const exec = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: EXAMPLES, encoding: 'utf8' });

  it('exits 0 on the demo command and 2 on bad input, with no stack trace', () => {
    const ok = exec(['analyze', 'adding-lag50.csv', '--model', 'adding-lag50.rnn.unroll.json']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /memory horizon/);
    const bad = exec(['analyze', 'README.md']);
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, 'README.md:1:1: this is not a kind of sequence file Unroll reads (.md) (hint: Unroll reads .csv, .tsv, .txt, .json and .npy files)\n');
  });

  it('--out writes a self-contained HTML report', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'unroll-report-'));
    try {
      const out = path.join(dir, 'report.html');
      const run = exec(['analyze', 'sine.gru.unroll.json', '--out', out]);
      assert.equal(run.status, 0, run.stderr);
      const html = readFileSync(out, 'utf8');
      assert.match(html, /^<!DOCTYPE html>/);
      assert.match(html, /"cell":"gru"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
