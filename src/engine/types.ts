// Engine-side types shared with the data layer: a dataset is a list of sequences in flat typed arrays.
import type { LossKind, TaskKind, Tensor } from '../protocol/result';

/** One sequence, ready for the engine. */
export interface SequenceData {
  /** Number of steps. */
  T: number;
  /** T × inputSize, row-major. */
  inputs: Float64Array;
  /**
   * Squared error: T × outputSize, row-major.
   * Cross-entropy: T entries, each a class index in [0, outputSize).
   */
  targets: Float64Array;
  /** 1 where step t has a target (seq-to-one: only the last step), 0 elsewhere. */
  mask: Uint8Array;
  /** Steps the whole sequence had in its file when this is one window of it (absent = not split or cut). */
  originalT?: number;
}

export interface Dataset {
  task: TaskKind;
  loss: LossKind;
  inputSize: number;
  outputSize: number;
  sequences: SequenceData[];
  /** char-lm: characters in index order. */
  vocab?: string[];
  inputNames?: string[];
  targetNames?: string[];
  /** What the reader did that the user should know (cut, defaults). */
  notes: string[];
}

/** Parameters under PyTorch's state_dict names, in state_dict order. */
export type ParamSet = Map<string, Tensor>;
