// The extension's pure helpers: model-file fields and template, workspace roots, 1-based → 0-based ranges.
import assert from 'node:assert/strict';
import { problemRange, problemsByFile, problemText } from '../../src/extension/problems';
// Which files are model or sequence files, and which model file a data file gets: test/unit/data/kinds.test.ts.
import { modelDescribes, modelPathFor } from '../../src/data/kinds';
import { modelField, modelTemplate, workspaceRootFor } from '../../src/extension/sources';
import type { Problem } from '../../src/protocol/messages';

describe('extension sources', () => {
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
  const p = (extra: Partial<Problem>): Problem => ({
    file: 'm.unroll.json',
    line: 3,
    column: 5,
    message: 'bad',
    severity: 'error',
    ...extra,
  });

  it('converts 1-based positions to a 0-based range that is never empty', () => {
    assert.deepEqual(problemRange(p({})), { startLine: 2, startCharacter: 4, endLine: 2, endCharacter: 5 });
    assert.deepEqual(problemRange(p({ endLine: 3, endColumn: 9 })), {
      startLine: 2,
      startCharacter: 4,
      endLine: 2,
      endCharacter: 8,
    });
    assert.deepEqual(problemRange(p({ endLine: 5, endColumn: 1 })), {
      startLine: 2,
      startCharacter: 4,
      endLine: 4,
      endCharacter: 0,
    });
    assert.deepEqual(problemRange(p({ endColumn: 2 })), {
      startLine: 2,
      startCharacter: 4,
      endLine: 2,
      endCharacter: 5,
    });
    assert.deepEqual(problemRange(p({ line: 0, column: 0 })), {
      startLine: 0,
      startCharacter: 0,
      endLine: 0,
      endCharacter: 1,
    });
  });

  it('puts the hint under the message and groups by absolute file', () => {
    assert.equal(problemText(p({ hint: 'use a positive integer' })), 'bad\nHint: use a positive integer');
    assert.equal(problemText(p({})), 'bad');
    const grouped = problemsByFile([p({}), p({ line: 9 }), p({ file: '/abs/d.csv' })], '/w');
    assert.deepEqual([...grouped.keys()], ['/w/m.unroll.json', '/abs/d.csv']);
    assert.equal(grouped.get('/w/m.unroll.json')!.length, 2);
  });
});
