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
