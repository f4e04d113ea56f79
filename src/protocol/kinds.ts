// The recurrent cells Unroll knows, in the order every list shows them (menus, settings, the compare set, the CLI's
// help). This is the one list: the model-file schema's `cell` enum, package.json's `unroll.defaultCell` enum and every
// list in the code are checked against it (test/unit/kinds.test.ts). It lives in src/protocol so that every layer,
// the panel included, can read it; src/data/kinds.ts re-exports it beside the file kinds.

export const CELL_KINDS = ['rnn', 'lstm', 'gru'] as const;

export type CellKind = (typeof CELL_KINDS)[number];

/** How a cell is named in sentences and headings. */
export const CELL_NAMES: Readonly<Record<CellKind, string>> = { rnn: 'RNN', lstm: 'LSTM', gru: 'GRU' };

/** The cell Unroll uses when neither a model file nor the `unroll.defaultCell` setting names one. */
export const DEFAULT_CELL: CellKind = 'rnn';

export function isCellKind(x: unknown): x is CellKind {
  return typeof x === 'string' && (CELL_KINDS as readonly string[]).includes(x);
}
