// The trace replay engine against finite differences (no PyTorch needed: test/trace checks it against PyTorch), and
// the analysis of a replayed layer against the replay's own ∂L/∂h.
import assert from 'node:assert/strict';
import { replay, checkReplay, relativeError, REPLAY_TOLERANCE } from '../../../src/engine/replay';
import { analyzeReplay } from '../../../src/engine/replayAnalysis';
import type { RecurrentConfig, ReplaySnapshot } from '../../../src/engine/replayTypes';
import { config, randomSnapshot } from '../data/traceFixture';

/** The loss the recorded output gradients stand for: L = Σ g_out·output + Σ g_hn·h_n + Σ g_cn·c_n. */
function lossOf(snap: ReplaySnapshot): number {
  const run = replay(snap);
  let L = 0;
  for (let i = 0; i < run.output.length; i++) L += run.output[i] * snap.gradOutput[i];
  for (let i = 0; i < run.hN.length; i++) L += run.hN[i] * snap.gradHn[i];
  if (run.cN) for (let i = 0; i < run.cN.length; i++) L += run.cN[i] * snap.gradCn![i];
  return L;
}

function finiteDifference(snap: ReplaySnapshot, values: Float64Array, i: number): number {
  const eps = 1e-6;
  const keep = values[i];
  values[i] = keep + eps;
  const up = lossOf(snap);
  values[i] = keep - eps;
  const down = lossOf(snap);
  values[i] = keep;
  return (up - down) / (2 * eps);
}

const META = { dataFile: '/w/run.unroll-trace', originalSteps: 6, sequence: 0, sequences: 2, notes: [] };

const variants: [string, Partial<RecurrentConfig>][] = [
  ['RNN tanh, 2 layers, bidirectional', { mode: 'RNN_TANH', numLayers: 2, bidirectional: true }],
  ['RNN relu, no bias', { mode: 'RNN_RELU', bias: false }],
  ['LSTM, 2 layers, bidirectional, proj_size 2', { mode: 'LSTM', numLayers: 2, bidirectional: true, projSize: 2 }],
  ['LSTM, proj_size 3, no bias', { mode: 'LSTM', projSize: 3, bias: false }],
  ['GRU, 2 layers, bidirectional, no bias', { mode: 'GRU', numLayers: 2, bidirectional: true, bias: false }],
];

describe('trace replay engine', () => {
  for (const [name, over] of variants) {
    it(`${name}: ∂L/∂θ, ∂L/∂h0 and ∂L/∂c0 match finite differences`, () => {
      const snap = randomSnapshot(config(over), 2, 6, 3);
      const run = replay(snap);
      let checked = 0;
      const check = (what: string, values: Float64Array, grad: Float64Array) => {
        for (const i of [0, Math.floor(values.length / 2), values.length - 1]) {
          const fd = finiteDifference(snap, values, i);
          assert.ok(
            Math.abs(fd - grad[i]) <= 1e-6 * Math.max(1, Math.abs(fd)),
            `${what}[${i}]: replay ${grad[i]}, finite difference ${fd}`,
          );
          checked++;
        }
      };
      for (const [p, t] of snap.params) check(p, t.data, run.grads.get(p)!.data);
      check('h0', snap.h0, run.gradH0);
      if (snap.c0) check('c0', snap.c0, run.gradC0!);
      assert.ok(checked >= 9);
    });
  }

  it('float32 products (a float32 run): every variant within 1e-6 of the float64 replay, and not the same numbers', () => {
    for (const [name, over] of variants) {
      const snap = randomSnapshot(config({ ...over, hiddenSize: 16, inputSize: 8 }), 3, 20, 4);
      const exact = replay(snap),
        f32 = replay({ ...snap, precision: 'float32' });
      assert.equal(f32.precision, 'float32');
      let worst = 0;
      for (const [p, g] of exact.grads) worst = Math.max(worst, relativeError(f32.grads.get(p)!.data, g.data));
      worst = Math.max(worst, relativeError(f32.gradH0, exact.gradH0), relativeError(f32.output, exact.output));
      assert.ok(worst <= 1e-6, `${name}: ${worst}`);
      assert.ok(worst > 0, `${name}: the float32 replay ran in float64`);
    }
  });

  it('float32 products keep a vanished gradient: output gradients scaled by 2^-200 scale ∂L/∂h_t and ∂L/∂h0 exactly', () => {
    // Float32 flushes magnitudes below 2^-126 to zero; the replay scales such rows by a power of two around each
    // product, which is exact, so the scaled run is the plain one times 2^-200 to the last bit.
    for (const over of [
      { mode: 'LSTM', numLayers: 2, bidirectional: true },
      { mode: 'GRU', numLayers: 2 },
    ] as const) {
      const snap = randomSnapshot(config({ ...over, hiddenSize: 8 }), 2, 9, 7);
      const s = 2 ** -200;
      const tiny: ReplaySnapshot = {
        ...snap,
        precision: 'float32',
        gradOutput: snap.gradOutput.map((v) => v * s),
        gradHn: snap.gradHn.map((v) => v * s),
        gradCn: snap.gradCn ? snap.gradCn.map((v) => v * s) : null,
      };
      const plain = replay({ ...snap, precision: 'float32' }),
        scaled = replay(tiny);
      for (let k = 0; k < plain.runs.length; k++) {
        const a = plain.runs[k].dH,
          b = scaled.runs[k].dH;
        for (let i = 0; i < a.length; i++) assert.equal(b[i], a[i] * s, `${over.mode} direction ${k}, ∂L/∂h[${i}]`);
      }
      for (let i = 0; i < plain.gradH0.length; i++) assert.equal(scaled.gradH0[i], plain.gradH0[i] * s);
      // the sums over steps fall back to float64 at that scale: the same within float32's rounding
      for (const [p, g] of plain.grads)
        assert.ok(
          relativeError(
            scaled.grads.get(p)!.data.map((v) => v / s),
            g.data,
          ) <= 1e-6,
          p,
        );
    }
  });

  it('checks itself: exact against its own gradients, a mismatch above the bound, a forward that differs, an approximate run', () => {
    const snap = randomSnapshot(config({ numLayers: 2 }));
    const run = replay(snap);
    const recorded = new Map(
      [...run.grads].map(([n, t]) => [n, { shape: t.shape, data: Float64Array.from(t.data) }] as const),
    );
    recorded.set('h0', { shape: [], data: Float64Array.from(run.gradH0) });
    const forward = {
      output: Float64Array.from(run.output),
      hN: Float64Array.from(run.hN),
      cN: Float64Array.from(run.cN!),
    };
    const same = checkReplay(run, recorded, forward, 'float64', null);
    assert.equal(same.check.maxRelErr, 0);
    assert.equal(same.check.ok, true);
    assert.equal(same.check.tolerance, REPLAY_TOLERANCE.float64);
    assert.equal(same.check.compared.length, recorded.size);
    const w = recorded.get('weight_hh_l1')!.data;
    const big = w.reduce((best, v, i) => (Math.abs(v) > Math.abs(w[best]) ? i : best), 0);
    w[big] *= 1 + 1e-6;
    const off = checkReplay(run, recorded, forward, 'float64', null);
    assert.equal(off.check.ok, false);
    assert.equal(off.check.compared[0].name, 'weight_hh_l1');
    assert.ok(off.check.maxRelErr > 1e-10);
    assert.equal(checkReplay(run, recorded, forward, 'float32', null).check.ok, true, 'within the float32 bound');
    w[big] /= 1 + 1e-6;
    forward.hN[0] += 1;
    const fwd = checkReplay(run, recorded, forward, 'float32', null);
    assert.equal(fwd.forward.ok, false);
    assert.equal(fwd.check.ok, false);
    forward.hN[0] -= 1;
    const approximate = checkReplay(run, recorded, forward, 'float64', 'dropout 0.2 between layers');
    assert.equal(approximate.check.ok, false);
    assert.equal(approximate.check.approximate, 'dropout 0.2 between layers');
  });

  for (const reverse of [false, true]) {
    for (const over of [
      { mode: 'LSTM' },
      { mode: 'GRU' },
      { mode: 'LSTM', projSize: 2 },
    ] as Partial<RecurrentConfig>[]) {
      it(`the flow row of a loss at one step is ‖∂L/∂h_k‖ of that loss alone (${over.mode}${over.projSize ? ' proj' : ''}, ${reverse ? 'reverse' : 'forward'} direction)`, () => {
        const T = 7,
          S = 2;
        const snap = randomSnapshot(config({ ...over, bidirectional: true }), S, T, 5);
        const P = over.projSize || 4,
          W = 2 * P;
        // only the loss at time t* reaches this direction's output; nothing through h_n
        const tStar = 4;
        for (let s = 0; s < S; s++)
          for (let t = 0; t < T; t++)
            for (let j = 0; j < W; j++)
              if (t !== tStar || (reverse ? j < P : j >= P)) snap.gradOutput[(s * T + t) * W + j] = 0;
        snap.gradHn.fill(0);
        snap.gradCn?.fill(0);
        const run = replay(snap);
        const result = analyzeReplay(run, { reverse, meta: META, flowBudget: 1 });
        const i = reverse ? T - 1 - tStar : tStar; // the step of t* in the direction's own order
        assert.ok(result.flow.exact);
        assert.deepEqual(result.flow.steps, [i]);
        const row = result.flow.matrix[0];
        const H = result.dLdh.cols;
        for (let k = 0; k <= i; k++) {
          let s2 = 0;
          for (let j = 0; j < H; j++) s2 += result.dLdh.data[k * H + j] ** 2;
          assert.ok(
            Math.abs(row[k] - Math.sqrt(s2)) <= 1e-12 * Math.max(1, row[k]),
            `k = ${k}: flow ${row[k]}, ‖∂L/∂h_k‖ ${Math.sqrt(s2)}`,
          );
        }
        for (let k = i + 1; k < T; k++)
          for (let j = 0; j < H; j++) assert.equal(result.dLdh.data[k * H + j], 0, 'no gradient after the loss step');
      });
    }
  }

  it('analyzes the last layer by default, with loss unknown (NaN), the layers traced and the spectral matrix named', () => {
    const snap = randomSnapshot(config({ mode: 'GRU', numLayers: 2 }), 2, 6);
    const result = analyzeReplay(replay(snap), { meta: META });
    assert.equal(result.model.task, 'trace');
    assert.ok(Number.isNaN(result.loss));
    assert.equal(result.layers?.length, 2);
    assert.equal(result.spectral.matrix, 'weight_hh_l1[n]');
    assert.equal(result.hidden.rows, 6);
    assert.deepEqual(Object.keys(result.gates ?? {}), ['r', 'z', 'n']);
  });
});
