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
    const { code, stdout, stderr } = await run([
      'analyze',
      'adding-lag50.csv',
      '--model',
      'adding-lag50.rnn.unroll.json',
    ]);
    assert.equal(code, 0, stderr);
    for (const label of [
      'loss',
      'memory horizon',
      'decay slope',
      'ρ = ',
      'σ_max = ',
      '1/γ = 1',
      'alive fraction',
      'gradient norm',
    ])
      assert.ok(stdout.includes(label), label);
    assert.match(
      stdout,
      /^adding-lag50\.rnn\.unroll\.json · seq-to-one · RNN \(tanh\), H=16 · 51 steps, training sequence 1 of 1000/,
    );
    assert.match(stdout, /lag-50/);
  });

  it('analyze --json - writes the §5 JSON to stdout and nothing else', async () => {
    const { code, stdout, stderr } = await run(['analyze', 'sine.csv', '--json', '-', '--cell', 'lstm']);
    assert.equal(code, 0, stderr);
    const json = JSON.parse(stdout);
    for (const key of [
      'model',
      'loss',
      'lossPerStep',
      'grads',
      'dLdh',
      'hidden',
      'flow',
      'whhByDistance',
      'spectral',
      'gradNorms',
      'clipped',
      'nonFinite',
    ])
      assert.ok(key in json, key);
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
    assert.deepEqual(assertProblemLines(stderr, 1), [
      'bad.csv:3:3: "oops" is not a number (column "b") (hint: every column except "sequence"/"id" must hold numbers)',
    ]);
  });

  it('a model file with several problems gives one line each', async () => {
    writeFileSync(path.join(dir, 'm.unroll.json'), '{\n  "data": "missing.csv",\n  "hiden": 3,\n  "cell": "lstn"\n}\n');
    const { code, stderr } = await run(['analyze', 'm.unroll.json'], dir);
    assert.equal(code, 2);
    const lines = assertProblemLines(stderr, 2);
    assert.match(lines[0], /^m\.unroll\.json:3:3: unknown field "hiden"; did you mean "hidden"\?/);
    assert.match(
      lines[1],
      /^m\.unroll\.json:4:11: "cell" must be one of rnn, lstm, gru, found "lstn"; did you mean "lstm"\?/,
    );
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
    for (const argv of [
      [],
      ['frobnicate'],
      ['analyze'],
      ['analyze', 'sine.csv', '--bogus'],
      ['analyze', 'sine.csv', '--cell', 'tcn'],
      ['train', 'sine.csv', '--epochs', '0'],
      ['train', 'sine.csv', '--save', 'w.pt'],
      ['analyze', 'sine.csv', '--flow-budget', '-1'],
      ['analyze', 'sine.csv', '--flow-budget', 'lots'],
    ]) {
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
    const { code, stdout, stderr } = await run([
      'train',
      'sine.rnn.unroll.json',
      '--epochs',
      '3',
      '--json',
      '--save',
      save,
    ]);
    assert.equal(code, 0, stderr);
    const lines = stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => l.type),
      ['progress', 'progress', 'progress', 'done'],
    );
    assert.deepEqual(
      lines.slice(0, 3).map((l) => l.epoch),
      [1, 2, 3],
    );
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
    for (const f of exampleSet('adding', 12))
      assert.equal(readFileSync(path.join(dir, 'ex', f.name), 'utf8'), f.contents);
    assert.equal((await run(['example', 'adding', '--lag', '12', '--out', 'ex'], dir)).code, 0);
    writeFileSync(path.join(dir, 'ex', 'adding-lag12.csv'), 'my own edits\n');
    const clash = await run(['example', 'adding', '--lag', '12', '--out', 'ex'], dir);
    assert.equal(clash.code, 2);
    assert.match(
      clash.stderr,
      /^ex\/adding-lag12\.csv:1:1: exists and differs from the example; not overwritten \(hint: use --force/,
    );
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
  describe('compare', () => {
    /** A model whose identity W_hh of radius 100 and learning rate 100 overflow within a few epochs. */
    const wild =
      '{ "data": "sine.csv", "cell": "rnn", "nonlinearity": "relu", "hidden": 8, "window": 40, "epochs": 4, "init": { "kind": "identity", "spectralRadius": 100 }, "optimizer": { "kind": "sgd", "lr": 100 } }';
    const copyExamples = (...names: string[]) =>
      names.forEach((n) => writeFileSync(path.join(dir, n), readFileSync(path.join(EXAMPLES, n))));

    it('model files side by side: one progress line per run per epoch, then the table and a verdict per run', async () => {
      const { code, stdout, stderr } = await run([
        'compare',
        'exploding.rnn.unroll.json',
        'exploding-clipped.rnn.unroll.json',
        '--epochs',
        '2',
      ]);
      assert.equal(code, 0, stderr);
      const progress = stdout.split('\n').filter((l) => /^\[\d\/2 /.test(l));
      assert.deepEqual(
        progress.map((l) => /^\[(\d)\/2 (\S+)\] epoch (\d)\/2 /.exec(l)!.slice(1).join(' ')),
        [
          '1 exploding.rnn.unroll.json 1',
          '1 exploding.rnn.unroll.json 2',
          '2 exploding-clipped.rnn.unroll.json 1',
          '2 exploding-clipped.rnn.unroll.json 2',
        ],
      );
      assert.match(
        stdout,
        /^run +weights +loss \(held-out vs baseline\) +horizon +step gain \/ σ_max +clipped batches$/m,
      );
      // The unclipped run has clipping off; the clipped one counts its clipped batches out of all of them.
      assert.match(stdout, /^exploding\.rnn\.unroll\.json +after 2 epochs.* off$/m);
      assert.match(stdout, /^exploding-clipped\.rnn\.unroll\.json +after 2 epochs .* \d+\/\d+$/m);
      assert.match(
        stdout,
        /^exploding-clipped\.rnn\.unroll\.json: [A-Z][\w ]*: training loss \(nothing held out\) [\d.e+-]+ vs [\d.e+-]+ for predicting the mean target .* After 2 epochs of training, the gradient /m,
      );
    });

    it("without --epochs every run trains its model file's epochs (the exploding pair: one diverges, one learns)", async () => {
      const { code, stdout, stderr } = await run([
        'compare',
        'exploding.rnn.unroll.json',
        'exploding-clipped.rnn.unroll.json',
        '--json',
        '-',
      ]);
      assert.equal(code, 0, stderr);
      const [plain, clipped] = JSON.parse(stdout).results;
      assert.equal(plain.training.reason, 'nonFinite');
      assert.deepEqual(
        [clipped.training.reason, clipped.training.epochs, clipped.meta.weights.kind],
        ['finished', 100, 'trained'],
      );
      assert.match(stderr, /^exploding-clipped\.rnn\.unroll\.json +after 100 epochs/m);
    });

    it('cells at initialization with --epochs 0; --json - puts only the JSON on stdout', async () => {
      const { code, stdout, stderr } = await run([
        'compare',
        'sine.csv',
        '--cells',
        'rnn,gru',
        '--epochs',
        '0',
        '--json',
        '-',
      ]);
      assert.equal(code, 0, stderr);
      const json = JSON.parse(stdout);
      assert.deepEqual(
        json.results.map((r: any) => [r.meta.label, r.model.cell, r.meta.weights.kind, r.training]),
        [
          ['rnn', 'rnn', 'initialization', undefined],
          ['gru', 'gru', 'initialization', undefined],
        ],
      );
      assert.match(stderr, /^rnn +at initialization/m);
      assert.doesNotMatch(stderr, /epoch/);
    });

    it('a run that diverges stays in the comparison, marked, and the compare exits 0', async () => {
      copyExamples('sine.csv', 'sine.rnn.unroll.json');
      writeFileSync(path.join(dir, 'wild.rnn.unroll.json'), wild);
      const { code, stdout, stderr } = await run(
        ['compare', 'wild.rnn.unroll.json', 'sine.rnn.unroll.json', '--epochs', '3', '--json', 'runs.json'],
        dir,
      );
      assert.equal(code, 0, stderr);
      assert.match(stdout, /^wild\.rnn\.unroll\.json +diverged in epoch \d/m);
      assert.match(stdout, /^sine\.rnn\.unroll\.json +after 3 epochs/m);
      assert.match(stdout, /^wild\.rnn\.unroll\.json: Training diverged at epoch \d/m);
      const { results } = JSON.parse(readFileSync(path.join(dir, 'runs.json'), 'utf8'));
      assert.deepEqual(
        results.map((r: any) => r.training.reason),
        ['nonFinite', 'finished'],
      );
    });

    it('Ctrl-C during the training stops every run, writes nothing and exits 130', async () => {
      let interrupt: (() => void) | undefined;
      let stdout = '';
      let stderr = '';
      const out = path.join(dir, 'runs.json');
      const code = await main(['compare', 'sine.csv', '--cells', 'rnn,lstm,gru', '--epochs', '500', '--json', out], {
        stdout: {
          write: (s: string) => {
            stdout += s;
            if (/epoch 1\//.test(s)) interrupt?.();
          },
        },
        stderr: { write: (s: string) => (stderr += s) },
        cwd: EXAMPLES,
        onInterrupt: (handler) => ((interrupt = handler), () => (interrupt = undefined)),
      });
      assert.equal(code, 130, stderr);
      assert.match(stderr, /nothing was written/);
      assert.ok(!existsSync(out));
      assert.deepEqual(
        stdout
          .trimEnd()
          .split('\n')
          .map((l) => l.slice(0, 6)),
        ['[1/3 r'],
        'one epoch of the first run, then the stop',
      );
    });

    it('refuses usage mistakes and an output onto an input before any run starts', async () => {
      for (const argv of [
        ['compare'],
        ['compare', 'exploding.rnn.unroll.json', 'exploding-clipped.rnn.unroll.json', '--cells', 'rnn'],
        ['compare', 'sine.csv', 'exploding.rnn.unroll.json'],
        ['compare', 'exploding.rnn.unroll.json', 'exploding.rnn.unroll.json'],
        ['compare', 'sine.csv', '--cells', 'rnn,tcn'],
        ['compare', 'sine.csv', '--cells', 'rnn,rnn'],
        ['compare', 'sine.csv', '--epochs', '1e3'],
      ]) {
        const { code, stderr } = await run(argv);
        assert.equal(code, 2, argv.join(' '));
        assert.match(stderr, /Run "unroll --help" for usage/, argv.join(' '));
      }
      copyExamples('sine.csv', 'exploding.rnn.unroll.json', 'exploding-clipped.rnn.unroll.json');
      const before = readFileSync(path.join(dir, 'exploding-clipped.rnn.unroll.json'), 'utf8');
      const onInput = await run(
        [
          'compare',
          'exploding.rnn.unroll.json',
          'exploding-clipped.rnn.unroll.json',
          '--epochs',
          '2',
          '--json',
          'exploding-clipped.rnn.unroll.json',
        ],
        dir,
      );
      assert.equal(onInput.code, 2);
      assertProblemLines(onInput.stderr, 1);
      assert.doesNotMatch(onInput.stdout, /epoch/, 'no run started');
      assert.equal(readFileSync(path.join(dir, 'exploding-clipped.rnn.unroll.json'), 'utf8'), before);
    });
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
    assert.equal(
      bad.stderr,
      'README.md:1:1: this is not a kind of sequence file Unroll reads (.md) (hint: Unroll reads .csv, .tsv, .tab, .txt, .text, .json and .npy files)\n',
    );
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

  /** The Results a report embeds (the webview reads the same block). */
  const embedded = (html: string): any[] =>
    JSON.parse(/<script type="application\/json" id="unroll-data">(.*?)<\/script>/s.exec(html)![1]);

  it('train --out writes the report with the training history: loss, held-out loss, ‖g‖ before clipping, clip events', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'unroll-report-'));
    try {
      const out = path.join(dir, 'trained.html');
      const run = exec(['train', 'exploding-clipped.rnn.unroll.json', '--epochs', '3', '--out', out]);
      assert.equal(run.status, 0, run.stderr);
      const [result] = embedded(readFileSync(out, 'utf8'));
      assert.equal(result.training.reason, 'finished');
      assert.deepEqual(
        result.training.history.map((p: any) => p.epoch),
        [1, 2, 3],
      );
      for (const p of result.training.history) {
        for (const key of ['loss', 'heldOutLoss', 'gradNorm', 'gradNormMax', 'clipped', 'batches'])
          assert.ok(key in p, key);
        assert.ok(p.clipped > 0 && p.clipped <= p.batches, 'τ = 1 clips these gradients');
      }
      assert.match(run.stdout, /wrote /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('train --out still writes the report of a diverged run (exit 3, no weights saved)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'unroll-report-'));
    try {
      writeFileSync(path.join(dir, 'sine.csv'), readFileSync(path.join(EXAMPLES, 'sine.csv')));
      writeFileSync(
        path.join(dir, 'wild.rnn.unroll.json'),
        '{ "data": "sine.csv", "cell": "rnn", "nonlinearity": "relu", "hidden": 8, "window": 40, "epochs": 4, "init": { "kind": "identity", "spectralRadius": 100 }, "optimizer": { "kind": "sgd", "lr": 100 } }',
      );
      const run = spawnSync(
        process.execPath,
        [CLI, 'train', 'wild.rnn.unroll.json', '--out', 'wild.html', '--save', 'w.safetensors'],
        { cwd: dir, encoding: 'utf8' },
      );
      assert.equal(run.status, 3, run.stderr);
      assert.ok(!existsSync(path.join(dir, 'w.safetensors')));
      const [result] = embedded(readFileSync(path.join(dir, 'wild.html'), 'utf8'));
      assert.equal(result.training.reason, 'nonFinite');
      assert.ok(result.training.nonFinite);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('compare --out writes every run, labelled, with its training, for the Compare tab', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'unroll-report-'));
    try {
      const out = path.join(dir, 'compare.html');
      const run = exec([
        'compare',
        'exploding.rnn.unroll.json',
        'exploding-clipped.rnn.unroll.json',
        '--epochs',
        '2',
        '--out',
        out,
      ]);
      assert.equal(run.status, 0, run.stderr);
      const results = embedded(readFileSync(out, 'utf8'));
      assert.deepEqual(
        results.map((r) => [r.meta.label, r.training.history.length]),
        [
          ['exploding.rnn.unroll.json', 2],
          ['exploding-clipped.rnn.unroll.json', 2],
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
