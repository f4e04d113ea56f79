// The LSTM layer's time loops in the kernels' memory (cells/lstmLoop.ts) against the step-by-step path they replace
// (network.loops = false): the same loss, tape and gradients bit for bit (−0 included), in both precisions, with and
// without biases, batch sizes on and off the kernel's four-row tiles, H on and off the panels, stacked layers, and T
// long enough for several chunks.
import assert from 'node:assert/strict';
import { Network } from '../../../src/engine/network';
import { initParams } from '../../../src/engine/params';
import { Rng } from '../../../src/engine/rng';
import type { ParamSet, SequenceData } from '../../../src/engine/types';
import type { Precision, ResolvedModel } from '../../../src/protocol/result';
import { model, randomSeq } from './helpers';

function sameBits(actual: Float64Array, expected: Float64Array, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++)
    if (!Object.is(actual[i], expected[i])) assert.fail(`${what}[${i}]: ${actual[i]} ≠ ${expected[i]}`);
}

function copyParams(p: ParamSet): ParamSet {
  return new Map([...p].map(([k, v]) => [k, { shape: v.shape, data: v.data.slice() }]));
}

function lstmModel(H: number, layers: number, precision: Precision): ResolvedModel {
  return model({ cell: 'lstm', inputSize: 5, hidden: H, outputSize: 3, layers, precision });
}

function batchOf(m: ResolvedModel, T: number, B: number, seed: number): SequenceData[] {
  return Array.from({ length: B }, (_, b) => randomSeq(m, T, seed + b, 3));
}

/** Both paths on the same weights and batch; every array they leave, compared. */
function compare(m: ResolvedModel, T: number, B: number, seed: number, bias: boolean): void {
  const params = initParams(m);
  // bias=False: a model without the bias tensors
  if (!bias) for (const name of [...params.keys()]) if (name.startsWith('rnn.bias_')) params.delete(name);
  // larger recurrent weights than the init's, so the states saturate in places
  const rng = new Rng(seed);
  for (let l = 0; l < m.layers; l++)
    for (const x of params.get(`rnn.weight_hh_l${l}`)!.data.keys())
      params.get(`rnn.weight_hh_l${l}`)!.data[x] *= rng.range(0.5, 3);
  const batch = batchOf(m, T, B, seed);
  const looped = new Network(m, copyParams(params));
  const stepped = new Network(m, copyParams(params));
  stepped.loops = false;
  const what = `H=${m.hidden} L=${m.layers} ${m.precision} T=${T} B=${B}`;
  assert.equal(looped.forward(batch), stepped.forward(batch), `loss ${what}`);
  looped.backward(null);
  stepped.backward(null);
  sameBits(looped.lossPerStep, stepped.lossPerStep, `lossPerStep ${what}`);
  for (let l = 0; l < m.layers; l++) {
    const a = looped.layers[l],
      b = stepped.layers[l];
    sameBits(a.Hs, b.Hs, `Hs ${l} ${what}`);
    sameBits(a.Cs!, b.Cs!, `Cs ${l} ${what}`);
    sameBits(a.acts!, b.acts!, `acts ${l} ${what}`);
    sameBits(a.aux!, b.aux!, `tanh c ${l} ${what}`);
    sameBits(a.dH, b.dH, `dH ${l} ${what}`);
    sameBits(a.dPreIh, b.dPreIh, `dPre ${l} ${what}`);
  }
  for (const [name, g] of stepped.grads) sameBits(looped.grads.get(name)!.data, g.data, `∂L/∂${name} ${what}`);
}

describe('LSTM time loops in the kernels’ memory', () => {
  for (const precision of ['float64', 'float32'] as Precision[]) {
    it(`equal the step-by-step path bit for bit (${precision})`, () => {
      let seed = 1;
      for (const [H, L, T, B, bias] of [
        [8, 1, 9, 1, true],
        [13, 1, 7, 3, true], // H off the panels, B under the four-row tiles
        [16, 2, 11, 5, true], // B off the tiles, two layers
        [32, 1, 2100, 16, true], // three chunks: 1024, 1024 and 52 steps
        [32, 1, 1100, 16, false], // bias=False, two chunks
        [24, 2, 40, 6, false],
      ] as [number, number, number, number, boolean][])
        compare(lstmModel(H, L, precision), T, B, seed++, bias);
    });
  }

  it('runs the loops where they apply, and leaves small H to the steps', () => {
    for (const [H, expected] of [
      [8, true],
      [4, false],
    ] as [number, boolean][]) {
      const m = lstmModel(H, 1, 'float64');
      const net = new Network(m, initParams(m));
      net.forward(batchOf(m, 5, 2, 3));
      const lb = net.layers[0];
      assert.equal(net.cell.forwardLoop!(lb, 5, net.recurrent(0), null, net.dims, 'float64', true), expected, `H=${H}`);
    }
  });

  it('a forward of another network between forward and backward does not leave the first one’s tape stale', () => {
    const m = lstmModel(32, 1, 'float32');
    const params = initParams(m);
    const a = new Network(m, copyParams(params));
    const ref = new Network(m, copyParams(params));
    ref.loops = false;
    const other = new Network(m, initParams({ ...m, seed: 99 }));
    const batch = batchOf(m, 300, 4, 11);
    a.forward(batch);
    ref.forward(batch);
    other.forward(batchOf(m, 300, 4, 12)); // the same shape: the same region, the other tape in it
    a.backward(null);
    ref.backward(null);
    for (const [name, g] of ref.grads) sameBits(a.grads.get(name)!.data, g.data, `∂L/∂${name}`);
    // and training steps in a row (weights change between forwards) stay on the step path's values
    for (let i = 0; i < 3; i++) {
      for (const net of [a, ref]) {
        net.forward(batch);
        net.backward(null);
        for (const [name, g] of net.grads) {
          const w = net.params.get(name)!.data;
          for (let j = 0; j < w.length; j++) w[j] -= 0.05 * g.data[j];
        }
      }
    }
    sameBits(a.layers[0].dH, ref.layers[0].dH, 'dH after three updates');
  });

  it('keepTape false (training): the same gradients, the top layer’s tape left in the kernels’ memory', () => {
    for (const [L, T] of [
      [1, 100],
      [2, 40],
      [1, 2100], // more than one chunk: the tape is copied out anyway
    ]) {
      const m = lstmModel(32, L, 'float32');
      const params = initParams(m);
      const lean = new Network(m, copyParams(params));
      lean.keepTape = false;
      const ref = new Network(m, copyParams(params));
      const batch = batchOf(m, T, 16, 5);
      const loss = lean.forward(batch);
      lean.backward(null);
      assert.equal(loss, ref.forward(batch));
      ref.backward(null);
      for (const [name, g] of ref.grads) sameBits(lean.grads.get(name)!.data, g.data, `∂L/∂${name} L=${L} T=${T}`);
      sameBits(lean.layers[L - 1].Hs, ref.layers[L - 1].Hs, 'Hs');
      if (T === 100)
        assert.ok(!lean.layers[L - 1].acts!.every((v, i) => v === ref.layers[L - 1].acts![i]), 'gates left out');
    }
  });

  it('keepTape false with one-hot inputs: the weight gradients read ∂/∂pre where the backward loop left it', () => {
    for (const precision of ['float64', 'float32'] as Precision[]) {
      const m = model({ cell: 'lstm', inputSize: 7, hidden: 16, outputSize: 7, loss: 'xent', precision });
      const rng = new Rng(4);
      const batch = Array.from({ length: 6 }, () => {
        const inputs = new Float64Array(30 * 7);
        for (let t = 0; t < 30; t++) inputs[t * 7 + rng.int(7)] = 1;
        return { T: 30, inputs, targets: new Float64Array(30).map(() => rng.int(7)), mask: new Uint8Array(30).fill(1) };
      });
      const params = initParams(m);
      const lean = new Network(m, copyParams(params));
      lean.keepTape = false;
      const ref = new Network(m, copyParams(params));
      ref.loops = false;
      lean.forward(batch);
      lean.backward(null);
      ref.forward(batch);
      ref.backward(null);
      for (const [name, g] of ref.grads) sameBits(lean.grads.get(name)!.data, g.data, `∂L/∂${name} ${precision}`);
      sameBits(lean.layers[0].dH, ref.layers[0].dH, 'dH');
      assert.ok(!lean.layers[0].dPreIh.every((v, i) => v === ref.layers[0].dPreIh[i]), '∂/∂pre left in the module');
    }
  });

  it('a backward whose tape was left in the kernels’ memory and overwritten stops instead of using stale gates', () => {
    const m = lstmModel(32, 1, 'float64');
    const lean = new Network(m, initParams(m));
    lean.keepTape = false;
    lean.forward(batchOf(m, 50, 4, 1));
    new Network(m, initParams(m)).forward(batchOf(m, 50, 4, 2));
    assert.throws(() => lean.backward(null), /gone/);
    assert.throws(() => lean.backward(3), /keepTape/);
  });
});
