// Issue 10, family 6 and the CLI's Ctrl-C (family 3): unroll behaves like a Unix tool. A closed pipe ends it
// quietly, I/O failures are the user's to fix (exit 2 with the path), flags are strict, and no message shows
// "step -1" or "NaN" where there is nothing to measure. Process-level cases spawn the built dist/cli.js.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { EXAMPLES, runCli, useTempDir } from './helpers';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

function copyExamples(dir: string, ...names: string[]): void {
  for (const name of names) copyFileSync(path.join(EXAMPLES, name), path.join(dir, name));
}

/** One `path:line:col: message` line naming `file`, and no stack trace or "internal error". */
function assertOneProblemAbout(stderr: string, file: string): string {
  assert.doesNotMatch(stderr, /\n\s+at |internal error/, stderr);
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0], /^[^\s:][^:]*:\d+:\d+: .+$/);
  assert.ok(lines[0].includes(file), `${lines[0]} should name ${file}`);
  return lines[0];
}

describe('reliability: the CLI behaves like a Unix tool (family 6)', () => {
  const tmp = useTempDir();
  before(function () {
    this.timeout(120_000);
    // npm test builds first; a bare mocha run builds the bundles here.
    if (!existsSync(CLI)) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT });
  });

  it('`unroll train … | head -1` exits quietly when the reader closes the pipe', async () => {
    const child = spawn(process.execPath, [CLI, 'train', 'sine.rnn.unroll.json', '--epochs', '300'], { cwd: EXAMPLES });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    // Like head -1: read the first line, then close our end.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(stderr, '', 'no EPIPE stack trace');
    assert.equal(code, 0);
  });

  it('I/O failures are exit 2 with the path: --json to a folder, --out into a missing folder, example --out onto a file', async () => {
    const dir = tmp();
    copyExamples(dir, 'sine.csv');
    mkdirSync(path.join(dir, 'folder'));
    writeFileSync(path.join(dir, 'afile'), 'mine');
    const cases: [string[], string, RegExp][] = [
      [['analyze', 'sine.csv', '--json', 'folder'], 'folder', /this is a folder, not a file to write the JSON to/],
      [['analyze', 'sine.csv', '--out', 'missing/r.html'], 'missing/r.html', /the folder .*missing does not exist/],
      [
        ['example', 'sine', '--out', 'afile'],
        'afile',
        /cannot create the folder for the examples: a file is in the way/,
      ],
      [
        ['example', 'sine', '--out', 'afile/sub'],
        'afile/sub',
        /cannot create the folder for the examples: a file is in the way/,
      ],
    ];
    for (const [argv, file, message] of cases) {
      const run = await runCli(argv, dir);
      assert.equal(run.code, 2, `${argv.join(' ')}: ${run.stderr}`);
      assert.match(assertOneProblemAbout(run.stderr, file), message);
    }
  });

  it('numeric flags are strict: hex, exponent, blanks and empty values are refused, naming the flag', async () => {
    for (const [flag, value] of [
      ['--epochs', '0x10'],
      ['--epochs', '1e3'],
      ['--epochs', ''],
      ['--epochs', ' 5'],
      ['--epochs', '5 '],
      ['--max-steps', '0x10'],
      ['--max-steps', '1e2'],
      ['--flow-budget', ''],
      ['--flow-budget', '0x1'],
      ['--flow-budget', ' 1'],
      ['--flow-budget', '1e0'],
    ]) {
      const run = await runCli(['train', 'sine.rnn.unroll.json', flag, value, '--json']);
      assert.equal(run.code, 2, `${flag} "${value}": ${run.stdout.slice(0, 200)}`);
      assert.match(run.stderr, new RegExp(`^unroll: ${flag} must be .*, got "${value}"`));
      assert.equal(run.stdout, '');
    }
    assert.equal((await runCli(['analyze', 'sine.csv', '--max-steps', '50', '--flow-budget', '0.5'])).code, 0);
  });

  it('analyze a.unroll.json --model b.unroll.json is refused (it used to ignore --model), and --help says so', async () => {
    const run = await runCli(['analyze', 'sine.rnn.unroll.json', '--model', 'sine.lstm.unroll.json']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^unroll: --model applies to a sequence file; sine\.rnn\.unroll\.json is a model file/);
    assert.equal(run.stdout, '');
    assert.equal((await runCli(['train', 'sine.rnn.unroll.json', '--model', 'sine.lstm.unroll.json'])).code, 2);
    assert.match(
      (await runCli(['--help'])).stdout,
      /--model applies to a sequence file; a \*\.unroll\.json already names its data, so giving both is refused/,
    );
  });

  it('a FIFO or a device is named as such and refused, and reading a FIFO does not hang', function () {
    const dir = tmp();
    execFileSync('mkfifo', [path.join(dir, 'pipe.csv')]);
    symlinkSync('/dev/zero', path.join(dir, 'zero.safetensors'));
    copyExamples(dir, 'sine.csv');
    // A process with a deadline: before the fix, reading the FIFO waited for a writer forever.
    const fifo = spawnSync(process.execPath, [CLI, 'analyze', 'pipe.csv'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(fifo.status, 2, `${fifo.signal ?? ''} ${fifo.stderr}`);
    assert.match(assertOneProblemAbout(fifo.stderr, 'pipe.csv'), /is a FIFO \(named pipe\), not a regular file/);
    // `example` compares an existing file with the example before replacing it: a FIFO there is refused, not read.
    mkdirSync(path.join(dir, 'ex'));
    execFileSync('mkfifo', [path.join(dir, 'ex', 'sine.csv')]);
    const example = spawnSync(process.execPath, [CLI, 'example', 'sine', '--out', 'ex'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(example.status, 2, `${example.signal ?? ''} ${example.stderr}`);
    assert.match(
      assertOneProblemAbout(example.stderr, 'ex/sine.csv'),
      /this is a FIFO \(named pipe\), not a regular file; Unroll writes the example file to regular files only/,
    );
    const device = spawnSync(process.execPath, [CLI, 'analyze', 'sine.csv', '--weights', 'zero.safetensors'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(device.status, 2, device.stderr);
    assert.match(assertOneProblemAbout(device.stderr, 'zero.safetensors'), /is a device, not a regular file/);
  });

  it('a divergence in the gradient norm never says "at step -1"', async () => {
    const dir = tmp();
    copyExamples(dir, 'sine.csv');
    // fc.weight of 1e151: every value is finite, but the sum of squares in the gradient norm overflows.
    const H = 8;
    const rows = (n: number, v: unknown) => Array.from({ length: n }, () => v);
    const weights = {
      'rnn.weight_ih_l0': rows(H, [0.5]),
      'rnn.weight_hh_l0': rows(H, rows(H, 0.1)),
      'rnn.bias_ih_l0': rows(H, 0),
      'rnn.bias_hh_l0': rows(H, 0),
      'fc.weight': [rows(H, 1e151)],
      'fc.bias': [0],
    };
    writeFileSync(path.join(dir, 'big.json'), JSON.stringify(weights));
    writeFileSync(
      path.join(dir, 'm.unroll.json'),
      '{ "data": "sine.csv", "cell": "rnn", "hidden": 8, "window": 20, "weights": "big.json", "optimizer": { "kind": "sgd", "lr": 0.01 } }',
    );
    const run = await runCli(['train', 'm.unroll.json', '--epochs', '2'], dir);
    assert.doesNotMatch(run.stdout + run.stderr, /step -1/);
    assert.match(
      run.stdout,
      /^Training diverged in epoch 1, batch 1 of \d+: the global gradient norm ‖∂L\/∂θ‖ overflows a 64-bit float \(every gradient entry is finite\)\. No batch was finite\. Weights were not saved\./,
    );
    assert.equal(run.code, 3, run.stderr);
  });

  it('a one-step sequence gives no "decay slope NaN": there is no distance to measure', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'two.csv'), 'x\n1\n2\n');
    const run = await runCli(['analyze', 'two.csv'], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stdout, /NaN/);
    assert.match(run.stdout, /decay slope {5}none: a slope needs the gradient at two distances or more/);
    assert.match(run.stdout, /With a single step the gradient has no distance to travel/);
  });
});

describe('reliability: Ctrl-C in the CLI (family 3)', () => {
  const tmp = useTempDir();

  /** `unroll …` in this process with a Ctrl-C already pressed when the run registers for it. */
  async function runInterrupted(argv: string[], cwd: string) {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, {
      stdout: { write: (s: string) => (stdout += s), isTTY: false },
      stderr: { write: (s: string) => (stderr += s) },
      cwd,
      onInterrupt(handler) {
        handler();
        return () => {};
      },
    });
    return { code, stdout, stderr };
  }

  it('a Ctrl-C during loading stops before any compute: exit 130, nothing written', async () => {
    const dir = tmp();
    copyExamples(dir, 'sine.csv', 'sine.rnn.unroll.json');
    const analyze = await runInterrupted(['analyze', 'sine.csv', '--json', 'r.json'], dir);
    assert.equal(analyze.code, 130, analyze.stderr);
    assert.equal(analyze.stdout, '');
    assert.match(analyze.stderr, /unroll: stopped \(Ctrl-C\); nothing was written\n$/);
    const train = await runInterrupted(
      ['train', 'sine.rnn.unroll.json', '--epochs', '5', '--save', 'w.safetensors'],
      dir,
    );
    assert.equal(train.code, 130, train.stderr);
    assert.doesNotMatch(train.stdout, /epoch/);
    assert.deepEqual(readdirSync(dir).sort(), ['sine.csv', 'sine.rnn.unroll.json']);
  });

  it('a second Ctrl-C ends the process at once with 130', async function () {
    if (!existsSync(CLI)) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT });
    const child = spawn(process.execPath, [CLI, 'train', 'text.lstm.unroll.json', '--epochs', '10000', '--json'], {
      cwd: EXAMPLES,
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGINT');
    // The first stops training at the next batch; the second comes before the save and the final analysis end.
    await new Promise((resolve) => setTimeout(resolve, 5));
    child.kill('SIGINT');
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('close', (c, s) => resolve([c, s])),
    );
    // Either our handler exits with 130, or the default action ends the process by SIGINT (the shell shows 130).
    assert.ok(code === 130 || signal === 'SIGINT', `exit ${code} ${signal}: ${stderr}`);
    assert.doesNotMatch(stderr, /\n\s+at /);
  });
});
