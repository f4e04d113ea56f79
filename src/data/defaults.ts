// What an absent model-file field means: the one table the resolver (load.ts) fills a ResolvedModel from. The
// schema (media/schemas/unroll-model.schema.json) shows the same values to the editor: every `default` there equals
// MODEL_DEFAULTS here, and every default that depends on something else (the data, the settings, the optimizer) is
// absent there and said in the field's description instead (test/unit/data/defaults.test.ts).
import { CELL_KINDS } from '../protocol/kinds';
import type { InitKind, LossKind, Nonlinearity, OptimizerKind, Precision } from '../protocol/result';

/** Fixed defaults, shaped as the model file (the schema's `default` of each field, nested as its `properties`). */
export const MODEL_DEFAULTS = {
  /** Task columns and seq-to-one; next-step always scores by mse, char-lm by xent. */
  loss: 'mse' as LossKind,
  nonlinearity: 'tanh' as Nonlinearity,
  hidden: 32,
  layers: 1,
  /** `gain` applies to the xavier and orthogonal kinds only. */
  init: { kind: 'pytorch' as InitKind, gain: 1 },
  bptt: 'full' as const,
  optimizer: { kind: 'adam' as OptimizerKind, lr: 0.01, momentum: 0.9, beta1: 0.9, beta2: 0.999 },
  clip: null,
  epochs: 20,
  batch: 16,
  seed: 0,
  precision: 'float64' as Precision,
  /** Compare Cells without a list: every cell. */
  compare: CELL_KINDS,
} as const;

/** `eps` by optimizer kind (PyTorch's: Adam and RMSprop 1e-8, Adagrad 1e-10); the schema's description says so. */
export const EPS_DEFAULTS = { adam: 1e-8, adagrad: 1e-10, rmsprop: 1e-8 } as const satisfies Partial<
  Record<OptimizerKind, number>
>;

/**
 * Fields whose default depends on something else, as JSON paths: the schema gives them no `default` and its
 * description says the rule ("Default…" or "default for…").
 *   task: from the data (char-lm for text, columns for JSON inputs/targets, else next-step);
 *   cell: the unroll.defaultCell setting; inputs/targets (seq-to-one): all columns but the last / the last;
 *   validation: 0.2 from 10 sequences on, else none; window: the unroll.maxSteps setting; optimizer.eps: EPS_DEFAULTS.
 */
export const CONTEXTUAL_DEFAULTS = [
  'task',
  'cell',
  'inputs',
  'targets',
  'validation',
  'window',
  'optimizer.eps',
] as const;

/** Initialization kinds that `init.gain` scales. */
export const GAIN_KINDS: readonly InitKind[] = ['xavier', 'orthogonal'];
