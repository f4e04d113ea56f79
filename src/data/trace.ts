// The trace reader: a `*.unroll-trace` folder written by python/unroll_trace (docs/TRACE-FORMAT.md) → its snapshots
// from index.jsonl, and one snapshot's tensors read and checked against the recorded module's configuration.
// Memory is bounded: the index and every snapshot are refused above their caps before being read, and safetensors
// checks that the header's tensors tile the file's bytes, so a header cannot make the reader allocate more than the
// file holds (in float64, twice a float32 file).
import {
  recurrentParamShapes,
  directionsOf,
  outputSizeOf,
  type RecurrentConfig,
  type RecurrentMode,
  type ReplaySnapshot,
} from '../engine/replayTypes';
import type { Problem } from '../protocol/messages';
import type { Tensor } from '../protocol/result';
import { decodeUtf8 } from './bytes';
import { fail, formatBytes, positionInText, quote, START, warning } from './errors';
import { MAX_FILE_BYTES, seamProblem, specialFileName, type FileSeam } from './files';
import { basename, dirname, resolvePath } from './paths';
import { readSafetensors, safetensorsMetadata } from './safetensors';
import { TRACE_INDEX_FILE } from '../protocol/trace';

export const TRACE_FORMAT = 'unroll-trace/1';
/** The append-only index of a trace folder: one name, shared with the extension's watcher (src/protocol/trace.ts). */
export const TRACE_INDEX = TRACE_INDEX_FILE;
/** index.jsonl above this is refused (a line is ~100 bytes: about 600,000 snapshots). */
export const MAX_INDEX_BYTES = 64 * 1024 * 1024;
const WRITER_HINT = 'a trace folder is written by python/unroll_trace (unroll_trace.watch(module, "run.unroll-trace"))';

/** One line of index.jsonl whose file exists. */
export interface TraceIndexEntry {
  step: number;
  file: string;
  loss: number | null;
  time: string | null;
  /** 1-based line in index.jsonl. */
  line: number;
}

export interface TraceIndex {
  folder: string;
  /** In the order written; a step written twice keeps its last line. */
  entries: TraceIndexEntry[];
  /** Lines skipped (not JSON, missing fields, a file name outside the folder). */
  warnings: Problem[];
}

/** What the snapshot's `__metadata__` says besides the config. */
export interface TraceSnapshotMeta {
  step: number;
  loss: number | null;
  dtype: 'float32' | 'float64';
  rank: number;
  worldSize: number;
  rows: number;
  batch: number | null;
  h0Given: boolean;
  training: boolean | null;
  approximate: string | null;
  time: string | null;
}

export interface TraceSnapshotFile {
  /** Absolute path of the step-<n>.safetensors file. */
  path: string;
  meta: TraceSnapshotMeta;
  snapshot: ReplaySnapshot;
  /** PyTorch's recorded gradients (`grad.<param>` in the file) under the parameter's name, and `h0`/`c0` when h0 was given. */
  recorded: Map<string, Tensor>;
  /** The recorded forward: output (S × T × dirs·P), h_n, c_n. */
  output: Float64Array;
  hN: Float64Array;
  cN: Float64Array | null;
}

/** The trace folder a path names: the folder itself (`x.unroll-trace`) or a `*.safetensors` inside one; else undefined. */
export function traceFolderOf(path: string): { folder: string; file?: string } | undefined {
  const trimmed = path.replace(/[\\/]+$/, '');
  if (/\.unroll-trace$/i.test(trimmed)) return { folder: trimmed };
  const parent = dirname(trimmed);
  if (/\.unroll-trace$/i.test(parent) && /\.safetensors$/i.test(trimmed))
    return { folder: parent, file: basename(trimmed) };
  return undefined;
}

/** A file name from the index: a plain name inside the folder (no separators, not `..`). */
function plainName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 255 &&
    !/[\\/]/.test(name) &&
    name !== '.' &&
    name !== '..' &&
    !name.includes('\u0000')
  );
}

/**
 * The snapshots of a trace folder, from its index.jsonl: a last line without its newline (the writer may be in the
 * middle of it) and lines naming a file that does not exist (yet) are skipped without a word; a complete line that is
 * not a snapshot entry is skipped with a warning.
 */
export async function readTraceIndex(files: FileSeam, folder: string): Promise<TraceIndex> {
  const folderStat = await statOrFail(files, folder, folder);
  if (!folderStat) fail(folder, START, 'this trace folder does not exist', 'check the path');
  if (folderStat.isFile) fail(folder, START, 'a trace is a folder (*.unroll-trace), but this is a file', WRITER_HINT);
  const indexPath = resolvePath(folder, TRACE_INDEX);
  const stat = await statOrFail(files, indexPath, indexPath);
  if (!stat)
    fail(
      folder,
      START,
      `the trace folder has no ${TRACE_INDEX} (no snapshot was written yet, or this is not a trace)`,
      WRITER_HINT,
    );
  const special = specialFileName(stat.kind);
  if (special || !stat.isFile)
    fail(indexPath, START, `${TRACE_INDEX} is ${special ?? 'a folder'}, not a file`, WRITER_HINT);
  if (stat.size > MAX_INDEX_BYTES)
    fail(
      indexPath,
      START,
      `${TRACE_INDEX} is ${formatBytes(stat.size)}; Unroll reads trace indexes up to ${formatBytes(MAX_INDEX_BYTES)}`,
      'start a new trace folder, or trace less often (every=…)',
    );
  let bytes: Uint8Array;
  try {
    bytes = await files.readFile(indexPath);
  } catch (e) {
    fail(indexPath, START, `cannot read ${TRACE_INDEX}: ${seamProblem(e)}`, 'check the file');
  }
  // A partial last line may end inside a UTF-8 sequence: only complete lines are decoded.
  const complete = bytes.lastIndexOf(10) + 1;
  const text = decodeUtf8(bytes.subarray(0, complete), indexPath);
  const warnings: Problem[] = [];
  const byStep = new Map<number, TraceIndexEntry>();
  const lines = text.split('\n');
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    const at = positionInText(text, offset);
    offset += lines[i].length + 1;
    if (raw.trim() === '') continue;
    const skip = (why: string) =>
      warnings.push(
        warning(
          indexPath,
          at,
          `line ${i + 1} skipped: ${why}`,
          `each line is one JSON object {"step": N, "file": "step-N.safetensors", "loss": …}; ${WRITER_HINT}`,
        ),
      );
    let entry: unknown;
    try {
      entry = JSON.parse(raw);
    } catch {
      skip('not valid JSON');
      continue;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      skip('not a JSON object');
      continue;
    }
    const { step, file, loss, time } = entry as Record<string, unknown>;
    if (!Number.isSafeInteger(step) || (step as number) < 0) {
      skip(`"step" must be a whole number ≥ 0, got ${quote(String(JSON.stringify(step)))}`);
      continue;
    }
    if (typeof file !== 'string' || !plainName(file)) {
      skip(`"file" must name a file inside the trace folder, got ${quote(String(JSON.stringify(file)))}`);
      continue;
    }
    byStep.delete(step as number);
    byStep.set(step as number, {
      step: step as number,
      file,
      loss: typeof loss === 'number' && Number.isFinite(loss) ? loss : null,
      time: typeof time === 'string' ? time : null,
      line: i + 1,
    });
  }
  const entries: TraceIndexEntry[] = [];
  for (const entry of byStep.values()) {
    const s = await statOrFail(files, resolvePath(folder, entry.file), indexPath).catch(() => undefined);
    if (s?.isFile) entries.push(entry);
  }
  return { folder, entries, warnings };
}

async function statOrFail(files: FileSeam, path: string, ref: string): ReturnType<FileSeam['stat']> {
  try {
    return await files.stat(path);
  } catch (e) {
    fail(ref, START, `cannot read ${path}: ${seamProblem(e)}`, 'check the path and its permissions');
  }
}

/** The snapshot a request picks: a step (which must be in the index), or the latest written. */
export function pickSnapshot(index: TraceIndex, step: number | 'latest' | undefined, file?: string): TraceIndexEntry {
  const { entries, folder } = index;
  const where = resolvePath(folder, TRACE_INDEX);
  if (entries.length === 0)
    fail(
      where,
      START,
      'the trace has no complete snapshot yet',
      'wait for the first snapshot (every=… steps), or check that the training reached it',
    );
  if (file !== undefined) {
    const found = entries.find((e) => e.file === file);
    if (!found)
      fail(
        resolvePath(folder, file),
        START,
        `${file} is not listed in the trace's ${TRACE_INDEX}`,
        `snapshots listed: ${entries
          .slice(-5)
          .map((e) => e.file)
          .join(', ')}`,
      );
    return found;
  }
  if (step === undefined || step === 'latest') return entries.reduce((a, b) => (b.step >= a.step ? b : a));
  const found = entries.find((e) => e.step === step);
  if (!found) {
    const steps = entries.map((e) => e.step);
    fail(
      where,
      START,
      `the trace has no snapshot at step ${step}`,
      `steps recorded: ${steps.length > 8 ? `${steps.slice(0, 4).join(', ')}, …, ${steps.slice(-3).join(', ')}` : steps.join(', ')}`,
    );
  }
  return found;
}

const MODES: readonly RecurrentMode[] = ['RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'];
/** Sizes above this in a config are refused (the tensors' shapes are checked against them afterwards anyway). */
const MAX_DIMENSION = 1 << 24;

/** The `config` metadata value, checked field by field. */
export function parseTraceConfig(text: string | undefined, file: string): RecurrentConfig {
  const hint = `the config is what unroll_trace records from the module: ${WRITER_HINT}`;
  if (text === undefined) fail(file, START, 'the snapshot has no "config" in its metadata', hint);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    fail(file, START, 'the snapshot\'s "config" metadata is not valid JSON', hint);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    fail(file, START, 'the snapshot\'s "config" metadata is not a JSON object', hint);
  const c = raw as Record<string, unknown>;
  const mode = c.mode;
  if (typeof mode !== 'string' || !MODES.includes(mode as RecurrentMode))
    fail(
      file,
      START,
      `config "mode" must be one of ${MODES.join(', ')}, got ${quote(String(JSON.stringify(mode)))}`,
      hint,
    );
  const size = (key: string, min: number) => {
    const v = c[key];
    if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > MAX_DIMENSION)
      fail(
        file,
        START,
        `config "${key}" must be a whole number from ${min} to ${MAX_DIMENSION}, got ${quote(String(JSON.stringify(v)))}`,
        hint,
      );
    return v as number;
  };
  const flag = (key: string, otherwise?: boolean) => {
    const v = c[key] ?? otherwise;
    if (typeof v !== 'boolean')
      fail(file, START, `config "${key}" must be true or false, got ${quote(String(JSON.stringify(v)))}`, hint);
    return v;
  };
  const dropout = c.dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1))
    fail(
      file,
      START,
      `config "dropout" must be a number in [0, 1), got ${quote(String(JSON.stringify(dropout)))}`,
      hint,
    );
  const config: RecurrentConfig = {
    mode: mode as RecurrentMode,
    inputSize: size('input_size', 1),
    hiddenSize: size('hidden_size', 1),
    numLayers: size('num_layers', 1),
    bias: flag('bias', true),
    batchFirst: flag('batch_first', false),
    dropout,
    bidirectional: flag('bidirectional', false),
    projSize: c.proj_size === undefined ? 0 : size('proj_size', 0),
  };
  if (config.projSize > 0 && config.mode !== 'LSTM')
    fail(
      file,
      START,
      `config "proj_size" ${config.projSize} is set on a ${config.mode}; PyTorch has it for LSTM only`,
      hint,
    );
  if (config.projSize >= config.hiddenSize)
    fail(
      file,
      START,
      `config "proj_size" ${config.projSize} must be smaller than "hidden_size" ${config.hiddenSize}`,
      hint,
    );
  return config;
}

/** The config in PyTorch's own names, for the Result's TraceTimeline. */
export function configRecord(c: RecurrentConfig): Record<string, string | number | boolean> {
  return {
    mode: c.mode,
    input_size: c.inputSize,
    hidden_size: c.hiddenSize,
    num_layers: c.numLayers,
    bias: c.bias,
    batch_first: c.batchFirst,
    dropout: c.dropout,
    bidirectional: c.bidirectional,
    proj_size: c.projSize,
    ...(c.mode.startsWith('RNN') ? { nonlinearity: c.mode === 'RNN_RELU' ? 'relu' : 'tanh' } : {}),
  };
}

function metaOf(metadata: Record<string, string>, file: string, entry: TraceIndexEntry): TraceSnapshotMeta {
  const hint = WRITER_HINT;
  const integer = (key: string, fallback?: number) => {
    const v = metadata[key];
    if ((v === undefined || v === '') && fallback !== undefined) return fallback;
    const n = /^\d+$/.test(v ?? '') ? Number(v) : NaN;
    if (!Number.isSafeInteger(n))
      fail(file, START, `metadata "${key}" must be a whole number, got ${quote(String(v))}`, hint);
    return n;
  };
  const dtype = metadata.dtype;
  if (dtype !== 'float32' && dtype !== 'float64')
    fail(
      file,
      START,
      `metadata "dtype" must be float32 or float64, got ${quote(String(dtype))}`,
      'the tracer records float32 (AMP runs too) or float64',
    );
  const loss =
    metadata.loss !== undefined && metadata.loss !== '' && Number.isFinite(Number(metadata.loss))
      ? Number(metadata.loss)
      : entry.loss;
  const h0 = metadata.h0 ?? 'given';
  if (h0 !== 'given' && h0 !== 'none')
    fail(file, START, `metadata "h0" must be "given" or "none", got ${quote(h0)}`, hint);
  return {
    step: integer('step', entry.step),
    loss,
    dtype,
    rank: integer('rank', 0),
    worldSize: integer('world_size', 1),
    rows: integer('rows'),
    batch: metadata.batch ? integer('batch') : null,
    h0Given: h0 === 'given',
    training: metadata.training === 'true' ? true : metadata.training === 'false' ? false : null,
    approximate: metadata.approximate ? metadata.approximate : null,
    time: metadata.time || entry.time,
  };
}

/**
 * One snapshot: read (refused above MAX_FILE_BYTES before reading), its tensors decoded to float64, its metadata and
 * every tensor's shape checked against the recorded configuration. `maxBytes` caps the file (tests lower it).
 */
export async function readTraceSnapshot(
  files: FileSeam,
  folder: string,
  entry: TraceIndexEntry,
  maxBytes = MAX_FILE_BYTES,
): Promise<TraceSnapshotFile> {
  const path = resolvePath(folder, entry.file);
  const stat = await statOrFail(files, path, path);
  if (!stat || !stat.isFile)
    fail(
      path,
      START,
      `the snapshot ${entry.file} listed in ${TRACE_INDEX} (line ${entry.line}) ${stat ? 'is not a file' : 'does not exist'}`,
      'the trace folder may have been changed while reading; analyze it again',
    );
  if (stat.size > maxBytes)
    fail(
      path,
      START,
      `the snapshot is ${formatBytes(stat.size)}; Unroll reads snapshots up to ${formatBytes(maxBytes)}`,
      'record fewer rows (sequences=…) or a shorter sequence',
    );
  let bytes: Uint8Array;
  try {
    bytes = await files.readFile(path);
  } catch (e) {
    fail(path, START, `cannot read the snapshot: ${seamProblem(e)}`, 'check the file');
  }
  const tensors = readSafetensors(bytes, path);
  const metadata = safetensorsMetadata(bytes) ?? {};
  if (metadata.format !== TRACE_FORMAT) {
    fail(
      path,
      START,
      metadata.format === undefined
        ? 'this safetensors file has no "format" metadata: it is not a trace snapshot'
        : `the snapshot's format is ${quote(metadata.format)}; this Unroll reads ${TRACE_FORMAT}`,
      WRITER_HINT,
    );
  }
  const config = parseTraceConfig(metadata.config, path);
  const meta = metaOf(metadata, path, entry);
  // Dropout between layers draws a mask the snapshot does not hold: approximate whatever the writer said, unless the
  // module was recorded in eval mode (no dropout then).
  if (meta.approximate === null && config.dropout > 0 && config.numLayers > 1 && meta.training !== false)
    meta.approximate = `dropout ${config.dropout} between layers`;
  const lstm = config.mode === 'LSTM';
  const dirs = directionsOf(config),
    K = config.numLayers * dirs;
  const H = config.hiddenSize,
    P = outputSizeOf(config);
  const input = tensors.get('input');
  if (!input || input.shape.length !== 3)
    fail(
      path,
      START,
      input
        ? `tensor "input" has shape [${input.shape.join(', ')}]; a snapshot's input is rows × steps × input_size`
        : 'the snapshot has no "input" tensor',
      WRITER_HINT,
    );
  const [S, T] = input.shape;
  if (S < 1 || T < 1)
    fail(
      path,
      START,
      `tensor "input" has shape [${input.shape.join(', ')}]: no rows or no steps to replay`,
      'record at least one row of a sequence of at least one step',
    );
  if (S !== meta.rows)
    fail(path, START, `metadata "rows" is ${meta.rows} but tensor "input" has ${S} rows`, WRITER_HINT);
  const expect = (name: string, shape: number[], required = true): Tensor | undefined => {
    const t = tensors.get(name);
    if (!t) {
      if (required)
        fail(
          path,
          START,
          `the snapshot has no ${quote(name)} tensor (expected shape [${shape.join(', ')}] for this ${config.mode})`,
          WRITER_HINT,
        );
      return undefined;
    }
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      fail(
        path,
        START,
        `tensor ${quote(name)} has shape [${t.shape.join(', ')}]; this ${config.mode} (${describe(config)}) and ${S} rows × ${T} steps need [${shape.join(', ')}]`,
        'the config in the metadata must be the module the tensors were recorded from',
      );
    }
    return t;
  };
  expect('input', [S, T, config.inputSize]);
  const state = [K, S, P],
    cell = [K, S, H];
  const h0 = expect('h0', state)!;
  const c0 = lstm ? expect('c0', cell)! : null;
  const output = expect('output', [S, T, dirs * P])!;
  const hN = expect('h_n', state)!;
  const cN = lstm ? expect('c_n', cell)! : null;
  const gradOutput = expect('grad_output', [S, T, dirs * P])!;
  const gradHn = expect('grad_h_n', state)!;
  const gradCn = lstm ? expect('grad_c_n', cell)! : null;
  const params = new Map<string, Tensor>();
  const recorded = new Map<string, Tensor>();
  for (const { name, shape } of recurrentParamShapes(config)) {
    params.set(name, expect(name, shape)!);
    recorded.set(name, expect(`grad.${name}`, shape)!);
  }
  if (meta.h0Given) {
    recorded.set('h0', expect('grad.h0', state)!);
    if (lstm) recorded.set('c0', expect('grad.c0', cell)!);
  }
  const known = new Set([
    'input',
    'h0',
    'c0',
    'output',
    'h_n',
    'c_n',
    'grad_output',
    'grad_h_n',
    'grad_c_n',
    'grad.h0',
    'grad.c0',
    ...params.keys(),
    ...[...params.keys()].map((n) => `grad.${n}`),
  ]);
  const unexpected = [...tensors.keys()].filter((n) => !known.has(n) || (!lstm && /(^|_|\.)c(0|_n)$/.test(n)));
  if (unexpected.length > 0) {
    fail(
      path,
      START,
      `tensor ${quote(unexpected[0])} is not part of a ${config.mode} snapshot with this config (${describe(config)})`,
      'the config in the metadata must be the module the tensors were recorded from',
    );
  }
  return {
    path,
    meta,
    snapshot: {
      config,
      S,
      T,
      input: input.data,
      h0: h0.data,
      c0: c0?.data ?? null,
      gradOutput: gradOutput.data,
      gradHn: gradHn.data,
      gradCn: gradCn?.data ?? null,
      params,
      precision: meta.dtype,
    },
    recorded,
    output: output.data,
    hN: hN.data,
    cN: cN?.data ?? null,
  };
}

/** "2 layers, bidirectional, hidden 5, proj 3, no bias" */
export function describe(c: RecurrentConfig): string {
  return [
    `${c.numLayers} layer${c.numLayers === 1 ? '' : 's'}`,
    ...(c.bidirectional ? ['bidirectional'] : []),
    `input ${c.inputSize}`,
    `hidden ${c.hiddenSize}`,
    ...(c.projSize > 0 ? [`proj ${c.projSize}`] : []),
    ...(c.bias ? [] : ['no bias']),
  ].join(', ');
}

export interface LoadedTrace {
  index: TraceIndex;
  entry: TraceIndexEntry;
  snapshot: TraceSnapshotFile;
}

/** Doubles the flow matrix of a T-step analysis holds at most (every row: T(T+1)/2 entries). */
const flowDoubles = (T: number) => (T * (T + 1)) / 2;

/**
 * The trace a source names (the folder, or a snapshot file inside it) and the snapshot it asks for (traceStep, the
 * file named, or the latest), read and checked, its replay's cost checked against the limits before anything is
 * computed. `path` must be a trace path (traceFolderOf).
 */
export async function loadTrace(
  path: string,
  traceStep: number | 'latest' | undefined,
  settings: { maxMemoryMB: number; maxWork: number; flowBudget: number },
  files: FileSeam,
  cost: (snapshot: ReplaySnapshot) => { doubles: number; multiplyAdds: number },
): Promise<LoadedTrace> {
  const where = traceFolderOf(path);
  if (!where) fail(path, START, 'this is not a trace folder (*.unroll-trace) or a snapshot inside one', WRITER_HINT);
  const index = await readTraceIndex(files, where.folder);
  const entry = pickSnapshot(
    index,
    traceStep,
    traceStep === undefined || traceStep === 'latest' ? where.file : undefined,
  );
  const snapshot = await readTraceSnapshot(files, where.folder, entry);
  const { doubles, multiplyAdds } = cost(snapshot.snapshot);
  const T = snapshot.snapshot.T;
  const bytes = 8 * (doubles + flowDoubles(T));
  const limitBytes = settings.maxMemoryMB * 2 ** 20;
  const what = `replaying this snapshot (${describe(snapshot.snapshot.config)}, ${snapshot.snapshot.S} rows × ${T} steps)`;
  if (bytes > limitBytes)
    fail(
      snapshot.path,
      START,
      `${what} needs about ${formatBytes(bytes)} of memory; the limit is ${formatBytes(limitBytes)}`,
      'raise the limit with the unroll.maxMemoryMB setting or --max-memory MB, or record fewer rows (sequences=…)',
    );
  if (multiplyAdds > settings.maxWork * 1e9) {
    fail(
      snapshot.path,
      START,
      `${what} needs about ${multiplyAdds >= 10e9 ? Math.round(multiplyAdds / 1e9).toLocaleString('en-US') : (multiplyAdds / 1e9).toPrecision(2)} billion multiply-adds; the limit is ${settings.maxWork} billion`,
      'raise the limit with the unroll.maxWork setting or --max-work N, or record fewer rows (sequences=…)',
    );
  }
  return { index, entry, snapshot };
}
