import assert from 'node:assert/strict';
import { collectTransferables } from '../../src/worker/transfer';

describe('collectTransferables', () => {
  it('finds every buffer once, however deep, including subarrays that share a buffer', () => {
    const shared = new Float64Array(12);
    const own = new Float64Array(3);
    const value = {
      loss: 1,
      dLdh: { rows: 3, cols: 2, data: shared.subarray(0, 6) },
      hidden: { rows: 3, cols: 2, data: shared.subarray(6, 12) },
      flow: { matrix: [own, new Float64Array(1)] },
      grads: { 'rnn.weight_hh_l0': { shape: [2, 2], data: new Float64Array(4) } },
    };
    const buffers = collectTransferables(value);
    assert.equal(buffers.length, 4);
    assert.ok(buffers.includes(shared.buffer));
    assert.ok(buffers.includes(own.buffer));
  });

  it('can transfer what it collected (a duplicate would throw DataCloneError)', () => {
    const base = new Float64Array(8);
    const value = [base.subarray(0, 4), base.subarray(4), { again: base }];
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(value, collectTransferables(value));
    assert.equal(base.byteLength, 0, 'the buffer moved');
    port1.close();
    port2.close();
  });
});
