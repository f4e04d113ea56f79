// Engine-side types shared with the data layer: a dataset keeps its sequences in flat typed arrays with offsets and
// makes one into a SequenceData view when asked (an object per sequence would outweigh the numbers of short ones).
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
  /**
   * Set when every input row is one-hot (a char-lm's characters): the column of row t's 1, every other entry of the
   * row +0. Network.load then fills its input from these instead of reading `inputs`.
   */
  inputIds?: Int32Array;
  /** Steps the whole sequence had in its file when this is one window of it (absent = not split or cut). */
  originalT?: number;
}

export interface Dataset {
  task: TaskKind;
  loss: LossKind;
  inputSize: number;
  outputSize: number;
  sequences: SequenceStore;
  /** char-lm: characters in index order. */
  vocab?: string[];
  inputNames?: string[];
  targetNames?: string[];
  /** What the reader did that the user should know (cut, defaults). */
  notes: string[];
}

/** Parameters under PyTorch's state_dict names, in state_dict order. */
export type ParamSet = Map<string, Tensor>;

/** The training sequences (windows) of a dataset. */
export interface SequenceStore {
  readonly count: number;
  /** Steps of sequence i, without making it. */
  steps(i: number): number;
  /** Sequence i, as views into the store's arrays (char-lm: its one-hot inputs built when first read). */
  get(i: number): SequenceData;
  /** Bytes the store's arrays hold. */
  readonly bytes: number;
}
