// Small models and data for engine tests, and a naive reference forward written independently of the engine
// (nested loops over plain arrays, PyTorch's equations) used for value checks and finite differences.
import type { CellKind, ResolvedModel } from '../../../src/protocol/result';
import type { ParamSet, SequenceData } from '../../../src/engine/types';
import { Rng } from '../../../src/engine/rng';

export function model(over: Partial<ResolvedModel> = {}): ResolvedModel {
  return {
    cell: 'rnn',
    nonlinearity: 'tanh',
    inputSize: 3,
    hidden: 4,
    outputSize: 2,
    layers: 1,
    task: 'next-step',
    loss: 'mse',
    init: { kind: 'pytorch' },
    bptt: { truncate: null },
    optimizer: { kind: 'sgd', lr: 0.1 },
    clip: null,
    epochs: 1,
    batch: 16,
    validation: { fraction: 0 },
    window: 1000,
    seed: 7,
    data: 'x.csv',
    ...over,
  };
}

export function randomSeq(m: ResolvedModel, T: number, seed: number, maskEvery = 1): SequenceData {
  const rng = new Rng(seed);
  const inputs = new Float64Array(T * m.inputSize).map(() => rng.range(-1, 1));
  const targets =
    m.loss === 'xent'
      ? new Float64Array(T).map(() => rng.int(m.outputSize))
      : new Float64Array(T * m.outputSize).map(() => rng.range(-1, 1));
  const mask = new Uint8Array(T).map((_, t) => (t % maskEvery === maskEvery - 1 ? 1 : 0));
  return { T, inputs, targets, mask };
}

const sig = (x: number) => 1 / (1 + Math.exp(-x));

interface State {
  h: number[][];
  c: number[][];
}

/** Per-step losses; `frozen` replaces the states entering step `from` (truncated-BPTT reference). */
export function refLosses(
  m: ResolvedModel,
  p: ParamSet,
  s: SequenceData,
  from = 0,
  frozen?: State,
): { losses: number[]; states: State[] } {
  const H = m.hidden,
    D0 = m.inputSize,
    O = m.outputSize;
  const G = m.cell === 'lstm' ? 4 : m.cell === 'gru' ? 3 : 1;
  const W = (n: string) => p.get(n)!.data;
  let state: State = frozen ?? {
    h: Array.from({ length: m.layers }, () => new Array(H).fill(0)),
    c: Array.from({ length: m.layers }, () => new Array(H).fill(0)),
  };
  const losses: number[] = new Array(s.T).fill(0);
  const states: State[] = [];
  for (let t = from; t < s.T; t++) {
    states[t] = state;
    let x = Array.from(s.inputs.subarray(t * D0, (t + 1) * D0));
    const next: State = { h: [], c: [] };
    for (let l = 0; l < m.layers; l++) {
      const D = x.length;
      const wih = W(`rnn.weight_ih_l${l}`),
        whh = W(`rnn.weight_hh_l${l}`),
        bih = W(`rnn.bias_ih_l${l}`),
        bhh = W(`rnn.bias_hh_l${l}`);
      const hp = state.h[l],
        cp = state.c[l];
      const gi = (j: number) => {
        let a = bih[j];
        for (let k = 0; k < D; k++) a += wih[j * D + k] * x[k];
        return a;
      };
      const gh = (j: number) => {
        let a = bhh[j];
        for (let k = 0; k < H; k++) a += whh[j * H + k] * hp[k];
        return a;
      };
      const h = new Array(H).fill(0),
        c = new Array(H).fill(0);
      for (let i = 0; i < H; i++) {
        if (m.cell === 'rnn') {
          const a = gi(i) + gh(i);
          h[i] = m.nonlinearity === 'relu' ? Math.max(0, a) : Math.tanh(a);
        } else if (m.cell === 'lstm') {
          const ig = sig(gi(i) + gh(i)),
            fg = sig(gi(H + i) + gh(H + i)),
            gg = Math.tanh(gi(2 * H + i) + gh(2 * H + i)),
            og = sig(gi(3 * H + i) + gh(3 * H + i));
          c[i] = fg * cp[i] + ig * gg;
          h[i] = og * Math.tanh(c[i]);
        } else {
          const r = sig(gi(i) + gh(i)),
            z = sig(gi(H + i) + gh(H + i));
          const n = Math.tanh(gi(2 * H + i) + r * gh(2 * H + i));
          h[i] = (1 - z) * n + z * hp[i];
        }
      }
      void G;
      next.h.push(h);
      next.c.push(c);
      x = h;
    }
    state = next;
    if (!s.mask[t]) continue;
    const fw = W('fc.weight'),
      fb = W('fc.bias');
    const o = new Array(O).fill(0).map((_, j) => {
      let a = fb[j];
      for (let k = 0; k < H; k++) a += fw[j * H + k] * x[k];
      return a;
    });
    if (m.loss === 'xent') {
      const mx = Math.max(...o);
      const lz = mx + Math.log(o.reduce((a, v) => a + Math.exp(v - mx), 0));
      losses[t] = lz - o[s.targets[t]];
    } else {
      losses[t] = o.reduce((a, v, j) => a + (v - s.targets[t * O + j]) ** 2, 0);
    }
  }
  return { losses, states };
}

export const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);

export function cells(): CellKind[] {
  return ['rnn', 'lstm', 'gru'];
}
