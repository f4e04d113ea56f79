// Parity with PyTorch autograd (float64): gradients recorded by test/fixtures/torch/make_parity.py from
// nn.RNN/LSTM/GRU + nn.Linear with PyTorch's own initialization, loaded here under the same names.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../../src/engine/analyze';
import { checkParamShapes } from '../../../src/engine/params';
import type { ParamSet } from '../../../src/engine/types';
import { nestedToTensor } from '../../../src/protocol/json';
import { model } from './helpers';

const cases = JSON.parse(readFileSync(join(__dirname, '../../fixtures/torch/parity.json'), 'utf8'));
const meta = { dataFile: 'x', originalSteps: 0, sequence: 0, sequences: 1, notes: [] };

describe('gradients equal PyTorch autograd (float64)', () => {
  for (const c of cases) {
    it(`${c.cell} ${c.nonlinearity} ×${c.layers} ${c.loss} (torch ${c.torch})`, () => {
      const m = model({
        cell: c.cell,
        nonlinearity: c.nonlinearity,
        layers: c.layers,
        loss: c.loss,
        inputSize: c.D,
        hidden: c.H,
        outputSize: c.O,
      });
      const params: ParamSet = new Map(Object.entries(c.params).map(([k, v]) => [k, nestedToTensor(v)]));
      assert.deepEqual(checkParamShapes(m, params), []);
      const seq = {
        T: c.T,
        inputs: Float64Array.from((c.inputs as number[][]).flat()),
        targets: Float64Array.from(c.loss === 'xent' ? c.targets : (c.targets as number[][]).flat()),
        mask: new Uint8Array(c.T).fill(1),
      };
      const r = analyze(m, params, seq, { meta });
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-12, Math.abs(b));
      assert.ok(rel(r.loss, c.L) < 1e-12, `loss ${r.loss} vs ${c.L}`);
      let worst = 0;
      for (const [name, g] of Object.entries(c.grads)) {
        const ref = nestedToTensor(g);
        assert.deepEqual(r.grads[name].shape, ref.shape, name);
        ref.data.forEach((v, i) => {
          const err = Math.abs(r.grads[name].data[i] - v);
          assert.ok(err <= 1e-12 * Math.max(1, Math.abs(v)), `${name}[${i}]: ${r.grads[name].data[i]} vs torch ${v}`);
          worst = Math.max(worst, err);
        });
      }
      // PyTorch's out.grad holds only the path through fc; our ∂L/∂h_t adds the recurrent path, so the two
      // agree at the last step, where there is no later step.
      const last = (c.dLdh as number[][])[c.T - 1];
      last.forEach((v, i) =>
        assert.ok(
          Math.abs(r.dLdh.data[(c.T - 1) * c.H + i] - v) <= 1e-12 * Math.max(1, Math.abs(v)),
          `dLdh[T−1][${i}]`,
        ),
      );
      (c.hidden as number[][]).flat().forEach((v, i) => assert.ok(Math.abs(r.hidden.data[i] - v) <= 1e-13, `h[${i}]`));
      assert.ok(worst < 1e-12);
    });
  }
});
