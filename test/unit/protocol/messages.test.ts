// parseFromWebview: the panel's messages the extension acts on are checked field by field (the panel is a web page:
// anything it sends is validated before it reaches the session).
import assert from 'node:assert/strict';
import { FromWebviewType, parseFromWebview } from '../../../src/protocol/messages';

describe('messages from the panel', () => {
  it('SelectTraceLayer carries a layer from 0 and a direction, and nothing else gets through', () => {
    assert.deepEqual(parseFromWebview({ type: 'selectTraceLayer', layer: 1, reverse: true, extra: 'x' }), {
      type: FromWebviewType.SelectTraceLayer,
      layer: 1,
      reverse: true,
    });
    assert.deepEqual(parseFromWebview({ type: 'selectTraceLayer', layer: 0, reverse: false }), {
      type: FromWebviewType.SelectTraceLayer,
      layer: 0,
      reverse: false,
    });
    for (const bad of [
      { type: 'selectTraceLayer', layer: -1, reverse: false },
      { type: 'selectTraceLayer', layer: 1.5, reverse: false },
      { type: 'selectTraceLayer', layer: '1', reverse: false },
      { type: 'selectTraceLayer', layer: 1 },
      { type: 'selectTraceLayer', layer: 1, reverse: 'yes' },
    ])
      assert.equal(parseFromWebview(bad), undefined, JSON.stringify(bad));
  });
});
