// PyTorch-named parameters: shapes and initialization.
import type { ResolvedModel, Tensor } from '../protocol/result';
import type { ParamSet } from './types';

export interface ParamShape {
  name: string;
  shape: number[];
}

/** Names and shapes exactly as `nn.RNN/LSTM/GRU(..., batch_first)` as `rnn` + `nn.Linear` as `fc` state_dict. */
export function paramShapes(model: ResolvedModel): ParamShape[] {
  throw new Error('not implemented: ' + model.cell);
}

/** Fresh parameters from model.init and model.seed (same seed → bit-identical values). */
export function initParams(model: ResolvedModel): ParamSet {
  throw new Error('not implemented: ' + model.cell);
}

/** Problems with given weights against the model's shapes: one message per tensor, naming both shapes. */
export function checkParamShapes(model: ResolvedModel, params: Map<string, Tensor>): string[] {
  throw new Error('not implemented: ' + model.cell + params.size);
}
