// The output layer's softmax cross-entropy over all T·B rows at once: on the WebAssembly kernels (assembly/loss.ts,
// e^x on f64x2 lanes, within a few units in the last place of Math.exp) where they load, else the JavaScript rows
// below (the reference, and the fallback). Both take the same steps in the same order; only the exponentials differ.
import { kernels } from './wasm';

/** Below this many logits a row's SIMD pass saves less than the copies cost. */
const MIN_LOGITS = 8;

/**
 * For the R rows of O logits in out (row r at r·O): out_j += bias_j; then for a row whose class ys[r] is ≥ 0,
 * rowLoss[r] = log Σ_j e^{out_j} − out_y (as m + log Σ_j e^{out_j − m} − out_y, m the row's largest logit) and
 * dOut's row (p_j − [j = y]) / B, p the softmax of the row; a row with ys[r] < 0 (no target) gets dOut 0 and keeps
 * its rowLoss. A class ≥ O throws. `useKernels` false: JavaScript always.
 */
export function softmaxXent(
  R: number,
  O: number,
  out: Float64Array,
  bias: Float64Array,
  ys: Int32Array,
  B: number,
  dOut: Float64Array,
  rowLoss: Float64Array,
  useKernels = true,
): void {
  for (let r = 0; r < R; r++)
    if (ys[r] >= O) throw new RangeError(`class ${ys[r]} of row ${r} is not one of the ${O} outputs`);
  if (useKernels && O >= MIN_LOGITS && R > 0 && inKernel(R, O, out, bias, ys, B, dOut, rowLoss)) return;
  for (let r = 0; r < R; r++) {
    const o = r * O;
    // the bias, and the largest logit (softmax's shift) in the same pass
    let m = -Infinity;
    for (let j = 0; j < O; j++) m = Math.max(m, (out[o + j] += bias[j]));
    const y = ys[r];
    if (y < 0) {
      dOut.fill(0, o, o + O);
      continue;
    }
    // One exp per logit: e_j = e^{out_j − m} (kept in dOut), Z' = Σ e_j, log Z = m + log Z', p_j = e_j / Z'.
    let sum = 0;
    for (let j = 0; j < O; j++) {
      const e = Math.exp(out[o + j] - m);
      dOut[o + j] = e;
      sum += e;
    }
    rowLoss[r] = m + Math.log(sum) - out[o + y];
    // (p_j − [j = y]) / B; p_j − 0 is p_j exactly, so only the target's entry subtracts
    const inv = 1 / sum;
    const py = dOut[o + y] * inv;
    for (let j = 0; j < O; j++) dOut[o + j] = (dOut[o + j] * inv) / B;
    dOut[o + y] = (py - 1) / B;
  }
}

/** A view on the kernels' memory, made again when it grows. */
let view = new Float64Array(0);

function inKernel(
  R: number,
  O: number,
  out: Float64Array,
  bias: Float64Array,
  ys: Int32Array,
  B: number,
  dOut: Float64Array,
  rowLoss: Float64Array,
): boolean {
  const k = kernels();
  if (!k) return false;
  const n = R * O;
  // [logits n][dOut n][stats 2R][bias O][classes R as i32], float64s first so every one is 8-byte aligned
  const at = k.lossReserve(8 * (2 * n + 2 * R + O) + 4 * R);
  if (view.buffer !== k.memory.buffer) view = new Float64Array(k.memory.buffer);
  const v = view,
    pOut = at / 8,
    pD = pOut + n,
    pStats = pD + n,
    pBias = pStats + 2 * R,
    pYs = 8 * (pBias + O);
  v.set(out.subarray(0, n), pOut);
  v.set(bias.subarray(0, O), pBias);
  new Int32Array(k.memory.buffer, pYs, R).set(ys.subarray(0, R));
  k.softmaxXentRows(8 * pOut, 8 * pBias, pYs, 8 * pD, 8 * pStats, R, O, B);
  out.set(v.subarray(pOut, pOut + n));
  dOut.set(v.subarray(pD, pD + n));
  for (let r = 0; r < R; r++) {
    const y = ys[r];
    if (y >= 0) rowLoss[r] = v[pStats + 2 * r] + Math.log(v[pStats + 2 * r + 1]) - out[r * O + y];
  }
  return true;
}
