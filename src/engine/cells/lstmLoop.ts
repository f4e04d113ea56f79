// The LSTM layer's time loops run in the kernels' memory (forward over all steps, full BPTT back over them): the tape
// of a chunk of steps is copied in once, every step's product W_hh h_{t−1} (or ∂/∂pre · W_hh) and its cell step run
// on operands that stay there, and the chunk's results are copied out once. The step-by-step path (lstm.ts forward
// and backward, with the products in network.ts) copies each step's operands in and out instead; both give the same
// values (the same kernels on the same operands, in the same order): tested bit for bit.
//
// Steps go in chunks of at most CHUNK_VALUES gate values so the region stays bounded whatever T·B is. Backward takes
// the chunks in reverse, so the last chunk forward left in the region is the first one backward needs: it is used as
// it is when nothing ran in between (`resident`).
import type { Precision } from '../../protocol/result';
import { kernels, type Kernels } from '../wasm';
import { kernelViews, paddedColumns, productInKernel, productRows, type PackedOperand } from '../linalg';
import type { CellDims, Tape } from './index';

/** Gate values (steps × B × 4H) per chunk: 16 MB of float64s (the char-LM's batch of 16 × 100 steps at H=128 is one chunk). */
const CHUNK_VALUES = 1 << 21;
/** Below this many units a gate run is too short for the kernels (activations.ts MIN_RUN): the step path takes it. */
const MIN_H = 8;

const align = (bytes: number) => Math.ceil(bytes / 16) * 16;

/** Byte addresses of one layer's areas in the region, for chunks of n steps. */
interface Areas {
  n: number;
  acts: number; // n blocks of B·4H: pre in, gate activations out
  cs: number; // n + 1 blocks of B·H: c_{t0−1} … c_{t0+n−1}
  tc: number; // n blocks of B·H: tanh(c_t)
  hs: number; // n + 1 blocks of B·H: h_{t0−1} … (and room for the product's extra rows)
  hh: number; // the forward product's C: productRows(B) rows of paddedColumns(4H)
  bias: number; // b_hh
  stage: number; // float32 A operands
  whh: number; // W_hh packed
  whhT: number; // W_hhᵀ packed
  dpre: number; // n blocks of B·4H: ∂/∂pre (and room for the product's extra rows)
  dh: number; // n blocks of B·H: ∂L/∂h_t
  inj: number; // n blocks of B·H: the gradient arriving at h_t from above
  carry: number; // the backward product's C: productRows(B) rows of paddedColumns(H)
  dcA: number; // ∂/∂c_t and ∂/∂c_{t−1}, swapped every step
  dcB: number;
  total: number;
}

function areas(T: number, B: number, H: number, precision: Precision): Areas {
  const G = 4 * H,
    m = B * H,
    g = B * G;
  const n = Math.max(1, Math.min(T, Math.floor(CHUNK_VALUES / g)));
  const Bk = productRows(B);
  const es = precision === 'float32' ? 4 : 8;
  const sizes: [keyof Omit<Areas, 'n' | 'total'>, number][] = [
    ['acts', n * g * 8],
    ['cs', (n + 1) * m * 8],
    ['tc', n * m * 8],
    ['hs', ((n + 1) * B + 4) * H * 8],
    ['hh', Bk * paddedColumns(G, precision) * 8],
    ['bias', G * 8],
    ['stage', Bk * G * 8],
    ['whh', paddedColumns(G, precision) * H * es],
    ['whhT', paddedColumns(H, precision) * G * es],
    ['dpre', (n * B + 4) * G * 8],
    ['dh', n * m * 8],
    ['inj', n * m * 8],
    ['carry', Bk * paddedColumns(H, precision) * 8],
    ['dcA', m * 8],
    ['dcB', m * 8],
  ];
  const out = { n, total: 0 } as Areas;
  let at = 0;
  for (const [name, bytes] of sizes) {
    out[name] = at;
    at += align(bytes);
  }
  out.total = at;
  return out;
}

/** Bytes of the kernels' memory the loops take for T steps of B rows (one region, reused: the largest use counts). */
export function lstmLoopBytes(T: number, B: number, { H }: CellDims, precision: Precision): number {
  return T > 0 && B > 0 && H >= MIN_H ? areas(T, B, H, precision).total : 0;
}

/** The region's areas at base address `base`. */
function placed(a: Areas, base: number): Areas {
  const out = { ...a };
  for (const key of Object.keys(a) as (keyof Areas)[]) if (key !== 'n' && key !== 'total') out[key] += base;
  return out;
}

/** Which tape's chunk (from step t0) forward left in the region, at which address; tape null: none. */
const resident = { tape: null as Tape | null, base: -1, t0: -1 };
/** The tape whose gates, c_t and tanh(c_t) the last forward left in the region only (keepTape false). */
let stale: Tape | null = null;
/** Where the last backward left a whole layer's ∂/∂pre and Hs in the region (both for all T steps), and for which tape. */
let gradients: { tape: Tape; dPre: number; Hs: number } | null = null;

/**
 * The byte addresses in the kernels' memory of the tape's ∂/∂pre ([T][B][4H]) and Hs ([T+1][B][H]) as the last
 * backwardLoop left them, while nothing else has run a loop since; null otherwise. The weight gradients read them
 * there instead of copying the arrays in again.
 */
export function lstmResidentGradients(tape: Tape): { dPre: number; Hs: number } | null {
  return gradients && gradients.tape === tape ? { dPre: gradients.dPre, Hs: gradients.Hs } : null;
}

function usable(tape: Tape, H: number, P: number, op: PackedOperand): Kernels | null {
  if (tape.M || P !== H || H < MIN_H || !op.packedForKernels) return null;
  return kernels();
}

/** The region for T steps of the tape's B rows, reserved, its areas placed, and a float64 view of the memory. */
function region(k: Kernels, T: number, B: number, H: number, precision: Precision) {
  const shape = areas(T, B, H, precision);
  const base = k.layerReserve(shape.total);
  return { n: shape.n, base, at: placed(shape, base), f64: kernelViews(k).f64 };
}

/** B rows of H float64s from row stride sStride to row stride dStride, within the kernels' memory (float64 indices). */
function copyRowsWithin(
  f64: Float64Array,
  dst: number,
  dStride: number,
  src: number,
  sStride: number,
  B: number,
  H: number,
): void {
  if (dStride === H && sStride === H) f64.copyWithin(dst, src, src + B * H);
  else for (let b = 0; b < B; b++) f64.copyWithin(dst + b * dStride, src + b * sStride, src + b * sStride + H);
}

/**
 * Forward through all T steps of an unprojected LSTM layer: from tape.pre (W_ih x_t + b_ih) and the tape's h_0, c_0,
 * writes acts, Cs, aux (tanh c_t) and Hs as T calls of lstm.forward would (with W_hh h_{t−1} + b_hh from gemmNTPacked).
 * With keepTape false and all T steps in one chunk, acts, Cs and aux are left in the region only (for the backward
 * that follows; stale in the tape). False (nothing done) where the kernels are absent, the cell is projected or H is
 * small.
 */
export function lstmForwardLoop(
  tape: Tape,
  T: number,
  whh: PackedOperand,
  bhh: Float64Array | null,
  { H, P }: CellDims,
  precision: Precision,
  keepTape = true,
): boolean {
  resident.tape = null;
  gradients = null;
  if (stale === tape) stale = null;
  const k = usable(tape, H, P, whh);
  if (!k || T === 0) return false;
  const { B, pre, Hs } = tape;
  const acts = tape.acts!,
    Cs = tape.Cs!,
    tanhC = tape.aux!;
  const G = 4 * H,
    m = B * H,
    g = B * G;
  const { n, base, at, f64 } = region(k, T, B, H, precision);
  const f32 = precision === 'float32';
  const NpG = paddedColumns(G, precision);
  whh.placeIn(k, at.whh);
  if (bhh) f64.set(bhh, at.bias / 8);
  f64.set(Hs.subarray(0, m), at.hs / 8);
  f64.set(Cs.subarray(0, m), at.cs / 8);
  // The tape may stay here only if all of it fits: one chunk.
  const keep = keepTape || n < T;
  let t0 = 0;
  for (; t0 < T; t0 += n) {
    const c = Math.min(n, T - t0);
    f64.set(pre.subarray(t0 * g, (t0 + c) * g), at.acts / 8);
    for (let j = 0; j < c; j++) {
      let a = at.hs + j * m * 8;
      if (f32) {
        k.demote32(a, at.stage, m);
        a = at.stage;
      }
      // W_hh h_{t−1}, then b_hh added to it in the step kernel: the same sums as the product starting from b_hh
      productInKernel(k, B, G, H, a, at.whh, at.hh, false, precision);
      const s = at.cs + j * m * 8;
      const bias = bhh ? at.bias : 0;
      k.lstmForwardRows(
        at.acts + j * g * 8,
        at.hh,
        NpG,
        bias,
        s,
        s + m * 8,
        at.tc + j * m * 8,
        at.hs + (j + 1) * m * 8,
        B,
        H,
        f32 ? 1 : 0,
      );
    }
    if (keep) {
      acts.set(f64.subarray(at.acts / 8, at.acts / 8 + c * g), t0 * g);
      Cs.set(f64.subarray(at.cs / 8 + m, at.cs / 8 + (c + 1) * m), (t0 + 1) * m);
      tanhC.set(f64.subarray(at.tc / 8, at.tc / 8 + c * m), t0 * m);
    } else stale = tape;
    Hs.set(f64.subarray(at.hs / 8 + m, at.hs / 8 + (c + 1) * m), (t0 + 1) * m);
    if (t0 + c < T) {
      f64.copyWithin(at.hs / 8, at.hs / 8 + c * m, at.hs / 8 + (c + 1) * m);
      f64.copyWithin(at.cs / 8, at.cs / 8 + c * m, at.cs / 8 + (c + 1) * m);
    } else {
      resident.tape = tape;
      resident.base = base;
      resident.t0 = t0;
    }
  }
  return true;
}

/**
 * Full BPTT through an unprojected LSTM layer, from step T−1 down to 0: ∂L/∂h_t = (what comes back from step t+1) +
 * inject[t] into dH, ∂/∂pre (for W_ih x_t + b_ih and W_hh h_{t−1} + b_hh alike) into dPre, as lstm.backward and the
 * product with W_hh (whhT: W_hhᵀ packed) in network.ts's backwardWindow would. When the whole layer fits one chunk
 * and forward's values were still in the region, ∂/∂pre and Hs stay there for the weight gradients
 * (lstmResidentGradients), and with copyDPre false dPre itself is left stale. False (nothing done) where
 * lstmForwardLoop would do nothing.
 */
export function lstmBackwardLoop(
  tape: Tape,
  T: number,
  whhT: PackedOperand,
  inject: Float64Array,
  dH: Float64Array,
  dPre: Float64Array,
  { H, P }: CellDims,
  precision: Precision,
  copyDPre = true,
): boolean {
  gradients = null;
  const k = usable(tape, H, P, whhT);
  if (!k || T === 0) return false;
  const { B } = tape;
  const acts = tape.acts!,
    Cs = tape.Cs!,
    tanhC = tape.aux!;
  const G = 4 * H,
    m = B * H,
    g = B * G;
  const { n, base, at, f64 } = region(k, T, B, H, precision);
  const f32 = precision === 'float32';
  const NpH = paddedColumns(H, precision);
  whhT.placeIn(k, at.whhT);
  let dc = at.dcA,
    dcPrev = at.dcB;
  f64.fill(0, dc / 8, dc / 8 + m);
  // ∂L/∂h_{T−1} = 0 + inject[T−1] (the zero carried into the last step, added as the step path adds it)
  const carry = at.carry / 8;
  for (let b = 0; b < B; b++)
    for (let i = 0; i < H; i++) f64[carry + b * NpH + i] = 0 + inject[(T - 1) * m + b * H + i];
  // One chunk whose forward values were still here: the whole ∂/∂pre and Hs stay in the region after the loop.
  const whole = n >= T && resident.tape === tape && resident.base === base && resident.t0 === 0;
  for (let t0 = Math.floor((T - 1) / n) * n; t0 >= 0; t0 -= n) {
    const c = Math.min(n, T - t0);
    if (resident.tape !== tape || resident.base !== base || resident.t0 !== t0) {
      if (stale === tape) throw new Error('lstmBackwardLoop: the tape forward left in the kernels’ memory is gone');
      f64.set(acts.subarray(t0 * g, (t0 + c) * g), at.acts / 8);
      f64.set(Cs.subarray(t0 * m, (t0 + c) * m), at.cs / 8);
      f64.set(tanhC.subarray(t0 * m, (t0 + c) * m), at.tc / 8);
    }
    f64.set(inject.subarray(t0 * m, (t0 + c) * m), at.inj / 8);
    for (let j = c - 1; j >= 0; j--) {
      const t = t0 + j;
      // the carried gradient plus inject[t], as the product left it, into this step's row of dH
      const dh = at.dh / 8 + j * m;
      copyRowsWithin(f64, dh, H, carry, NpH, B, H);
      const d = at.dpre + j * g * 8;
      k.lstmBackwardRows(
        at.acts + j * g * 8,
        at.cs + j * m * 8,
        at.tc + j * m * 8,
        dh * 8,
        dc,
        d,
        dcPrev,
        B,
        H,
        f32 ? 1 : 0,
      );
      const swap = dc;
      dc = dcPrev;
      dcPrev = swap;
      if (t === 0) continue;
      // C starts as inject[t−1], and the product (∂/∂pre_t) · W_hh is added to it: ∂L/∂h_{t−1}.
      if (j > 0) {
        const src = at.inj / 8 + (j - 1) * m;
        copyRowsWithin(f64, carry, NpH, src, H, B, H);
      } else
        for (let b = 0; b < B; b++)
          f64.set(inject.subarray((t - 1) * m + b * H, (t - 1) * m + b * H + H), carry + b * NpH);
      let a = d;
      if (f32) {
        k.demote32(d, at.stage, g);
        a = at.stage;
      }
      productInKernel(k, B, H, G, a, at.whhT, at.carry, true, precision);
    }
    if (copyDPre || !whole) dPre.set(f64.subarray(at.dpre / 8, at.dpre / 8 + c * g), t0 * g);
    dH.set(f64.subarray(at.dh / 8, at.dh / 8 + c * m), t0 * m);
  }
  resident.tape = null;
  if (whole) gradients = { tape, dPre: at.dpre, Hs: at.hs };
  return true;
}
