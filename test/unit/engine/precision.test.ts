// Model `precision: "float32"`: the matrix products multiply float32 copies of their operands and sum in float32,
// everything else stays float64. On each cell (two layers, a batch, full and truncated BPTT) the loss and every
// parameter's gradient agree with float64's to about 1e-4 relative, and differ from them (the float32 path ran).
// Also: one network running full, truncated and full BPTT in turn gives what fresh networks give.
import assert from 'node:assert/strict';
import type { CellKind, ResolvedModel } from '../../../src/protocol/result';
import { Network } from '../../../src/engine/network';
import { initParams } from '../../../src/engine/params';
import { model, randomSeq } from './helpers';

function gradients(
  m: ResolvedModel,
  T: number,
  B: number,
  truncate: number | null,
): { loss: number; grads: Map<string, Float64Array> } {
  const net = new Network(m, initParams(m));
  const batch = Array.from({ length: B }, (_, b) => randomSeq(m, T, 100 + b));
  const loss = net.forward(batch);
  net.backward(truncate);
  return { loss, grads: new Map([...net.grads].map(([name, g]) => [name, Float64Array.from(g.data)])) };
}

const norm = (a: Float64Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));

describe('float32 precision', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as CellKind[]) {
    for (const truncate of [null, 7]) {
      it(`${cell}, ${truncate === null ? 'full' : `truncated (k = ${truncate})`} BPTT: loss and gradients within 1e-4 relative of float64's`, () => {
        const m64 = model({ cell, hidden: 24, inputSize: 5, outputSize: 3, layers: 2 });
        const m32: ResolvedModel = { ...m64, precision: 'float32' };
        const a = gradients(m64, 40, 5, truncate),
          b = gradients(m32, 40, 5, truncate);
        assert.ok(Math.abs(a.loss - b.loss) <= 1e-4 * Math.abs(a.loss), `loss ${b.loss} vs ${a.loss}`);
        let differs = false;
        for (const [name, g64] of a.grads) {
          const g32 = b.grads.get(name)!;
          const diff = norm(g64.map((v, i) => v - g32[i]));
          assert.ok(diff <= 1e-4 * norm(g64), `${name}: ‖Δ‖ ${diff} vs ‖g‖ ${norm(g64)}`);
          if (diff > 1e-12 * norm(g64)) differs = true;
        }
        assert.ok(differs, 'float32 gradients equal float64 ones: the float32 products did not run');
      });
    }
  }
});

describe('one network, backward after backward', () => {
  // Full BPTT sets every row of ∂L/∂h_t and of the pre-activation gradients without zeroing them first; truncated
  // BPTT accumulates into them after zeroing. Alternating the two on one network gives what fresh networks give.
  for (const cell of ['rnn', 'lstm', 'gru'] as CellKind[]) {
    it(`${cell}: full, truncated, full again: gradients and ∂L/∂h_t bit-identical to a fresh network's`, () => {
      const m = model({ cell, hidden: 12, inputSize: 4, outputSize: 3, layers: 2 });
      const params = initParams(m);
      const batch = Array.from({ length: 3 }, (_, b) => randomSeq(m, 17, 200 + b));
      const run = (net: Network, truncate: number | null) => {
        net.forward(batch);
        net.backward(truncate);
        return {
          grads: [...net.grads].map(([name, g]) => [name, Array.from(g.data)]),
          dH: net.layers.map((lb) => Array.from(lb.dH)),
        };
      };
      const reused = new Network(m, params);
      const sequence = [null, 5, null].map((k) => run(reused, k));
      [null, 5, null].forEach((k, i) =>
        assert.deepEqual(sequence[i], run(new Network(m, params), k), `call ${i + 1} (truncate ${k})`),
      );
    });
  }
});
