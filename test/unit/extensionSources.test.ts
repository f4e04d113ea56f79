// The extension's pure helpers: which files it acts on, how a data file finds its model, 1-based → 0-based ranges.
import assert from 'node:assert/strict';
import { problemRange, problemsByFile, problemText } from '../../src/extension/problems';
import {
  fileStem,
  isModelFile,
  isSequenceFile,
  modelCandidates,
  modelDescribes,
  modelField,
  modelPathFor,
  modelTemplate,
  workspaceRootFor,
} from '../../src/extension/sources';
import type { Problem } from '../../src/protocol/messages';

describe('extension sources', () => {
  it('tells model files from sequence files', () => {
    assert.equal(isModelFile('/w/adding.rnn.unroll.json'), true);
    assert.equal(isSequenceFile('/w/adding.rnn.unroll.json'), false);
    for (const f of ['/w/a.csv', '/w/a.TSV', '/w/a.txt', '/w/a.json', '/w/a.npy']) assert.equal(isSequenceFile(f), true, f);
    assert.equal(isSequenceFile('/w/a.py'), false);
    assert.equal(fileStem('/w/adding-lag50.csv'), 'adding-lag50');
    assert.equal(modelPathFor('/w/d/sine.csv'), '/w/d/sine.unroll.json');
  });

  it('lists the exact-name model first, then the preferred cell, then other variants in name order, nothing unrelated', () => {
    const siblings = ['adding.rnn.unroll.json', 'adding.gru.unroll.json', 'adding.csv', 'adding.unroll.json', 'adding.lstm.unroll.json', 'addingmore.unroll.json', 'sine.unroll.json'];
    assert.deepEqual(modelCandidates('/w/adding.csv', siblings, 'lstm'), [
      '/w/adding.unroll.json',
      '/w/adding.lstm.unroll.json',
      '/w/adding.gru.unroll.json',
      '/w/adding.rnn.unroll.json',
    ]);
    assert.deepEqual(modelCandidates('/w/adding.csv', siblings.slice(0, 2), 'rnn'), ['/w/adding.rnn.unroll.json', '/w/adding.gru.unroll.json']);
    assert.deepEqual(modelCandidates('/w/none.csv', siblings, 'rnn'), []);
  });

  it('accepts a model only when its data field resolves to the data file, comments and all', () => {
    const text = '{\n  // the adding problem\n  "data": "./adding.csv",\n  "cell": "lstm",\n}';
    assert.equal(modelDescribes('/w/adding.lstm.unroll.json', text, '/w/adding.csv'), true);
    assert.equal(modelDescribes('/w/sub/m.unroll.json', '{"data": "../adding.csv"}', '/w/adding.csv'), true);
    assert.equal(modelDescribes('/w/m.unroll.json', '{"data": "other.csv"}', '/w/adding.csv'), false);
    assert.equal(modelDescribes('/w/m.unroll.json', '{"data": ', '/w/adding.csv'), false);
  });

  it('reads top-level fields of a half-edited model file', () => {
    assert.equal(modelField('{"weights": "w.safetensors", "epochs": 20', 'weights'), 'w.safetensors');
    assert.equal(modelField('{"weights": "w.safetensors", "epochs": 20', 'epochs'), 20);
    assert.equal(modelField('{"epochs": "many"}', 'epochs'), 'many');
    assert.equal(modelField('[1, 2]', 'weights'), undefined);
  });

  it('writes a template that points back at the data file', () => {
    const text = modelTemplate('/w/sine.csv', 'gru');
    assert.equal(modelDescribes(modelPathFor('/w/sine.csv'), text, '/w/sine.csv'), true);
    assert.equal(JSON.parse(text).cell, 'gru');
  });

  it('finds the innermost workspace folder holding a file, else its own folder', () => {
    assert.equal(workspaceRootFor('/w/a/b/x.csv', ['/w', '/w/a', '/v']), '/w/a');
    assert.equal(workspaceRootFor('/elsewhere/x.csv', ['/w']), '/elsewhere');
    assert.equal(workspaceRootFor('/wx/x.csv', ['/w']), '/wx');
  });
});

describe('extension problems', () => {
  const p = (extra: Partial<Problem>): Problem => ({ file: 'm.unroll.json', line: 3, column: 5, message: 'bad', severity: 'error', ...extra });

  it('converts 1-based positions to a 0-based range that is never empty', () => {
    assert.deepEqual(problemRange(p({})), { startLine: 2, startCharacter: 4, endLine: 2, endCharacter: 5 });
    assert.deepEqual(problemRange(p({ endLine: 3, endColumn: 9 })), { startLine: 2, startCharacter: 4, endLine: 2, endCharacter: 8 });
    assert.deepEqual(problemRange(p({ endLine: 5, endColumn: 1 })), { startLine: 2, startCharacter: 4, endLine: 4, endCharacter: 0 });
    assert.deepEqual(problemRange(p({ endColumn: 2 })), { startLine: 2, startCharacter: 4, endLine: 2, endCharacter: 5 });
    assert.deepEqual(problemRange(p({ line: 0, column: 0 })), { startLine: 0, startCharacter: 0, endLine: 0, endCharacter: 1 });
  });

  it('puts the hint under the message and groups by absolute file', () => {
    assert.equal(problemText(p({ hint: 'use a positive integer' })), 'bad\nHint: use a positive integer');
    assert.equal(problemText(p({})), 'bad');
    const grouped = problemsByFile([p({}), p({ line: 9 }), p({ file: '/abs/d.csv' })], '/w');
    assert.deepEqual([...grouped.keys()], ['/w/m.unroll.json', '/abs/d.csv']);
    assert.equal(grouped.get('/w/m.unroll.json')!.length, 2);
  });
});
