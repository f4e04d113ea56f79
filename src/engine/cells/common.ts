// Helpers the cell modules share.
import type { CellDims, LayerParam } from './index';

/** The parameters every cell of PyTorch's nn.RNN family has, in state_dict order (G gate blocks). */
export function standardParams(G: number, l: number, D: number, dims: CellDims, bias: boolean): LayerParam[] {
  const GH = G * dims.H;
  const out: LayerParam[] = [
    { name: `weight_ih_l${l}`, shape: [GH, D] },
    { name: `weight_hh_l${l}`, shape: [GH, dims.P] },
  ];
  if (bias) out.push({ name: `bias_ih_l${l}`, shape: [GH] }, { name: `bias_hh_l${l}`, shape: [GH] });
  return out;
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** hh[b][j] += bias[j] for B rows of n: W_hh h_{t−1} + b_hh, as PyTorch forms it (the bias inside the recurrent product). */
export function addBias(hh: Float64Array, B: number, n: number, bias: Float64Array): void {
  for (let b = 0; b < B; b++) for (let j = 0; j < n; j++) hh[b * n + j] += bias[j];
}
