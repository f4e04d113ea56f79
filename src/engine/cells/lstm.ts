// The LSTM cell, as nn.LSTM (gate order i, f, g, o):
//   i, f, o = σ(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh) (their blocks), g = tanh(…), c_t = f ⊙ c_{t−1} + i ⊙ g,
//   m_t = o ⊙ tanh(c_t), and h_t = m_t, or with proj_size h_t = W_hr m_t (P = proj_size entries, W_hh then H·4 × P).
// The step Jacobian acts on the state (h, c); its coefficients are the gates' derivatives (see `jacobian`).
import type { Cell, CellDims, CellGrads, CellWeights, Tape } from './index';
import { addBias, standardParams } from './common';
import { gemmNT } from '../linalg';
import { lstmBackwardInKernel, lstmForwardInKernel, squashRows } from '../activations';
import { lstmBackwardLoop, lstmForwardLoop, lstmLoopBytes, lstmResidentGradients } from './lstmLoop';

export const lstm: Cell = {
  kind: 'lstm',
  G: 4,
  gates: ['i', 'f', 'g', 'o'],
  candidate: 2,
  separateHh: false,
  directPrev: false,
  tape: (dims) => ({ cellState: true, acts: true, aux: true, projected: dims.P !== dims.H }),
  // gate activations and tanh(c_t) (tape), c_t (tape), and the Result's copies of the gates and of c_t
  extraDoublesPerStep: (H) => 4 * H + 2 * H + 4 * H + H,
  params(l, D, dims, bias) {
    const out = standardParams(4, l, D, dims, bias);
    if (dims.P !== dims.H) out.push({ name: `weight_hr_l${l}`, shape: [dims.P, dims.H] });
    return out;
  },
  /** `forgetBias` sets the forget gate's bias in b_ih and zeroes b_hh's forget slice, so that their sum is exactly the value. */
  initBiases(bih, bhh, H, init) {
    if (init.forgetBias === undefined) return;
    for (let i = H; i < 2 * H; i++) {
      if (bih) bih[i] = init.forgetBias;
      if (bhh) bhh[i] = 0;
    }
  },

  forward(tape: Tape, t: number, hh: Float64Array, w: CellWeights, { H, P }: CellDims): void {
    const { B, pre, Hs } = tape;
    const acts = tape.acts!,
      Cs = tape.Cs!,
      tanhC = tape.aux!;
    const M = tape.M; // projected: m_t goes here, then h_t = W_hr m_t
    const bhh = w.bhh;
    const GH = 4 * H;
    if (bhh) addBias(hh, B, GH, bhh);
    const a0 = t * B * GH;
    const s0 = t * B * H; // this step's per-unit caches, and c_{t−1} in Cs
    // Unprojected: the whole step in one kernel call (the same values as the passes below).
    const f32 = tape.precision === 'float32';
    if (!M && lstmForwardInKernel(B, H, pre, hh, acts, a0, Cs, s0, s0 + B * H, tanhC, s0, Hs, (t + 1) * B * P, f32))
      return;
    // The step's gate pre-activations for the whole batch, then σ (i, f, o) and tanh (g) over them at once.
    for (let j = 0; j < B * GH; j++) acts[a0 + j] = pre[a0 + j] + hh[j];
    squashRows(acts, a0, B, GH, [0, 2 * H, 'sigmoid', 2 * H, H, 'tanh', 3 * H, H, 'sigmoid']);
    for (let b = 0; b < B; b++) {
      const gi = a0 + b * GH,
        gf = gi + H,
        gc = gf + H;
      const s = s0 + b * H;
      const c1 = s + B * H;
      for (let i = 0; i < H; i++) {
        const ig = acts[gi + i],
          fg = acts[gf + i],
          gg = acts[gc + i];
        const c = fg * Cs[s + i] + ig * gg;
        Cs[c1 + i] = c;
        tanhC[s + i] = c;
      }
    }
    squashRows(tanhC, s0, B, H, [0, H, 'tanh']);
    const m = M ?? Hs;
    const mo = M ? s0 : (t + 1) * B * P; // P = H when unprojected
    for (let b = 0; b < B; b++) {
      const go = a0 + b * GH + 3 * H,
        s = s0 + b * H,
        o = mo + b * H;
      for (let i = 0; i < H; i++) m[o + i] = acts[go + i] * tanhC[s + i];
    }
    if (M) gemmNT(B, P, H, M, t * B * H, w.whr!, 0, Hs, (t + 1) * B * P, false);
  },

  backward(
    tape: Tape,
    t: number,
    dh: Float64Array,
    dc: Float64Array,
    w: CellWeights,
    { H, P }: CellDims,
    out: CellGrads,
  ): void {
    const { B } = tape;
    const acts = tape.acts!,
      Cs = tape.Cs!,
      tanhC = tape.aux!;
    const { dIh, dcPrev } = out;
    const GH = 4 * H;
    // ∂/∂m_t: dh itself, or through the projection W_hrᵀ dh
    let dm = dh;
    if (tape.M) {
      gemmNT(B, H, P, dh, 0, w.whrT!, 0, out.scratch, 0, false);
      dm = out.scratch;
    }
    // One kernel call for the whole step (the same values as the loop below).
    const f32 = tape.precision === 'float32';
    if (lstmBackwardInKernel(B, H, acts, t * B * GH, Cs, tanhC, t * B * H, dm, dc, dIh, dcPrev, f32)) return;
    for (let b = 0; b < B; b++) {
      // the offsets of the four gate blocks, in acts and in dIh, outside the inner loop
      const gi = (t * B + b) * GH,
        gf = gi + H,
        gc = gf + H,
        go = gc + H;
      const s = (t * B + b) * H;
      const o = b * H,
        di = b * GH,
        df = di + H,
        dg = df + H,
        dO = dg + H;
      for (let i = 0; i < H; i++) {
        const ig = acts[gi + i],
          fg = acts[gf + i],
          gg = acts[gc + i],
          og = acts[go + i];
        const tc = tanhC[s + i];
        const dmi = dm[o + i];
        const dct = dc[o + i] + dmi * og * (1 - tc * tc);
        dIh[di + i] = dct * gg * ig * (1 - ig);
        dIh[df + i] = dct * Cs[s + i] * fg * (1 - fg);
        dIh[dg + i] = dct * ig * (1 - gg * gg);
        dIh[dO + i] = dmi * tc * og * (1 - og);
        dcPrev[o + i] = dct * fg;
      }
    }
  },

  forwardLoop: lstmForwardLoop,
  backwardLoop: lstmBackwardLoop,
  residentGradients: lstmResidentGradients,
  loopBytes: lstmLoopBytes,

  stateWidth: (H) => 2 * H,
  // Per unit: ∂c/∂(i, f, g pre-activations) (c0, c1, c2), o(1 − tanh²c) (c3), tanh(c)·σ′(o) (c4), f (c5). With
  // y = W_hh v_h: ∂c_t = c0 y_i + c1 y_f + c2 y_g + f v_c and ∂h_t = c3 ∂c_t + c4 y_o. Unprojected cells only (P = H).
  jacobianWidth: 6,
  jacobian(tape: Tape, t: number, b: number, H: number, coef: Float64Array, off: number): void {
    const a = tape.acts!,
      Cs = tape.Cs!,
      tanhC = tape.aux!;
    const g0 = (t * tape.B + b) * 4 * H;
    const s = (t * tape.B + b) * H;
    for (let i = 0; i < H; i++) {
      const ig = a[g0 + i],
        fg = a[g0 + H + i],
        gg = a[g0 + 2 * H + i],
        og = a[g0 + 3 * H + i];
      const tc = tanhC[s + i];
      coef[off + i] = gg * ig * (1 - ig);
      coef[off + H + i] = Cs[s + i] * fg * (1 - fg);
      coef[off + 2 * H + i] = ig * (1 - gg * gg);
      coef[off + 3 * H + i] = og * (1 - tc * tc);
      coef[off + 4 * H + i] = tc * og * (1 - og);
      coef[off + 5 * H + i] = fg;
    }
  },
  hPath(coef, off, H, rows) {
    for (let i = 0; i < H; i++) {
      const k = coef[off + 3 * H + i];
      rows[i] = k * coef[off + i];
      rows[H + i] = k * coef[off + H + i];
      rows[2 * H + i] = k * coef[off + 2 * H + i];
      rows[3 * H + i] = coef[off + 4 * H + i];
      rows[4 * H + i] = 0;
    }
  },
  jv(coef, off, H, y, yOff, q, qOff, u, uOff, x, xOff) {
    for (let i = 0; i < H; i++) {
      const c0 = coef[off + i],
        c1 = coef[off + H + i],
        c2 = coef[off + 2 * H + i];
      const k = coef[off + 3 * H + i],
        c4 = coef[off + 4 * H + i],
        f = coef[off + 5 * H + i];
      const dc = c0 * y[yOff + i] + c1 * y[yOff + H + i] + c2 * y[yOff + 2 * H + i];
      const uh = k * dc + c4 * y[yOff + 3 * H + i] + k * f * q[qOff + H + i];
      const uc = dc + f * q[qOff + H + i];
      u[uOff + i] = uh;
      u[uOff + H + i] = uc;
      // Jᵀu: through ∂c/∂h (i, f, g blocks) from k·u_h + u_c, through W_o from c4·u_h
      const back = k * uh + uc;
      x[xOff + i] = c0 * back;
      x[xOff + H + i] = c1 * back;
      x[xOff + 2 * H + i] = c2 * back;
      x[xOff + 3 * H + i] = c4 * uh;
    }
  },
  // the c part of Jᵀu: f ⊙ (k·u_h + u_c)
  jtDirect(coef, off, H, u, uOff, w, wOff) {
    for (let i = 0; i < H; i++)
      w[wOff + H + i] = coef[off + 5 * H + i] * (coef[off + 3 * H + i] * u[uOff + i] + u[uOff + H + i]);
  },
};
