// The recorded module and snapshot a trace replay works on (docs/TRACE-FORMAT.md): PyTorch's nn.RNN/nn.LSTM/nn.GRU
// surface (layers, directions, proj_size, bias) and the tensors of one snapshot, as flat row-major Float64Arrays.
import type { Precision, Tensor } from '../protocol/result';

export type RecurrentMode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

/** A PyTorch recurrent module's configuration (the trace's `config`, PyTorch's own names turned camelCase). */
export interface RecurrentConfig {
  mode: RecurrentMode;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bias: boolean;
  batchFirst: boolean;
  dropout: number;
  bidirectional: boolean;
  /** 0 = none (LSTM only otherwise). */
  projSize: number;
}

/** One snapshot's tensors, batch first (S rows × T steps), in the layouts of docs/TRACE-FORMAT.md. */
export interface ReplaySnapshot {
  config: RecurrentConfig;
  /** Recorded rows and steps. */
  S: number;
  T: number;
  /** S × T × inputSize. */
  input: Float64Array;
  /** K × S × P and (LSTM) K × S × H, K = layers × directions. */
  h0: Float64Array;
  c0: Float64Array | null;
  /** S × T × (dirs·P). */
  gradOutput: Float64Array;
  /** K × S × P and (LSTM) K × S × H. */
  gradHn: Float64Array;
  gradCn: Float64Array | null;
  /** The module's parameters under their state_dict names. */
  params: Map<string, Tensor>;
  /**
   * The arithmetic of the replay's matrix products: 'float32' for a float32 recording (the precision PyTorch ran it
   * in; the recorded values are float32 already, so only the sums round), float64 otherwise and by default. The cell
   * steps and everything else stay float64, as in the engine's float32 precision.
   */
  precision?: Precision;
}

export function gatesOf(mode: RecurrentMode): number {
  return mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1;
}

export function directionsOf(config: RecurrentConfig): number {
  return config.bidirectional ? 2 : 1;
}

/** The size of h (what W_hh multiplies and the output holds per direction): proj_size when set, else hidden_size. */
export function outputSizeOf(config: RecurrentConfig): number {
  return config.projSize > 0 ? config.projSize : config.hiddenSize;
}

/** The state_dict names and shapes of the module's parameters, in state_dict order. */
export function recurrentParamShapes(config: RecurrentConfig): { name: string; shape: number[] }[] {
  const G = gatesOf(config.mode),
    H = config.hiddenSize,
    P = outputSizeOf(config),
    dirs = directionsOf(config);
  const out: { name: string; shape: number[] }[] = [];
  for (let l = 0; l < config.numLayers; l++) {
    const D = l === 0 ? config.inputSize : dirs * P;
    for (let d = 0; d < dirs; d++) {
      const sfx = `l${l}${d === 1 ? '_reverse' : ''}`;
      out.push({ name: `weight_ih_${sfx}`, shape: [G * H, D] }, { name: `weight_hh_${sfx}`, shape: [G * H, P] });
      if (config.bias) out.push({ name: `bias_ih_${sfx}`, shape: [G * H] }, { name: `bias_hh_${sfx}`, shape: [G * H] });
      if (config.projSize > 0) out.push({ name: `weight_hr_${sfx}`, shape: [P, H] });
    }
  }
  return out;
}
