// The GRU cell, as nn.GRU (gate order r, z, n):
//   r, z = σ(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh) (their blocks), n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn)),
//   h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}.
// Two things set it apart: the candidate's recurrent pre-activation is scaled by r (so ∂/∂(W_hh h + b_hh) differs from
// ∂/∂(W_ih x + b_ih): `separateHh`), and h_{t−1} reaches h_t directly through z (`directPrev`).
import type { Cell, CellDims, CellGrads, CellWeights, Tape } from './index';
import { addBias, standardParams } from './common';
import { squashRows } from '../activations';

export const gru: Cell = {
  kind: 'gru',
  G: 3,
  gates: ['r', 'z', 'n'],
  candidate: 2,
  separateHh: true,
  directPrev: true,
  tape: () => ({ cellState: false, acts: true, aux: true, projected: false }),
  // gate activations and W_hn h + b_hn (tape), the separate ∂/∂(recurrent pre-activations), the Result's copies of the gates
  extraDoublesPerStep: (H) => 3 * H + H + 3 * H + 3 * H,
  params: (l, D, dims, bias) => standardParams(3, l, D, dims, bias),
  initBiases: () => undefined,

  forward(tape: Tape, t: number, hh: Float64Array, w: CellWeights, { H }: CellDims): void {
    const { B, pre, Hs } = tape;
    const acts = tape.acts!,
      hn = tape.aux!;
    const bhh = w.bhh;
    const GH = 3 * H;
    if (bhh) addBias(hh, B, GH, bhh);
    // r and z, then n's pre-activation (it needs r), then tanh of n: each for the whole batch at once
    const a0 = t * B * GH,
      s0 = t * B * H; // this step's gate block, per-unit caches, and h_{t−1} in Hs
    for (let b = 0; b < B; b++) {
      const g0 = a0 + b * GH,
        hb = b * GH;
      for (let j = 0; j < 2 * H; j++) acts[g0 + j] = pre[g0 + j] + hh[hb + j];
    }
    squashRows(acts, a0, B, GH, [0, 2 * H, 'sigmoid']);
    for (let b = 0; b < B; b++) {
      const gr = a0 + b * GH,
        gn = gr + 2 * H,
        hbn = b * GH + 2 * H,
        s = s0 + b * H;
      for (let i = 0; i < H; i++) {
        const hnv = hh[hbn + i];
        hn[s + i] = hnv;
        acts[gn + i] = pre[gn + i] + acts[gr + i] * hnv;
      }
    }
    squashRows(acts, a0, B, GH, [2 * H, H, 'tanh']);
    for (let b = 0; b < B; b++) {
      const gz = a0 + b * GH + H,
        gn = gz + H,
        s = s0 + b * H,
        ho = s + B * H;
      for (let i = 0; i < H; i++) {
        const z = acts[gz + i],
          n = acts[gn + i];
        Hs[ho + i] = (1 - z) * n + z * Hs[s + i];
      }
    }
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
    const acts = tape.acts!,
      hn = tape.aux!;
    const { dIh, dHh, dhPrev } = out;
    const GH = 3 * H;
    for (let b = 0; b < B; b++) {
      // the offsets of the three gate blocks, in acts and in dIh/dHh, outside the inner loop
      const gr = (t * B + b) * GH,
        gz = gr + H,
        gn = gz + H;
      const s = (t * B + b) * H;
      const o = b * H,
        dr = b * GH,
        dz = dr + H,
        dn = dz + H;
      for (let i = 0; i < H; i++) {
        const r = acts[gr + i],
          z = acts[gz + i],
          n = acts[gn + i];
        const dhi = dh[o + i];
        const dnPre = dhi * (1 - z) * (1 - n * n);
        const drPre = dnPre * hn[s + i] * r * (1 - r);
        const dzPre = dhi * (Hs[s + i] - n) * z * (1 - z);
        dIh[dr + i] = drPre;
        dIh[dz + i] = dzPre;
        dIh[dn + i] = dnPre;
        dHh[dr + i] = drPre;
        dHh[dz + i] = dzPre;
        dHh[dn + i] = dnPre * r;
        dhPrev[o + i] = dhi * z;
      }
    }
  },

  stateWidth: (H) => H,
  // Per unit, with dn = (1 − z)(1 − n²): c_r = dn·(W_hn h + b_hn)·σ′(r), c_z = (h_{t−1} − n)·σ′(z), c_n = dn·r on W_hh's
  // r, z, n blocks, and z on the diagonal: ∂h_t = c_r y_r + c_z y_z + c_n y_n + z v.
  jacobianWidth: 4,
  jacobian(tape: Tape, t: number, b: number, H: number, coef: Float64Array, off: number): void {
    const a = tape.acts!,
      hn = tape.aux!,
      Hs = tape.Hs;
    const g0 = (t * tape.B + b) * 3 * H;
    const s = (t * tape.B + b) * H;
    for (let i = 0; i < H; i++) {
      const r = a[g0 + i],
        z = a[g0 + H + i],
        n = a[g0 + 2 * H + i];
      const dn = (1 - z) * (1 - n * n);
      coef[off + i] = dn * hn[s + i] * r * (1 - r);
      coef[off + H + i] = (Hs[s + i] - n) * z * (1 - z);
      coef[off + 2 * H + i] = dn * r;
      coef[off + 3 * H + i] = z;
    }
  },
  hPath(coef, off, H, rows) {
    for (let i = 0; i < 4 * H; i++) rows[i] = coef[off + i];
  },
  jv(coef, off, H, y, yOff, q, qOff, u, uOff, x, xOff) {
    for (let i = 0; i < H; i++) {
      const c0 = coef[off + i],
        c1 = coef[off + H + i],
        c2 = coef[off + 2 * H + i];
      const v =
        c0 * y[yOff + i] + c1 * y[yOff + H + i] + c2 * y[yOff + 2 * H + i] + coef[off + 3 * H + i] * q[qOff + i];
      u[uOff + i] = v;
      x[xOff + i] = c0 * v;
      x[xOff + H + i] = c1 * v;
      x[xOff + 2 * H + i] = c2 * v;
    }
  },
  jtDirect(coef, off, H, u, uOff, w, wOff) {
    for (let i = 0; i < H; i++) w[wOff + i] += coef[off + 3 * H + i] * u[uOff + i];
  },
};
