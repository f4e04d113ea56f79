// Issue 10, families 1 and 2: no output ever lands on an input, a save that cannot happen is refused before any
// training, writes are whole or absent, and saved weights hold exactly what training produced (never Infinity).
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { encodeWeights, InputError, readSafetensors } from '../../src/data';
import { nodeFiles, nodeWrites } from '../../src/data/nodeFiles';
import { runTrain } from '../../src/worker/jobs';
import { EXAMPLES, runCli, useTempDir } from './helpers';

/** `path:line:col: message` lines only, and no stack trace. */
function assertProblemLines(stderr: string): string[] {
  const lines = stderr.trimEnd().split('\n');
  for (const line of lines) assert.match(line, /^[^\s:][^:]*:\d+:\d+: .+$/, stderr);
  assert.doesNotMatch(stderr, /\n\s+at |internal error/);
  return lines;
}

function copyExamples(dir: string, ...names: string[]): void {
  for (const name of names) copyFileSync(path.join(EXAMPLES, name), path.join(dir, name));
}

describe('reliability: outputs never destroy an input (family 1)', () => {
  const tmp = useTempDir();

  it('analyze X --out X and --json X (data, model, through a link) are refused before any compute; the file is untouched', async () => {
    const dir = tmp();
    copyExamples(dir, 'sine.csv', 'sine.rnn.unroll.json');
    symlinkSync(path.join(dir, 'sine.csv'), path.join(dir, 'alias.csv'));
    const data = readFileSync(path.join(dir, 'sine.csv'));
    const model = readFileSync(path.join(dir, 'sine.rnn.unroll.json'));
    const cases = [
      ['analyze', 'sine.csv', '--json', 'sine.csv'],
      ['analyze', 'sine.csv', '--out', 'sine.csv'],
      ['analyze', 'sine.rnn.unroll.json', '--json', 'sine.rnn.unroll.json'],
      ['analyze', 'sine.rnn.unroll.json', '--out', 'sine.csv'],
      ['analyze', 'sine.csv', '--out', 'alias.csv'],
      ['analyze', 'alias.csv', '--json', './sub/../sine.csv'],
    ];
    mkdirSync(path.join(dir, 'sub'));
    for (const argv of cases) {
      const run = await runCli(argv, dir);
      assert.equal(run.code, 2, `${argv.join(' ')}: ${run.stderr}`);
      assert.equal(run.stdout, '', 'no summary: nothing was computed');
      const [line] = assertProblemLines(run.stderr);
      assert.match(
        line,
        /: this is the (data|model) file of this run; writing the (report|JSON) here would destroy it/,
      );
    }
    assert.deepEqual(readFileSync(path.join(dir, 'sine.csv')), data);
    assert.deepEqual(readFileSync(path.join(dir, 'sine.rnn.unroll.json')), model);
  });

  it('the same output named twice (--json x --out x) is refused', async () => {
    const dir = tmp();
    copyExamples(dir, 'sine.csv');
    const run = await runCli(['analyze', 'sine.csv', '--json', 'r.out', '--out', 'r.out'], dir);
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      assertProblemLines(run.stderr)[0],
      /^r\.out:1:1: the JSON and the report would both be written to this file/,
    );
    assert.deepEqual(readdirSync(dir), ['sine.csv']);
  });

  it('train --save onto its own weights, data or model is refused; --force may update the weights it started from', async () => {
    const dir = tmp();
    copyExamples(dir, 'sine.csv', 'sine.rnn.unroll.json');
    assert.equal(
      (await runCli(['train', 'sine.rnn.unroll.json', '--epochs', '1', '--save', 'w.safetensors'], dir)).code,
      0,
    );
    const weights = readFileSync(path.join(dir, 'w.safetensors'));
    const onWeights = await runCli(
      ['train', 'sine.rnn.unroll.json', '--weights', 'w.safetensors', '--epochs', '1', '--save', 'w.safetensors'],
      dir,
    );
    assert.equal(onWeights.code, 2, onWeights.stderr);
    assert.match(assertProblemLines(onWeights.stderr)[0], /^w\.safetensors:1:1: this is the weights file of this run/);
    assert.deepEqual(readFileSync(path.join(dir, 'w.safetensors')), weights);
    writeFileSync(path.join(dir, 'm.unroll.json'), '{ "data": "sine.csv", "cell": "rnn", "hidden": 4 }');
    const onModel = await runCli(
      ['train', 'm.unroll.json', '--epochs', '1', '--save', 'm.unroll.json.safetensors', '--force'],
      dir,
    );
    assert.equal(onModel.code, 0, 'a new name beside the model is fine');
    symlinkSync(path.join(dir, 'm.unroll.json'), path.join(dir, 'link.safetensors'));
    const throughLink = await runCli(
      ['train', 'm.unroll.json', '--epochs', '1', '--save', 'link.safetensors', '--force'],
      dir,
    );
    assert.equal(throughLink.code, 2, throughLink.stderr);
    assert.match(throughLink.stderr, /this is the model file of this run/);
    const forced = await runCli(
      [
        'train',
        'sine.rnn.unroll.json',
        '--weights',
        'w.safetensors',
        '--epochs',
        '1',
        '--save',
        'w.safetensors',
        '--force',
      ],
      dir,
    );
    assert.equal(forced.code, 0, forced.stderr);
    assert.notDeepEqual(readFileSync(path.join(dir, 'w.safetensors')), weights);
  });

  it('train --save over a file Unroll did not write is refused unless --force; its own weights are replaced', async () => {
    const dir = tmp();
    copyExamples(dir, 'sine.csv', 'sine.rnn.unroll.json');
    writeFileSync(path.join(dir, 'theirs.safetensors'), 'a file someone else made');
    const refused = await runCli(
      ['train', 'sine.rnn.unroll.json', '--epochs', '2', '--save', 'theirs.safetensors'],
      dir,
    );
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(refused.stdout, '', 'refused before the first epoch');
    assert.match(
      assertProblemLines(refused.stderr)[0],
      /^theirs\.safetensors:1:1: this file exists and was not written by Unroll; it is not overwritten \(hint: add --force/,
    );
    assert.equal(readFileSync(path.join(dir, 'theirs.safetensors'), 'utf8'), 'a file someone else made');
    assert.equal(
      (await runCli(['train', 'sine.rnn.unroll.json', '--epochs', '1', '--save', 'theirs.safetensors', '--force'], dir))
        .code,
      0,
    );
    assert.equal(
      readSafetensors(new Uint8Array(readFileSync(path.join(dir, 'theirs.safetensors'))), 'theirs').get('fc.bias')
        ?.shape[0],
      1,
    );
    assert.equal(
      (await runCli(['train', 'sine.rnn.unroll.json', '--epochs', '1', '--save', 'theirs.safetensors'], dir)).code,
      0,
      'now Unroll wrote it',
    );
  });

  it('a missing folder, a folder, a device or an unwritable place as --save target: exit 2 with the path, before training', async () => {
    const dir = tmp();
    copyExamples(dir, 'sine.csv', 'sine.rnn.unroll.json');
    mkdirSync(path.join(dir, 'folder.safetensors'));
    symlinkSync('/dev/null', path.join(dir, 'null.safetensors'));
    const cases: [string, RegExp][] = [
      [path.join(dir, 'missing', 'w.safetensors'), /the folder .*missing does not exist/],
      [path.join(dir, 'folder.safetensors'), /this is a folder, not a file to write the weights to/],
      [path.join(dir, 'sine.csv', 'w.safetensors'), /sine\.csv is a file, not a folder/],
      [
        path.join(dir, 'null.safetensors'),
        /this is a device, not a regular file; Unroll writes the weights to regular files only/,
      ],
      // /sys refuses new files even to root, so this holds on any machine.
      ['/sys/unroll-test.safetensors', /cannot write the weights here: permission denied/],
    ];
    for (const [save, message] of cases) {
      const run = await runCli(['train', 'sine.rnn.unroll.json', '--epochs', '50', '--save', save], dir);
      assert.equal(run.code, 2, `${save}: ${run.stderr}`);
      assert.equal(run.stdout, '', `${save}: refused before the first epoch`);
      const [line] = assertProblemLines(run.stderr);
      assert.ok(line.includes(path.relative(dir, save).startsWith('..') ? save : path.relative(dir, save)), line);
      assert.match(line, message);
    }
  });

  it('the worker preflights its save too: a confirmed target may update the weights, never the data, before any epoch', async () => {
    const dir = tmp();
    copyExamples(dir, 'sine.csv', 'sine.rnn.unroll.json');
    assert.equal(
      (await runCli(['train', 'sine.rnn.unroll.json', '--epochs', '1', '--save', 'w.safetensors'], dir)).code,
      0,
    );
    const source = {
      path: path.join(dir, 'sine.rnn.unroll.json'),
      workspaceRoot: dir,
      weights: path.join(dir, 'w.safetensors'),
    };
    const settings = { maxSteps: 100, flowBudget: 1, defaultCell: 'rnn' as const, maxMemoryMB: 2048, maxWork: 30 };
    let epochs = 0;
    const hooks = { onProgress: () => epochs++, shouldStop: () => false, yieldNow: async () => {} };
    // The extension's save target was confirmed in a quick pick: the handler passes force.
    const train = (saveTo: string) =>
      runTrain(source, settings, nodeFiles, { epochs: 3, saveTo, force: true, writes: nodeWrites }, hooks);
    await assert.rejects(
      train(path.join(dir, 'sine.csv')),
      (e: unknown) => e instanceof InputError && /this is the data file of this run/.test(e.message),
    );
    await assert.rejects(
      train(path.join(dir, 'nowhere', 'w.safetensors')),
      (e: unknown) => e instanceof InputError && /does not exist/.test(e.message),
    );
    assert.equal(epochs, 0, 'refused before the first epoch');
    assert.equal((await train(path.join(dir, 'w.safetensors'))).saved, path.join(dir, 'w.safetensors'));
  });

  it('writes go through a temporary file and a rename: a new file every time, the old mode kept, nothing left behind', async () => {
    const dir = tmp();
    copyExamples(dir, 'sine.csv');
    const out = path.join(dir, 'r.json');
    writeFileSync(out, 'old contents', { mode: 0o640 });
    const before = statSync(out);
    const run = await runCli(['analyze', 'sine.csv', '--json', 'r.json'], dir);
    assert.equal(run.code, 0, run.stderr);
    const after = statSync(out);
    assert.notEqual(after.ino, before.ino, 'replaced by a rename, not rewritten in place');
    assert.equal(after.mode & 0o777, 0o640);
    assert.equal(JSON.parse(readFileSync(out, 'utf8')).model.task, 'next-step');
    assert.deepEqual(readdirSync(dir).sort(), ['r.json', 'sine.csv']);
  });

  it('a write that fails leaves the target as it was and no temporary file', async () => {
    const dir = tmp();
    mkdirSync(path.join(dir, 'busy'));
    writeFileSync(path.join(dir, 'busy', 'keep'), 'x');
    await assert.rejects(nodeWrites.writeFile(path.join(dir, 'busy'), 'new'));
    assert.deepEqual(readdirSync(dir), ['busy']);
    assert.deepEqual(readdirSync(path.join(dir, 'busy')), ['keep']);
  });
});

describe('reliability: saved weights are what training produced (family 2)', () => {
  const tmp = useTempDir();

  it('the exploding example trained 30 epochs saves finite weights (as F64 when F32 overflows), and says so', async () => {
    const dir = tmp();
    copyExamples(dir, 'sine.csv', 'exploding.rnn.unroll.json');
    const run = await runCli(['train', 'exploding.rnn.unroll.json', '--epochs', '30', '--save', 'x.safetensors'], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /note: Weights saved as F64: fc\.weight\[\d+\] = [\d.]+e\+\d+ does not fit in F32/);
    const bytes = readFileSync(path.join(dir, 'x.safetensors'));
    const header = JSON.parse(bytes.subarray(8, 8 + bytes.readUInt32LE(0)).toString('utf8'));
    assert.equal(header['fc.weight'].dtype, 'F64');
    for (const [name, t] of readSafetensors(new Uint8Array(bytes), 'x')) {
      assert.ok(t.data.every(Number.isFinite), `${name} holds a non-finite value`);
    }
  });

  it('weights that are not finite at all are refused, naming the tensor and index', () => {
    const params = new Map([
      ['fc.weight', { shape: [1, 3], data: new Float64Array([1, 2, 3]) }],
      ['fc.bias', { shape: [2], data: new Float64Array([0, Infinity]) }],
    ]);
    assert.throws(
      () => encodeWeights(params, '/w.safetensors'),
      (e: unknown) => e instanceof InputError && /weights not saved: fc\.bias\[1\] is Infinity/.test(e.message),
    );
    assert.equal(
      encodeWeights(new Map([['fc.bias', { shape: [1], data: new Float64Array([3e38]) }]]), '/w').dtype,
      'F32',
    );
  });

  it('a run that diverges saves nothing and exits 3', async () => {
    const dir = tmp();
    copyExamples(dir, 'sine.csv');
    writeFileSync(
      path.join(dir, 'd.unroll.json'),
      '{ "data": "sine.csv", "cell": "rnn", "nonlinearity": "relu", "hidden": 8, "window": 20, "validation": 0, "init": { "kind": "orthogonal", "spectralRadius": 50 }, "optimizer": { "kind": "sgd", "lr": 100 } }',
    );
    const run = await runCli(['train', 'd.unroll.json', '--epochs', '5', '--save', 'd.safetensors'], dir);
    assert.equal(run.code, 3, run.stderr);
    assert.match(
      run.stdout,
      /^Training diverged in epoch 1, batch \d+ of \d+: .*(is not finite|overflows).* Weights were not saved\./m,
    );
    assert.deepEqual(readdirSync(dir).sort(), ['d.unroll.json', 'sine.csv']);
  });
});
