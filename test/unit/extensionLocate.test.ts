// How a command's file argument (a walkthrough button's path) is read and found, without VS Code.
import assert from 'node:assert/strict';
import { bestMatch, fileArgument, missingFileMessage } from '../../src/extension/locate';
import { isPanelView, PANEL_VIEWS } from '../../src/protocol/messages';

describe('extension: file arguments of commands', () => {
  it('reads absolute paths as they are and relative ones inside the workspace; refuses what is not a path', () => {
    assert.deepEqual(fileArgument('/w/examples/sine.csv'), { kind: 'absolute', path: '/w/examples/sine.csv' });
    assert.deepEqual(fileArgument('exploding.rnn.unroll.json'), {
      kind: 'relative',
      path: 'exploding.rnn.unroll.json',
    });
    assert.deepEqual(fileArgument('examples\\sine.csv'), { kind: 'relative', path: 'examples/sine.csv' });
    assert.deepEqual(fileArgument('./examples//sine.csv'), { kind: 'relative', path: 'examples/sine.csv' });
    for (const bad of ['', '  ', '..', '../secret.csv', 'a/../../b.csv', 42, null, undefined, {}, ['sine.csv']])
      assert.equal(fileArgument(bad), undefined, JSON.stringify(bad));
  });

  it('picks the shallowest whole-name match, then name order', () => {
    const found = ['/w/b/deep/examples/sine.csv', '/w/z/sine.csv', '/w/a/sine.csv', '/w/cosine.csv'];
    assert.equal(bestMatch('sine.csv', found), '/w/a/sine.csv');
    assert.equal(bestMatch('examples/sine.csv', found), '/w/b/deep/examples/sine.csv');
    assert.equal(bestMatch('sine.csv', ['/w/cosine.csv']), undefined);
    assert.equal(bestMatch('sine.csv', []), undefined);
  });

  it('tells a person without the examples how to get them', () => {
    assert.match(
      missingFileMessage('exploding.rnn.unroll.json', true, true),
      /exploding\.rnn\.unroll\.json is not in this workspace\. .*"Open Examples"/,
    );
    assert.match(missingFileMessage('sine.csv', true, false), /no folder is open/);
    assert.doesNotMatch(missingFileMessage('mine.csv', false, true), /Open Examples/);
  });

  it('knows the panel views by id', () => {
    assert.deepEqual(
      [...PANEL_VIEWS],
      ['unrolled', 'heatmap', 'flow', 'decay', 'whh', 'training', 'compare', 'timeline'],
    );
    assert.equal(isPanelView('whh'), true);
    for (const bad of ['WHH', 'loss', '', 3, undefined]) assert.equal(isPanelView(bad), false, String(bad));
  });
});
