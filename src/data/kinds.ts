// What Unroll opens, by name: the kinds of sequence file (extension → reader), the model file, the weights file and
// the trace folder, and THE rule that pairs a bare data file with its model file. One module for the worker, the CLI
// and the extension host: no readers, no engine, no Node (paths through ./paths), so the extension bundles it
// without carrying anything that computes (test/unit/bundle.test.ts). The cells are src/protocol's list, re-exported.
// package.json's menus and the model-file schema repeat these lists; test/unit/kinds.test.ts holds them equal.
import { parse } from 'jsonc-parser';
import type { CellKind } from '../protocol/kinds';
import { basename, dirname, resolvePath } from './paths';

export { CELL_KINDS, CELL_NAMES, DEFAULT_CELL, isCellKind, type CellKind } from '../protocol/kinds';

/** The readers: each sequence format and the file extensions (lower case, without the dot) that select it. */
export const SEQUENCE_FORMATS = {
  csv: ['csv'],
  tsv: ['tsv', 'tab'],
  text: ['txt', 'text'],
  json: ['json'],
  npy: ['npy'],
} as const satisfies Record<string, readonly string[]>;

export type SequenceFormat = keyof typeof SEQUENCE_FORMATS;

/** Every extension of a sequence file, with its dot: `.csv`, `.tsv`, `.tab`, `.txt`, `.text`, `.json`, `.npy`. */
export const SEQUENCE_EXTENSIONS: readonly string[] = Object.values(SEQUENCE_FORMATS).flatMap((exts) =>
  exts.map((e) => `.${e}`),
);

/** A model file is any file whose name ends so (any case): `sine.rnn.unroll.json`. */
export const MODEL_SUFFIX = '.unroll.json';

/** Weights: safetensors, or the same tensor names in JSON. */
export const WEIGHTS_EXTENSIONS: readonly string[] = ['.safetensors', '.json'];

/** How a weights file is read: JSON by its extension, safetensors otherwise (its header says whether it is one). */
export function weightsFormatOf(path: string): 'json' | 'safetensors' {
  return extensionOf(path) === '.json' ? 'json' : 'safetensors';
}

/** A trace of a PyTorch run (docs/TRACE-FORMAT.md) is a folder whose name ends so: `runs/exp1.unroll-trace`. */
export const TRACE_SUFFIX = '.unroll-trace';

/** What a path names, by its name alone (whether it exists, and what it holds, is for the readers to find out). */
export type InputKind = { kind: 'model' } | { kind: 'sequence'; format: SequenceFormat } | { kind: 'trace' };

/** `.csv` for `a/b.CSV`; undefined without an extension. */
export function extensionOf(path: string): string | undefined {
  return /(\.[^./\\]+)$/.exec(path)?.[1]?.toLowerCase();
}

function withoutTrailingSeparators(path: string): string {
  return path.replace(/[\\/]+$/, '');
}

export function isModelFile(path: string): boolean {
  return path.toLowerCase().endsWith(MODEL_SUFFIX);
}

/** The folder of a trace (a trailing slash, as a shell completes folder names, is allowed). */
export function isTraceFolder(path: string): boolean {
  return withoutTrailingSeparators(path).toLowerCase().endsWith(TRACE_SUFFIX);
}

/** The reader a data file's extension picks; undefined for a model file and for anything else. */
export function sequenceFormatOf(path: string): SequenceFormat | undefined {
  if (isModelFile(path)) return undefined;
  const ext = extensionOf(path)?.slice(1);
  if (ext === undefined) return undefined;
  for (const [format, exts] of Object.entries(SEQUENCE_FORMATS) as [SequenceFormat, readonly string[]][]) {
    if (exts.includes(ext)) return format;
  }
  return undefined;
}

export function isSequenceFile(path: string): boolean {
  return sequenceFormatOf(path) !== undefined;
}

export function inputKindOf(path: string): InputKind | undefined {
  if (isModelFile(path)) return { kind: 'model' };
  if (isTraceFolder(path)) return { kind: 'trace' };
  const format = sequenceFormatOf(path);
  return format ? { kind: 'sequence', format } : undefined;
}

/** `.csv, .tsv, .tab, .txt, .text, .json and .npy`, for messages and help texts. */
export function sequenceExtensionsInWords(): string {
  return `${SEQUENCE_EXTENSIONS.slice(0, -1).join(', ')} and ${SEQUENCE_EXTENSIONS[SEQUENCE_EXTENSIONS.length - 1]}`;
}

// ---- Which model file belongs to a data file ----
//
// A bare data file `<stem>.<ext>` is analyzed with a model file beside it, in its own folder, when one names it as
// its `data`. The candidates, most likely first: `<stem>.unroll.json`, then `<stem>.<cell>.unroll.json` for the
// preferred cell (the `unroll.defaultCell` setting), then every other `<stem>.<anything>.unroll.json` in name order
// (`sine.gru.unroll.json`, `paper-bengio1994.w2.unroll.json`). The first candidate whose `data` field resolves to
// the data file wins; none means the defaults apply.

/** `adding-lag50.csv` → `adding-lag50`; `sine.rnn.unroll.json` → `sine.rnn.unroll`. */
export function fileStem(path: string): string {
  const name = basename(path);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/** The model file Unroll would create for a bare data file: `<stem>.unroll.json` beside it. */
export function modelPathFor(dataPath: string): string {
  return resolvePath(dirname(dataPath), fileStem(dataPath) + MODEL_SUFFIX);
}

/**
 * The model files among `siblings` (the names in the data file's folder) that may describe it, most likely first, as
 * absolute paths. Whether one does is its `data` field's to say (`modelDescribes`).
 */
export function modelCandidates(dataPath: string, siblings: readonly string[], preferredCell: CellKind): string[] {
  const stem = fileStem(dataPath);
  const first = [stem + MODEL_SUFFIX, `${stem}.${preferredCell}${MODEL_SUFFIX}`].filter((n) => siblings.includes(n));
  const others = siblings
    .filter((n) => !first.includes(n) && n.startsWith(stem + '.') && isModelFile(n))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [...first, ...others].map((n) => resolvePath(dirname(dataPath), n));
}

/** The names a folder listing would have to show for `modelCandidates` to consider them, when no listing is at hand. */
export function modelNamesToProbe(dataPath: string, cells: readonly CellKind[]): string[] {
  const stem = fileStem(dataPath);
  return [stem + MODEL_SUFFIX, ...cells.map((c) => `${stem}.${c}${MODEL_SUFFIX}`)];
}

/**
 * The data file a model file names (its `data` field resolved against the model file's folder), tolerant of a
 * half-edited file; undefined when there is no such string field.
 */
export function modelDataPath(modelPath: string, modelText: string): string | undefined {
  const spec: unknown = parse(modelText, [], { allowTrailingComma: true });
  const data = typeof spec === 'object' && spec !== null ? (spec as { data?: unknown }).data : undefined;
  return typeof data === 'string' && data !== '' ? resolvePath(dirname(modelPath), data) : undefined;
}

/** True when the model file's `data` field names `dataPath`. */
export function modelDescribes(modelPath: string, modelText: string, dataPath: string): boolean {
  return modelDataPath(modelPath, modelText) === resolvePath(dataPath, '.');
}
