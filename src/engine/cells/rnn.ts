// The vanilla (Elman) RNN cell, as nn.RNN: h_t = f(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh), f = tanh or relu.
// One gate block; its derivative f′ is the whole step Jacobian's coefficient: ∂h_t/∂h_{t−1} = diag(f′) W_hh.
import type { Cell, CellDims, CellGrads, CellWeights, Tape } from './index';
import { addBias, standardParams } from './common';
import { addTanhRun } from '../activations';

function makeRnn(relu: boolean): Cell {
  return {
    kind: 'rnn',
    G: 1,
    gates: [],
    candidate: 0,
    separateHh: false,
    directPrev: false,
    tape: () => ({ cellState: false, acts: false, aux: false, projected: false }),
    extraDoublesPerStep: () => 0, // h_t is its only activation
    params: (l, D, dims, bias) => standardParams(1, l, D, dims, bias),
    initBiases: () => undefined,

    forward(tape: Tape, t: number, hh: Float64Array, w: CellWeights, { H }: CellDims): void {
      const { B, pre, Hs } = tape;
      const bhh = w.bhh;
      const p0 = t * B * H,
        h0 = (t + 1) * B * H;
      if (bhh) addBias(hh, B, H, bhh);
      if (relu)
        for (let i = 0; i < B * H; i++) {
          const a = pre[p0 + i] + hh[i];
          Hs[h0 + i] = a > 0 ? a : 0;
        }
      else addTanhRun(Hs, h0, pre, p0, hh, 0, B * H); // the whole step's block at once (in the kernels)
    },

    backward(
      tape: Tape,
      t: number,
      dh: Float64Array,
      _dc: Float64Array,
      _w: CellWeights,
      { H }: CellDims,
      out: CellGrads,
    ): void {
      const { B, Hs } = tape;
      const h0 = (t + 1) * B * H;
      const d = out.dIh;
      if (relu) for (let i = 0; i < B * H; i++) d[i] = Hs[h0 + i] > 0 ? dh[i] : 0;
      else
        for (let i = 0; i < B * H; i++) {
          const h = Hs[h0 + i];
          d[i] = dh[i] * (1 - h * h);
        }
    },

    stateWidth: (H) => H,
    // c[i] = f′(a_i): tanh′ = 1 − h², relu′ = [h > 0]
    jacobianWidth: 1,
    jacobian(tape: Tape, t: number, b: number, H: number, coef: Float64Array, off: number): void {
      const h0 = ((t + 1) * tape.B + b) * H;
      for (let i = 0; i < H; i++) {
        const h = tape.Hs[h0 + i];
        coef[off + i] = relu ? (h > 0 ? 1 : 0) : 1 - h * h;
      }
    },
    hPath(coef, off, H, rows) {
      for (let i = 0; i < H; i++) {
        rows[i] = coef[off + i];
        rows[H + i] = 0;
      }
    },
    jv(coef, off, H, y, yOff, _q, _qOff, u, uOff, x, xOff) {
      for (let i = 0; i < H; i++) {
        const c = coef[off + i];
        u[uOff + i] = c * y[yOff + i];
        x[xOff + i] = c * u[uOff + i];
      }
    },
    jtDirect: () => undefined,
  };
}

export const rnnTanh = makeRnn(false);
export const rnnRelu = makeRnn(true);
