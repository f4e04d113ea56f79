// loadAnalysis: from the file a user chose (a sequence file or a *.unroll.json) to a resolved model, a dataset
// and optional weights, with every problem placed in the file that causes it.
import { checkParamShapes, Rng, type Dataset, type ParamSet, type SequenceSet } from '../engine/index';
import type { AnalyzeSource, EngineSettings, Problem } from '../protocol/messages';
import type { CellKind, ResolvedModel, TaskKind, Tensor } from '../protocol/result';
import { readCsv } from './csv';
import { fromCsv, fromNpy, fromPairs, fromSeries, fromText, type BuiltData, type Ref } from './dataset';
import { fail, formatBytes, InputError, problem, START, warning } from './errors';
import { MAX_FILE_BYTES, seamProblem, specialFileName, type FileSeam } from './files';
import { readJsonData } from './jsonData';
import { readJsonWeights } from './jsonWeights';
import { parseModelFile, type ModelSpec, type ParsedModelFile } from './modelFile';
import { readNpy } from './npy';
import { basename, dirname, displayPath, isInside, resolvePath } from './paths';
import { readSafetensors, safetensorsMetadata, trainedRecordOf, type TrainedRecord } from './safetensors';
import { readText, type TextCorpus } from './text';
import { checkCost } from './costCheck';
import { decodeUtf8 } from './bytes';
import { EPS_DEFAULTS, GAIN_KINDS, MODEL_DEFAULTS } from './defaults';
import {
  CELL_KINDS,
  isModelFile,
  modelCandidates,
  modelDescribes,
  modelNamesToProbe,
  sequenceExtensionsInWords,
  sequenceFormatOf,
  weightsFormatOf,
  type SequenceFormat,
} from './kinds';

const MAX_MODEL_FILE_BYTES = 1024 * 1024;

export interface LoadedAnalysis {
  model: ResolvedModel;
  dataset: Dataset;
  params: ParamSet | undefined;
  /** Absolute paths read: data, model, weights (a save of any re-runs the analysis). */
  files: string[];
  warnings: Problem[];
  meta: { dataFile: string; modelFile?: string; weightsFile?: string };
  /** Which sequences training uses and which it holds out (model.validation made concrete). */
  split: DataSplit;
  /** What an Unroll training recorded in the weights file (safetensors `__metadata__`), when it did. */
  weightsRecord?: TrainedRecord;
}

/** The sequences of `dataset` training uses, and the held-out ones (some of the dataset's, or a validation file's). */
export interface DataSplit {
  /** Indices into dataset.sequences, ascending; always includes 0, the sequence the analysis shows. */
  train: Int32Array;
  heldOut: SequenceSet | null;
  /**
   * Step t means the same thing in every sequence (episodes of one length such as the adding or copy problems, at
   * least 10 of them), so the loss baseline may use per-position statistics; false for windows cut from a stream.
   */
  aligned: boolean;
}

/** Sequences below this count hold nothing out by default (a fifth of 9 sequences measures nothing reliably). */
export const MIN_SEQUENCES_FOR_VALIDATION = 10;
export const DEFAULT_VALIDATION = 0.2;

/**
 * A fraction of the sequences held out: the last round(fraction · N) of a shuffle seeded by the model's seed, drawn
 * from sequences 2 … N so that the first sequence (the one the analysis shows) is always trained on. Never all of
 * them: at least one sequence stays for training.
 */
export function splitByFraction(
  count: number,
  fraction: number,
  seed: number,
): { train: Int32Array; heldOut: Int32Array } {
  const held = Math.min(Math.max(0, count - 1), Math.round(fraction * count));
  const rest = new Rng((seed * 2654435761 + 0x5eed) >>> 0).shuffle(
    Array.from({ length: Math.max(0, count - 1) }, (_, i) => i + 1),
  );
  const heldOut = Int32Array.from(rest.slice(rest.length - held)).sort();
  const train = Int32Array.from([...(count > 0 ? [0] : []), ...rest.slice(0, rest.length - held)]).sort();
  return { train, heldOut };
}

type Format = SequenceFormat;

/** The reader a data file's extension picks (src/data/kinds.ts). */
export const formatOf = sequenceFormatOf;

async function* chunksOf(files: FileSeam, path: string): AsyncIterable<Uint8Array> {
  if (files.readChunks) yield* files.readChunks(path);
  else yield await files.readFile(path);
}

/** The file must exist, be a file, and fit the cap; problems point at `ref` (who named the file). */
async function checkFile(files: FileSeam, path: string, ref: Ref, what: string, cap: number): Promise<void> {
  let stat: Awaited<ReturnType<FileSeam['stat']>>;
  try {
    stat = await files.stat(path);
  } catch (e) {
    fail(ref.file, ref.at, `cannot read the ${what} ${path}: ${seamProblem(e)}`, 'check the path and its links');
  }
  if (!stat)
    fail(
      ref.file,
      ref.at,
      ref.file === path ? `this ${what} does not exist` : `the ${what} ${path} does not exist`,
      ref.file === path ? 'check the path' : 'paths are relative to the model file',
    );
  // Reading a FIFO would wait for a writer forever, and a device may never end: only regular files are read.
  const special = specialFileName(stat.kind);
  if (special)
    fail(
      ref.file,
      ref.at,
      `the ${what} ${path} is ${special}, not a regular file`,
      'save the contents to a file and name that file',
    );
  if (!stat.isFile) fail(ref.file, ref.at, `the ${what} ${path} is a folder, not a file`, 'name a file');
  if (stat.size > cap) {
    fail(
      ref.file,
      ref.at,
      `the ${what} ${path} is ${formatBytes(stat.size)}; Unroll reads files up to ${formatBytes(cap)}`,
      'analyze a part of it: cut the file (e.g. head -n 100000), or save a shorter window',
    );
  }
}

async function readWhole(files: FileSeam, path: string, ref: Ref, what: string): Promise<Uint8Array> {
  try {
    return await files.readFile(path);
  } catch (e) {
    return fail(ref.file, ref.at, `cannot read the ${what} ${path}: ${seamProblem(e)}`, 'check the file');
  }
}

/** A path written in a model file: resolved against it, and kept inside the workspace (also through links). */
async function resolveField(
  model: ParsedModelFile,
  field: 'data' | 'weights' | 'validation',
  written: string,
  root: string,
  files: FileSeam,
): Promise<string> {
  const ref = { file: model.file, at: model.at([field]) };
  const path = resolvePath(dirname(model.file), written);
  if (!isInside(root, path)) {
    fail(
      ref.file,
      ref.at,
      `"${field}" points outside the workspace folder (${path})`,
      `keep the ${field} file inside ${root} and write its path relative to the model file`,
    );
  }
  let real: string;
  try {
    real = await files.realpath(path);
  } catch (e) {
    const reason = seamProblem(e);
    return fail(
      ref.file,
      ref.at,
      reason === 'not found'
        ? `the ${field} file ${displayPath(root, path)} does not exist`
        : `"${field}" cannot be resolved: ${reason}`,
      'paths are relative to the model file',
    );
  }
  let realRoot = root;
  try {
    realRoot = await files.realpath(root);
  } catch {
    // A root that cannot be resolved is compared as written.
  }
  if (!isInside(realRoot, real)) {
    fail(
      ref.file,
      ref.at,
      `"${field}" leads outside the workspace folder through a symbolic link (to ${real})`,
      `copy the file into ${root} instead of linking to it`,
    );
  }
  if (field !== 'weights' && isModelFile(path)) {
    fail(
      ref.file,
      ref.at,
      `"${field}" names a model file (${written}); a model reads a sequence file, not another model`,
      `point "${field}" at a ${sequenceExtensionsInWords().replace(' and ', ' or ')} file`,
    );
  }
  return path;
}

async function readModel(files: FileSeam, path: string, ref: Ref): Promise<ParsedModelFile> {
  await checkFile(files, path, ref, 'model file', MAX_MODEL_FILE_BYTES);
  const bytes = await readWhole(files, path, ref, 'model file');
  return parseModelFile(decodeUtf8(bytes, path), path);
}

/**
 * The model file beside a bare data file that names it as `data`, by the one discovery rule (`modelCandidates` in
 * ./kinds). A seam that cannot list a folder offers the names the rule ranks by cell (`<stem>.unroll.json`,
 * `<stem>.<cell>.unroll.json`) and the rule picks among those that exist.
 */
async function findCompanionModel(
  dataPath: string,
  settings: EngineSettings,
  files: FileSeam,
): Promise<string | undefined> {
  const dir = dirname(dataPath);
  let siblings: readonly string[];
  try {
    siblings = files.list ? await files.list(dir) : modelNamesToProbe(dataPath, CELL_KINDS);
  } catch {
    return undefined; // A folder that cannot be listed holds no model file we can read; the defaults apply.
  }
  for (const candidate of modelCandidates(dataPath, siblings, settings.defaultCell)) {
    const stat = await files.stat(candidate).catch(() => undefined);
    if (!stat?.isFile || stat.size > MAX_MODEL_FILE_BYTES) continue;
    try {
      if (modelDescribes(candidate, decodeUtf8(await files.readFile(candidate), candidate), dataPath)) return candidate;
    } catch {
      // An unreadable neighbour is not this file's model; the defaults apply.
    }
  }
  return undefined;
}

function defaultTask(format: Format, json?: ReturnType<typeof readJsonData>): TaskKind {
  if (format === 'text') return 'char-lm';
  if (json?.kind === 'pairs') return 'columns';
  return 'next-step';
}

function optimizerOf(spec: ModelSpec['optimizer']): ResolvedModel['optimizer'] {
  const fixed = MODEL_DEFAULTS.optimizer;
  const kind = spec?.kind ?? fixed.kind;
  const lr = spec?.lr ?? fixed.lr;
  switch (kind) {
    case 'momentum':
      return { kind, lr, momentum: spec?.momentum ?? fixed.momentum };
    case 'adam':
      return {
        kind,
        lr,
        beta1: spec?.beta1 ?? fixed.beta1,
        beta2: spec?.beta2 ?? fixed.beta2,
        eps: spec?.eps ?? EPS_DEFAULTS.adam,
      };
    case 'adagrad':
      return { kind, lr, eps: spec?.eps ?? EPS_DEFAULTS.adagrad };
    case 'rmsprop':
      return { kind, lr, eps: spec?.eps ?? EPS_DEFAULTS.rmsprop };
    default:
      return { kind, lr };
  }
}

/** The init as resolved: `gain` where it applies (xavier, orthogonal), the LSTM's `forgetBias` and ρ as written. */
function initOf(spec: ModelSpec['init']): ResolvedModel['init'] {
  const kind = spec?.kind ?? MODEL_DEFAULTS.init.kind;
  const gain = GAIN_KINDS.includes(kind) ? (spec?.gain ?? MODEL_DEFAULTS.init.gain) : spec?.gain;
  return defined({ kind, spectralRadius: spec?.spectralRadius, forgetBias: spec?.forgetBias, gain });
}

/** Drop keys whose value is undefined, so the resolved model prints and compares cleanly. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * `cell` replaces the model's cell; `training` adds a training batch to the cost checked; `compare` checks the cost
 * of each of these cells instead of the model's.
 */
export async function loadAnalysis(
  source: AnalyzeSource,
  settings: EngineSettings,
  files: FileSeam,
  overrides?: { cell?: CellKind; training?: boolean; compare?: CellKind[] },
): Promise<LoadedAnalysis> {
  const root = source.workspaceRoot;
  const read: string[] = [];
  const warnings: Problem[] = [];
  const notes: string[] = [];
  const sourceRef: Ref = { file: source.path, at: START };

  // 1. Which model file (if any) and which data file.
  let modelPath: string | undefined;
  let dataPath: string | undefined;
  if (isModelFile(source.path)) modelPath = source.path;
  else {
    dataPath = source.path;
    modelPath = source.model ?? (await findCompanionModel(source.path, settings, files));
    if (modelPath && !source.model) notes.push(`Settings from ${basename(modelPath)}, the model file beside the data.`);
  }
  const model = modelPath
    ? await readModel(files, modelPath, source.model ? { file: source.model, at: START } : sourceRef)
    : undefined;
  if (modelPath) read.push(modelPath);
  warnings.push(...(model?.warnings ?? []));
  const spec: Partial<ModelSpec> = model?.spec ?? {};
  let dataRef: Ref = sourceRef;
  if (model && dataPath === undefined) {
    dataPath = await resolveField(model, 'data', model.spec.data, root, files);
    dataRef = { file: model.file, at: model.at(['data']) };
  } else if (model && source.model) {
    const named = resolvePath(dirname(model.file), model.spec.data);
    if (named !== dataPath)
      notes.push(
        `Data from ${basename(dataPath!)} (given explicitly) instead of ${model.spec.data} named by the model file.`,
      );
  }
  const data = dataPath!;
  const format = formatOf(data);
  if (!format) {
    const extension = /\.[^./\\]+$/.exec(data)?.[0] ?? 'no extension';
    fail(
      dataRef.file,
      dataRef.at,
      `${dataRef.file === data ? 'this is' : `${basename(data)} is`} not a kind of sequence file Unroll reads (${extension})`,
      `Unroll reads ${sequenceExtensionsInWords()} files`,
    );
  }
  await checkFile(files, data, dataRef, 'data file', MAX_FILE_BYTES);
  read.push(data);

  // 2. Task and window, which decide how the data is read.
  const taskRef: Ref = model
    ? { file: model.file, at: model.at(spec.task ? ['task'] : []) }
    : { file: data, at: START };
  const window = spec.window ?? settings.maxSteps;
  const windowSource =
    spec.window !== undefined
      ? `"window": ${window} in ${basename(model!.file)}`
      : `the maxSteps setting (${window}); set "window" in a model file to change it`;
  const built = await readData(files, data, format, spec, window, taskRef, model);
  const task = built.dataset.task;
  if (spec.loss && spec.loss !== built.dataset.loss) {
    fail(
      model!.file,
      model!.at(['loss']),
      `"loss": "${spec.loss}" applies to task columns or seq-to-one; task ${task} always uses ${built.dataset.loss}`,
      'remove "loss", or set "task": "columns" (or "seq-to-one")',
    );
  }
  for (const w of built.warnings) warnings.push(warning(w.ref.file, w.ref.at, w.message));

  const { dataset } = built;

  // 4. The resolved model.
  const cell = overrides?.cell ?? spec.cell ?? settings.defaultCell;
  const resolved: ResolvedModel = defined({
    cell,
    nonlinearity: spec.nonlinearity ?? MODEL_DEFAULTS.nonlinearity,
    inputSize: dataset.inputSize,
    hidden: spec.hidden ?? MODEL_DEFAULTS.hidden,
    outputSize: dataset.outputSize,
    layers: spec.layers ?? MODEL_DEFAULTS.layers,
    task,
    loss: dataset.loss,
    inputs: built.inputs,
    targets: built.targets,
    init: initOf(spec.init),
    bptt: {
      truncate: (spec.bptt ?? MODEL_DEFAULTS.bptt) === 'full' ? null : (spec.bptt as { truncate: number }).truncate,
    },
    optimizer: optimizerOf(spec.optimizer),
    clip: spec.clip ?? MODEL_DEFAULTS.clip,
    epochs: spec.epochs ?? MODEL_DEFAULTS.epochs,
    batch: spec.batch ?? MODEL_DEFAULTS.batch,
    validation: {
      fraction:
        typeof spec.validation === 'number'
          ? spec.validation
          : dataset.sequences.count >= MIN_SEQUENCES_FOR_VALIDATION
            ? DEFAULT_VALIDATION
            : 0,
    },
    window,
    seed: spec.seed ?? MODEL_DEFAULTS.seed,
    precision: spec.precision ?? MODEL_DEFAULTS.precision,
    data: spec.data ?? basename(data),
    weights: source.weights ?? spec.weights,
    compare: spec.compare,
  });

  // 4b. The validation split: a fraction of the data's sequences, or a validation file read like the data file.
  let heldOutFile: Dataset | undefined;
  if (typeof spec.validation === 'string') {
    const validationRef: Ref = { file: model!.file, at: model!.at(['validation']) };
    const path = await resolveField(model!, 'validation', spec.validation, root, files);
    heldOutFile = await readValidation(files, path, validationRef, {
      data,
      format,
      dataset,
      spec,
      window,
      taskRef,
      model: model!,
    });
    resolved.validation = { file: path };
    read.push(path);
  }
  const split = splitOf(resolved, built, dataset, heldOutFile);
  const heldOutOfData = split.heldOut && !heldOutFile ? split.heldOut.indices.length : 0;

  // 3. Notes: how the file was split into sequences and windows, what the window cut, and what training holds out.
  notes.push(...windowNotes(basename(data), built, window, windowSource, heldOutOfData));
  if (heldOutFile) {
    notes.push(
      `Training holds out the ${plural(heldOutFile.sequences.count, 'sequence')} of ${basename((resolved.validation as { file: string }).file)} ("validation") to measure the held-out loss, and trains on all ${plural(dataset.sequences.count, 'sequence')} of ${basename(data)}.`,
    );
  } else if (heldOutOfData > 0) {
    const source =
      typeof spec.validation === 'number'
        ? `"validation": ${spec.validation}`
        : `validation ${DEFAULT_VALIDATION}, the default for ${MIN_SEQUENCES_FOR_VALIDATION} sequences or more`;
    const what =
      built.parts.split.count > 0 || built.parts.sequences < dataset.sequences.count ? 'windows' : 'sequences';
    notes.push(
      `Training holds out ${heldOutOfData} of ${dataset.sequences.count} ${what} (${source}) to measure the held-out loss; the first, the one analyzed, is always trained on.`,
    );
  }
  dataset.notes.push(...notes);

  // 5. Before anything large is allocated: the cost of these shapes against the limits.
  const fieldRef = (field: 'window' | 'hidden') =>
    model && spec[field] !== undefined
      ? { file: model.file, at: model.at([field]), written: true }
      : { file: model?.file ?? data, at: START, written: false };
  for (const costCell of overrides?.compare ?? [resolved.cell]) {
    checkCost(
      { ...resolved, cell: costCell },
      dataset,
      settings,
      overrides?.training ?? false,
      { window: fieldRef('window'), hidden: fieldRef('hidden'), data: { file: data, at: START } },
      heldOutFile?.sequences.bytes ?? 0,
    );
  }

  // 6. Weights, checked against the model's shapes.
  let params: ParamSet | undefined;
  let weightsPath: string | undefined;
  let weightsRecord: TrainedRecord | undefined;
  if (source.weights || spec.weights) {
    const ref: Ref = source.weights
      ? { file: source.weights, at: START }
      : { file: model!.file, at: model!.at(['weights']) };
    weightsPath = source.weights ?? (await resolveField(model!, 'weights', spec.weights!, root, files));
    const trainedFor = spec.cell ?? settings.defaultCell;
    if (overrides?.cell && overrides.cell !== trainedFor) {
      warnings.push(
        warning(
          ref.file,
          ref.at,
          `these weights are for a ${trainedFor} cell; the ${overrides.cell} run starts from a fresh "${resolved.init.kind}" init`,
        ),
      );
      weightsPath = undefined;
    } else {
      ({ params, record: weightsRecord } = await readWeights(files, weightsPath, ref));
      read.push(weightsPath);
      const mismatches = checkParamShapes(resolved, params);
      if (mismatches.length > 0) {
        throw new InputError(
          mismatches.map((m) =>
            problem(
              ref.file,
              ref.at,
              m,
              `the weights must match cell ${resolved.cell}, hidden ${resolved.hidden}, layers ${resolved.layers}, ${resolved.inputSize} inputs and ${resolved.outputSize} outputs`,
            ),
          ),
        );
      }
    }
  }

  return {
    model: resolved,
    dataset,
    params,
    files: read,
    warnings,
    meta: defined({ dataFile: data, modelFile: modelPath, weightsFile: weightsPath }),
    split,
    ...(weightsRecord ? { weightsRecord } : {}),
  };
}

function splitOf(
  model: ResolvedModel,
  built: BuiltData,
  dataset: Dataset,
  heldOutFile: Dataset | undefined,
): DataSplit {
  const count = dataset.sequences.count;
  const aligned = (train: Int32Array) =>
    dataset.task !== 'char-lm' && built.parts.split.count === 0 && train.length >= MIN_SEQUENCES_FOR_VALIDATION;
  if (heldOutFile) {
    const train = Int32Array.from({ length: count }, (_, i) => i);
    const indices = Int32Array.from({ length: heldOutFile.sequences.count }, (_, i) => i);
    return {
      train,
      heldOut: indices.length > 0 ? { sequences: heldOutFile.sequences, indices } : null,
      aligned: aligned(train),
    };
  }
  const fraction = 'fraction' in model.validation ? model.validation.fraction : 0;
  const { train, heldOut } = splitByFraction(count, fraction, model.seed);
  return {
    train,
    heldOut: heldOut.length > 0 ? { sequences: dataset.sequences, indices: heldOut } : null,
    aligned: aligned(train),
  };
}

interface DataContext {
  data: string;
  format: Format;
  dataset: Dataset;
  spec: Partial<ModelSpec>;
  window: number;
  taskRef: Ref;
  model: ParsedModelFile;
}

/**
 * The model file's "validation" file, read with the data file's reader, task, columns and window. Problems inside it
 * point into it; problems with it as a whole (another format, other columns, characters the data lacks) at "validation".
 */
async function readValidation(files: FileSeam, path: string, ref: Ref, c: DataContext): Promise<Dataset> {
  const name = basename(path);
  if (path === c.data)
    fail(
      ref.file,
      ref.at,
      `"validation" names the data file itself (${name}); held-out sequences must be ones training never sees`,
      'name a separate file with the same columns, or hold out a fraction of the data, e.g. "validation": 0.2',
    );
  let realData = c.data,
    realPath = path;
  try {
    [realData, realPath] = await Promise.all([files.realpath(c.data), files.realpath(path)]);
  } catch {
    // resolveField found both; a path that cannot be resolved again is compared as written.
  }
  if (realData === realPath)
    fail(
      ref.file,
      ref.at,
      `"validation" leads to the data file itself (${name} is a link to ${basename(c.data)}); held-out sequences must be ones training never sees`,
      'name a separate file, or hold out a fraction of the data, e.g. "validation": 0.2',
    );
  const format = formatOf(path);
  if (format !== c.format) {
    fail(
      ref.file,
      ref.at,
      `the validation file ${name} is ${format ? `a .${/\.([^./\\]+)$/.exec(path)?.[1]} file` : 'not a kind of sequence file Unroll reads'}; the data file ${basename(c.data)} is ${c.format}`,
      'give the held-out sequences in the same format as the data file',
    );
  }
  await checkFile(files, path, ref, 'validation file', MAX_FILE_BYTES);
  const { dataset } = c;
  if (format === 'text') return heldOutText(await readText(chunksOf(files, path), path), dataset, c.window, ref, name);
  const built = await readData(files, path, format, c.spec, c.window, c.taskRef, c.model);
  const held = built.dataset;
  const same = (a: string[] | undefined, b: string[] | undefined) =>
    (a ?? []).join('\u0000') === (b ?? []).join('\u0000');
  if (
    held.inputSize !== dataset.inputSize ||
    held.outputSize !== dataset.outputSize ||
    !same(held.inputNames, dataset.inputNames) ||
    !same(held.targetNames, dataset.targetNames)
  ) {
    const shape = (d: Dataset) =>
      d.inputNames
        ? `inputs ${d.inputNames.join(', ')}; targets ${(d.targetNames ?? []).join(', ')}`
        : `${d.inputSize} inputs, ${d.outputSize} targets`;
    fail(
      ref.file,
      ref.at,
      `the validation file ${name} has ${shape(held)}, the data file ${basename(c.data)} has ${shape(dataset)}`,
      'the held-out sequences need the same columns as the training ones',
    );
  }
  return held;
}

/** A held-out text, its characters numbered by the data file's vocabulary (the model predicts those only). */
function heldOutText(corpus: TextCorpus, dataset: Dataset, window: number, ref: Ref, name: string): Dataset {
  const vocab = dataset.vocab ?? [];
  const index = new Map(vocab.map((ch, i) => [ch, i]));
  const unseen = corpus.vocab.filter((ch) => !index.has(ch));
  if (unseen.length > 0) {
    const shown = unseen
      .slice(0, 5)
      .map((ch) => JSON.stringify(ch))
      .join(', ');
    fail(
      ref.file,
      ref.at,
      `the validation file ${name} has ${plural(unseen.length, 'character')} the data file never uses (${shown}${unseen.length > 5 ? ', …' : ''})`,
      'the model predicts only the characters of the training text: add them to the data, or remove them from the held-out text',
    );
  }
  const map = corpus.vocab.map((ch) => index.get(ch)!);
  const ids =
    vocab.length <= 256
      ? new Uint8Array(corpus.ids.length)
      : vocab.length <= 65536
        ? new Uint16Array(corpus.ids.length)
        : new Uint32Array(corpus.ids.length);
  for (let i = 0; i < ids.length; i++) ids[i] = map[corpus.ids[i]];
  return fromText({ vocab, ids, totalChars: corpus.totalChars }, window).dataset;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * What the window did to the file, in words: sequences split into windows (all trained on, the first analyzed),
 * sequences cut to their last steps (seq-to-one), and steps or windows left out of training.
 */
export function windowNotes(
  name: string,
  built: BuiltData,
  window: number,
  windowSource: string,
  heldOut = 0,
): string[] {
  const { parts } = built;
  const uses = heldOut > 0 ? `training uses all but the ${heldOut} held out` : 'training uses all';
  const notes: string[] = [];
  const total = built.dataset.sequences.count;
  const { split, cut } = parts;
  if (parts.sequences === 1 && split.count === 1) {
    const amount =
      built.characters !== undefined
        ? `${built.characters} characters (${split.longest} steps, each predicting the next character)`
        : `the sequence has ${split.longest} steps,`;
    notes.push(
      `${name}: ${amount} split into ${plural(total, 'window')} of ${window} steps; the analysis shows the first, ${uses} (windows as set by ${windowSource}).`,
    );
  } else if (split.count > 0) {
    notes.push(
      `${name} holds ${parts.sequences} sequences; ${split.count} of them have more than ${window} steps (up to ${split.longest}) and are split into windows of ${window} steps (as set by ${windowSource}), ` +
        `${total} training sequences in all; the analysis shows the first window of the first sequence, ${uses}.`,
    );
  } else if (parts.sequences > 1) {
    notes.push(`${name} holds ${parts.sequences} sequences; the analysis shows the first, ${uses}.`);
  }
  if (cut.count > 0) {
    const whose =
      parts.sequences > 1
        ? `${cut.count} of ${parts.sequences} sequences have more than ${window} steps (up to ${cut.longest})`
        : `the sequence has ${cut.longest} steps`;
    notes.push(
      `${name}: ${whose}; analyzed the last ${window} steps of each, as capped by ${windowSource}; training uses the same steps (the target is at the end).`,
    );
  }
  if (parts.leftOut > 0) {
    const whose = parts.sequences === 1 ? 'the sequence' : plural(parts.leftOut, 'sequence');
    notes.push(`The last step of ${whose} is left out of training: it would make a window of a single step.`);
  }
  const { noTarget } = parts;
  if (noTarget > 0)
    notes.push(
      `${plural(noTarget, 'window')} of ${window} steps without any target value ${noTarget === 1 ? 'is' : 'are'} left out of training.`,
    );
  return notes;
}

async function readWeights(
  files: FileSeam,
  path: string,
  ref: Ref,
): Promise<{ params: Map<string, Tensor>; record?: TrainedRecord }> {
  await checkFile(files, path, ref, 'weights file', MAX_FILE_BYTES);
  const bytes = await readWhole(files, path, ref, 'weights file');
  if (weightsFormatOf(path) === 'json') return { params: readJsonWeights(decodeUtf8(bytes, path), path) };
  return { params: readSafetensors(bytes, path), record: trainedRecordOf(safetensorsMetadata(bytes)) };
}

function wrongTask(ref: Ref, task: TaskKind, format: Format, fix: string): never {
  const what = {
    csv: 'a CSV file',
    tsv: 'a TSV file',
    text: 'a text file',
    json: 'this JSON file',
    npy: 'a .npy array',
  }[format];
  return fail(ref.file, ref.at, `task ${task} does not fit ${what}`, fix);
}

async function readData(
  files: FileSeam,
  data: string,
  format: Format,
  spec: Partial<ModelSpec>,
  window: number,
  taskRef: Ref,
  model: ParsedModelFile | undefined,
): Promise<BuiltData> {
  const dataRef: Ref = { file: data, at: START };
  const task = spec.task;
  if (format === 'text') {
    if (task && task !== 'char-lm')
      wrongTask(taskRef, task, format, 'a text file is read as characters: use "task": "char-lm"');
    return fromText(await readText(chunksOf(files, data), data), window);
  }
  if (task === 'char-lm')
    wrongTask(
      taskRef,
      task,
      format,
      'char-lm reads plain text (.txt); numeric files use next-step, seq-to-one or columns',
    );
  if (format === 'csv' || format === 'tsv') {
    const chosen = task ?? 'next-step';
    // Every row is kept (training splits long sequences into windows), except for seq-to-one: its last `window` rows.
    const table = await readCsv(chunksOf(files, data), data, {
      delimiter: format === 'tsv' ? '\t' : undefined,
      keepRows: chosen === 'seq-to-one' ? window : undefined,
      keep: chosen === 'seq-to-one' ? 'last' : 'first',
      oneHot: spec.loss === 'xent' && (chosen === 'columns' || chosen === 'seq-to-one') ? spec.targets : undefined,
    });
    const columnRef =
      (key: 'inputs' | 'targets') =>
      (i: number): Ref =>
        model ? { file: model.file, at: model.at([key, i]) } : dataRef;
    return fromCsv(
      table,
      data,
      chosen,
      {
        inputs: spec.inputs,
        targets: spec.targets,
        inputsAt: columnRef('inputs'),
        targetsAt: columnRef('targets'),
        loss: spec.loss ?? MODEL_DEFAULTS.loss,
      },
      window,
    );
  }
  if (format === 'npy') {
    if (task && task !== 'next-step')
      wrongTask(
        taskRef,
        task,
        format,
        'a .npy array has no named columns: use next-step, or a CSV with named input and target columns',
      );
    return fromNpy(readNpy(await readWhole(files, data, dataRef, 'data file'), data), data, window);
  }
  const json = readJsonData(decodeUtf8(await readWhole(files, data, dataRef, 'data file'), data), data);
  const chosen = task ?? defaultTask(format, json);
  if (json.kind === 'series') {
    if (chosen !== 'next-step')
      wrongTask(
        taskRef,
        chosen,
        format,
        'this JSON holds plain sequences: use next-step, or give { "inputs": …, "targets": … }',
      );
    const { values, D, starts } = json;
    return fromSeries(
      { values, D, count: starts.length - 1, start: (n) => starts[n], rows: (n) => starts[n + 1] - starts[n] },
      data,
      window,
      json.at,
    );
  }
  if (chosen !== 'columns' && chosen !== 'seq-to-one')
    wrongTask(
      taskRef,
      chosen,
      format,
      'this JSON gives inputs and targets: use task columns (a target per step) or seq-to-one',
    );
  if (model && (spec.inputs || spec.targets)) {
    fail(
      model.file,
      model.at([spec.inputs ? 'inputs' : 'targets']),
      'a JSON data file has no column names to pick',
      'remove "inputs" and "targets"; the JSON gives them as "inputs" and "targets" lists',
    );
  }
  return fromPairs(json, data, chosen, window, spec.loss ?? MODEL_DEFAULTS.loss);
}
