// Clipping, optimizers, training and determinism.
import assert from 'node:assert/strict';
import { initParams, cloneParams } from '../../../src/engine/params';
import { analyze } from '../../../src/engine/analyze';
import { Trainer } from '../../../src/engine/train';
import { clipGradients, Optimizer } from '../../../src/engine/optim';
import { resultToJson } from '../../../src/protocol/json';
import type { Dataset, ParamSet, SequenceStore } from '../../../src/engine/types';
import type { OptimizerKind } from '../../../src/protocol/result';
import { model, randomSeq } from './helpers';

const meta = { dataFile: 'x', originalSteps: 0, sequence: 0, sequences: 1, notes: [] };
const grads = (vals: number[]): ParamSet => new Map([['a', { shape: [vals.length], data: Float64Array.from(vals) }]]);

describe('clipping', () => {
  it('by global norm rescales to τ and keeps the direction', () => {
    const g = grads([3, 4]);
    const r = clipGradients(g, { norm: 1 });
    assert.equal(r.norm, 5);
    assert.equal(r.fired, true);
    const [x, y] = g.get('a')!.data;
    assert.ok(Math.abs(Math.hypot(x, y) - 1) < 1e-6 && Math.abs(x / y - 0.75) < 1e-12);
    assert.equal(clipGradients(grads([0.3, 0.4]), { norm: 1 }).fired, false);
  });

  it('by value clamps entries, which changes the direction', () => {
    const g = grads([3, -0.5, -7]);
    assert.equal(clipGradients(g, { value: 1 }).fired, true);
    assert.deepEqual(Array.from(g.get('a')!.data), [1, -0.5, -1]);
  });

  it('analysis reports whether the model clipping would fire', () => {
    const m = model({ init: { kind: 'orthogonal', spectralRadius: 3 }, clip: { norm: 1e-3 } });
    const r = analyze(m, initParams(m), randomSeq(m, 10, 1), { meta });
    assert.equal(r.clipped, 1);
    assert.ok(r.gradNorms.global > 1e-3);
  });
});

describe('optimizers follow PyTorch update rules', () => {
  const run = (kind: OptimizerKind, steps: number) => {
    const p = grads([1, -2]);
    const opt = new Optimizer({ kind, lr: 0.1 });
    for (let i = 0; i < steps; i++) opt.apply(p, grads([0.5, -1]));
    return Array.from(p.get('a')!.data);
  };
  it('sgd, momentum, adam, adagrad, rmsprop (values worked out by hand)', () => {
    assert.deepEqual(
      run('sgd', 2).map((v) => +v.toFixed(12)),
      [0.9, -1.8],
    );
    // momentum 0.9: b1 = g, b2 = 1.9 g → θ − 0.1·2.9·g
    assert.deepEqual(
      run('momentum', 2).map((v) => +v.toFixed(12)),
      [1 - 0.145, -2 + 0.29],
    );
    // adam with a constant gradient moves lr·sign(g) per step (bias-corrected m/√v = ±1, up to eps)
    run('adam', 3).forEach((v, i) => assert.ok(Math.abs(v - [0.7, -1.7][i]) < 1e-6));
    // adagrad: steps lr·g/√(k g²) = lr/√k
    run('adagrad', 2).forEach((v, i) =>
      assert.ok(Math.abs(v - ([1, -2][i] - Math.sign([0.5, -1][i]) * 0.1 * (1 + 1 / Math.SQRT2))) < 1e-9),
    );
    // rmsprop first step: lr·g/√(0.01 g²) = 10·lr·sign(g)
    run('rmsprop', 1).forEach((v, i) => assert.ok(Math.abs(v - ([1, -2][i] - Math.sign([0.5, -1][i]) * 1)) < 1e-6));
  });
});

function sineDataset(): Dataset {
  const T = 20;
  const sequences = Array.from({ length: 8 }, (_, s) => {
    const x = Array.from({ length: T + 1 }, (_, t) => Math.sin(0.4 * t + s));
    return {
      T,
      inputs: Float64Array.from(x.slice(0, T)),
      targets: Float64Array.from(x.slice(1)),
      mask: new Uint8Array(T).fill(1),
    };
  });
  const store: SequenceStore = {
    count: sequences.length,
    steps: (i) => sequences[i].T,
    get: (i) => sequences[i],
    bytes: 0,
  };
  return { task: 'next-step', loss: 'mse', inputSize: 1, outputSize: 1, sequences: store, notes: [] };
}

describe('training', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    it(`lowers the loss of next-step prediction on a sine (${cell}, adam)`, () => {
      const m = model({ cell, inputSize: 1, outputSize: 1, hidden: 8, optimizer: { kind: 'adam', lr: 0.02 } });
      const trainer = new Trainer(m, initParams(m));
      const ds = sineDataset();
      const epochLoss = (e: number) => {
        const losses = trainer.batches(ds, e, 4).map((b) => trainer.step(b.map((i) => ds.sequences.get(i))).loss);
        return losses.reduce((a, b) => a + b) / losses.length;
      };
      const first = epochLoss(1);
      let last = first;
      for (let e = 2; e <= 30; e++) last = epochLoss(e);
      assert.ok(last < first / 4, `loss ${first} → ${last}`);
    });
  }

  it('stops on a non-finite gradient and leaves the parameters unchanged', () => {
    const m = model({ init: { kind: 'orthogonal', spectralRadius: 1 }, nonlinearity: 'relu', hidden: 4 });
    const p = initParams(m);
    p.get('rnn.weight_hh_l0')!.data.fill(1e200);
    const before = cloneParams(p);
    const trainer = new Trainer(m, p);
    const report = trainer.step([randomSeq(m, 6, 1)]);
    assert.ok(report.nonFinite, 'expected a non-finite report');
    for (const [k, t] of p) assert.deepEqual(t.data, before.get(k)!.data);
  });
});

describe('determinism', () => {
  it('same seed and inputs → bit-identical weights, analysis and training', () => {
    const once = () => {
      const m = model({
        cell: 'lstm',
        inputSize: 1,
        outputSize: 1,
        hidden: 5,
        init: { kind: 'orthogonal', forgetBias: 1 },
        optimizer: { kind: 'adam', lr: 0.01 },
      });
      const p = initParams(m);
      const trainer = new Trainer(m, p);
      const ds = sineDataset();
      for (let e = 1; e <= 3; e++)
        for (const b of trainer.batches(ds, e, 3)) trainer.step(b.map((i) => ds.sequences.get(i)));
      const r = analyze(m, p, ds.sequences.get(0), { meta });
      return JSON.stringify(resultToJson(r));
    };
    assert.equal(once(), once());
  });
});
