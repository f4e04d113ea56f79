// `unroll example paper-<name>` writes the setup (data, model files and weights) that then analyzes as is.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { exampleFiles } from '../../../src/data';
import { PAPER_EXAMPLE_NAMES, paperExampleSet } from '../../../src/data/paperExamples';

async function run(argv: string[], cwd: string) {
  let stdout = '',
    stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: false, columns: 100 },
    stderr: { write: (s: string) => (stderr += s) },
    cwd,
  });
  return { code, stdout, stderr };
}

describe('unroll example paper-*', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'unroll-papers-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('--help lists the paper examples', async () => {
    const { code, stdout } = await run(['--help'], dir);
    assert.equal(code, 0);
    for (const name of PAPER_EXAMPLE_NAMES) assert.ok(stdout.includes(name), name);
  });

  it('paper-bengio1994 writes data, model files and weights; the model analyzes with w = 1.5 from its weights file', async () => {
    const written = await run(['example', 'paper-bengio1994', '--out', 'ex'], dir);
    assert.equal(written.code, 0, written.stderr);
    const files = paperExampleSet('paper-bengio1994');
    assert.deepEqual(files.map((f) => f.name).sort(), [
      'paper-bengio1994.csv',
      'paper-bengio1994.w1.5.json',
      'paper-bengio1994.w1.5.unroll.json',
      'paper-bengio1994.w2.json',
      'paper-bengio1994.w2.unroll.json',
    ]);
    for (const f of files) assert.equal(readFileSync(path.join(dir, 'ex', f.name), 'utf8'), f.contents);
    const analyzed = await run(['analyze', 'ex/paper-bengio1994.w1.5.unroll.json', '--json', '-'], dir);
    assert.equal(analyzed.code, 0, analyzed.stderr);
    const json = JSON.parse(analyzed.stdout);
    assert.deepEqual(json.grads['rnn.weight_hh_l0'].length, 1);
    assert.equal(json.spectral.radius, 1.5);
    assert.match(json.meta.weightsFile, /paper-bengio1994\.w1\.5\.json$/);
  });

  it('--lag does not apply to a paper example', async () => {
    const { code, stderr } = await run(['example', 'paper-le2015', '--lag', '10', '--out', 'ex'], dir);
    assert.equal(code, 2);
    assert.match(stderr, /--lag applies to adding and copy, not to paper-le2015/);
  });

  it('examples/ holds every paper example file, and its README names each example and the test that checks it', () => {
    const all = exampleFiles();
    const names = new Set(all.map((f) => f.name));
    for (const example of PAPER_EXAMPLE_NAMES)
      for (const f of paperExampleSet(example)) assert.ok(names.has(f.name), f.name);
    const readme = all.find((f) => f.name === 'README.md')!.contents;
    for (const example of PAPER_EXAMPLE_NAMES) assert.ok(readme.includes(`\`${example}\``), example);
    assert.match(readme, /test\/unit\/papers/);
  });
});
