import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { exampleFiles, exampleSet, loadAnalysis, readCsv } from '../../../src/data';
import { addingSpan } from '../../../src/data/examples';
import { nodeFiles } from '../../../src/data/nodeFiles';
import type { EngineSettings } from '../../../src/protocol/messages';
import { runAnalyze } from '../../../src/worker/jobs';
import { memoryFiles, sequencesOf, tableSequences, utf8 } from './helpers';

const EXAMPLES = path.resolve(__dirname, '../../../examples');
const settings: EngineSettings = {
  maxSteps: 512,
  flowBudget: 200_000,
  defaultCell: 'rnn',
  maxMemoryMB: 2048,
  maxWork: 30,
};

describe('examples', () => {
  it('the committed examples/ folder is exactly what exampleFiles() generates', () => {
    const generated = exampleFiles();
    assert.deepEqual(readdirSync(EXAMPLES).sort(), generated.map((f) => f.name).sort());
    for (const f of generated) assert.equal(readFileSync(path.join(EXAMPLES, f.name), 'utf8'), f.contents, f.name);
  });

  it('generation is deterministic', () => {
    assert.deepEqual(exampleFiles(), exampleFiles());
  });

  it('has the files the README, the demo and the issue name', () => {
    const names = new Set(exampleFiles().map((f) => f.name));
    for (const stem of ['sine', 'adding-lag10', 'adding-lag50', 'adding-lag200', 'copy-lag30', 'text']) {
      for (const cell of ['rnn', 'lstm', 'gru']) assert.ok(names.has(`${stem}.${cell}.unroll.json`), `${stem}.${cell}`);
    }
    for (const name of [
      'sine.csv',
      'adding-lag50.csv',
      'copy-lag30.csv',
      'text.txt',
      'exploding.rnn.unroll.json',
      'exploding-clipped.rnn.unroll.json',
    ])
      assert.ok(names.has(name), name);
    assert.match(
      exampleFiles().find((f) => f.name === 'README.md')!.contents,
      /Alice's Adventures in Wonderland\* \(1865\)/,
    );
  });

  it('every model file loads and analyzes without a problem', async () => {
    for (const f of readdirSync(EXAMPLES).filter((n) => n.endsWith('.unroll.json'))) {
      const { result, warnings } = await runAnalyze(
        { path: path.join(EXAMPLES, f), workspaceRoot: EXAMPLES },
        settings,
        nodeFiles,
      );
      assert.deepEqual(warnings, [], f);
      assert.ok(Number.isFinite(result.loss), f);
    }
  });

  it('the exploding example starts above 1/γ and its clipped twin clips by norm', async () => {
    const load = (name: string) =>
      loadAnalysis({ path: path.join(EXAMPLES, name), workspaceRoot: EXAMPLES }, settings, nodeFiles);
    const plain = await load('exploding.rnn.unroll.json');
    const clipped = await load('exploding-clipped.rnn.unroll.json');
    assert.ok(plain.model.init.spectralRadius! > 1);
    assert.equal(plain.model.clip, null);
    assert.deepEqual(clipped.model.clip, { norm: 1 });
    assert.deepEqual({ ...clipped.model, clip: null }, plain.model);
  });

  it('the truncated example is the sine RNN with bptt.truncate = 10, and no gradient reaches further back than 10 steps', async () => {
    const source = (name: string) => ({ path: path.join(EXAMPLES, name), workspaceRoot: EXAMPLES });
    const full = await loadAnalysis(source('sine.rnn.unroll.json'), settings, nodeFiles);
    const cut = await loadAnalysis(source('truncated.rnn.unroll.json'), settings, nodeFiles);
    assert.deepEqual(cut.model.bptt, { truncate: 10 });
    assert.deepEqual({ ...cut.model, bptt: full.model.bptt }, full.model);
    const { result } = await runAnalyze(source('truncated.rnn.unroll.json'), settings, nodeFiles);
    assert.equal(result.flow.truncate, 10);
    let beyond = 0;
    let within = 0;
    result.flow.steps.forEach((t, row) => {
      for (let k = 0; k <= t; k++) {
        const g = result.flow.matrix[row][k];
        if (t - k >= 10) (assert.equal(g, 0, `flow[${t}][${k}]`), beyond++);
        else if (g > 0) within++;
      }
    });
    assert.ok(beyond > 0 && within > 0, `${beyond} entries beyond the cut, ${within} non-zero within it`);
  });

  it('adding problem: values in [−1, 1], two marks, both among the first max(3, ⌈lag/10⌉) steps, the target their sum', async () => {
    for (const lag of [7, 50]) {
      const [data] = exampleSet('adding', lag);
      assert.equal(data.name, `adding-lag${lag}.csv`);
      const table = await readCsv(utf8(data.contents), data.name, { keepRows: 100_000, keep: 'first' });
      assert.deepEqual(table.columns, ['value', 'marker', 'target']);
      const sequences = tableSequences(table);
      assert.equal(sequences.length, 1000);
      const seen = new Set<number>();
      for (const s of sequences) {
        assert.equal(s.keptRows, lag + 1);
        const rows = Array.from({ length: s.keptRows }, (_, t) => Array.from(s.values.subarray(t * 3, t * 3 + 3)));
        assert.ok(rows.every((r) => r[0] >= -1 && r[0] <= 1));
        const marked = rows.map((r, t) => [r, t] as const).filter(([r]) => r[1] === 1);
        assert.equal(marked.length, 2);
        // No mark is near the target: a cell that forgets after a few steps cannot know it.
        for (const [, t] of marked) {
          assert.ok(t < addingSpan(lag), `a mark at step ${t}`);
          seen.add(t);
        }
        assert.ok(Math.abs(rows[lag][2] - (marked[0][0][0] + marked[1][0][0])) < 2e-4);
        assert.ok(rows.slice(0, lag).every((r) => Number.isNaN(r[2])));
      }
      assert.equal(seen.size, addingSpan(lag), 'every early step is marked in some sequence');
    }
    assert.deepEqual([10, 50, 200].map(addingSpan), [3, 5, 20]);
  });

  it('copy task: every target is the symbol seen exactly lag steps before, as a class for cross-entropy', async () => {
    const [data, model] = exampleSet('copy', 12);
    const files = memoryFiles({ '/w/copy-lag12.csv': data.contents, '/w/m.unroll.json': model.contents });
    const loaded = await loadAnalysis({ path: '/w/m.unroll.json', workspaceRoot: '/w' }, settings, files);
    assert.equal(loaded.model.loss, 'xent');
    let recalls = 0;
    for (const s of sequencesOf(loaded.dataset)) {
      for (let t = 0; t < s.T; t++) {
        if (!s.mask[t]) continue;
        const shown = Array.from(s.inputs.subarray((t - 12) * 5, (t - 12) * 5 + 4));
        assert.equal(shown[s.targets[t]], 1, `step ${t} recalls the symbol of step ${t - 12}`);
        recalls++;
      }
      assert.equal(
        s.mask.reduce((a, b) => a + b, 0),
        5,
      );
    }
    assert.equal(recalls, 5 * 1000);
  });
});
