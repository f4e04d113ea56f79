// `unroll`: analyze, train and write examples from a terminal, with the same jobs the extension's worker runs.
// Exit codes: 0 ok, 2 bad input or a refused output (one `path:line:col: message` line per problem), 3 training
// diverged, 130 stopped by Ctrl-C, 1 internal error. No stack traces.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import manifest from '../../package.json';
import { traceFolderOf } from '../data/trace';
import {
  CELL_KINDS,
  checkOutputs,
  sequenceExtensionsInWords,
  EXAMPLE_NAMES,
  exampleFiles,
  exampleSet,
  InputError,
  isCellKind,
  isModelFile,
  type ExampleFile,
  type ExampleName,
  type FileSeam,
  type OutputTarget,
} from '../data';
import { fail, START } from '../data/errors';
import { seamProblem } from '../data/files';
import { nodeFiles, nodeWrites } from '../data/nodeFiles';
import type { AnalyzeSource, EngineSettings, Problem } from '../protocol/messages';
import { resultToJson, trainingToJson, trainPointToJson } from '../protocol/json';
import type { CellKind } from '../protocol/result';
import { runAnalyze, runCompare, runTrain, type BeforeCompute } from '../worker/jobs';
import { enableRelaxedSimd } from '../worker/relaxedSimd';
import { spectralThreadIfParallel } from '../worker/spectralThread';
import { AnalysisCache } from '../engine';
import { renderReportHtml } from '../report/html';
import {
  baselineLine,
  compareProgressLine,
  compareTable,
  divergedMessage,
  divergingLine,
  humanSummary,
  progressLine,
  runName,
  traceSummary,
} from './summary';

export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown };
  cwd: string;
  /** Registers what the first Ctrl-C does (a second ends the process at once); returns the function that unregisters it. */
  onInterrupt?(handler: () => void): () => void;
}

const USAGE = `Usage:
  unroll analyze <data|model.unroll.json> [--model m.unroll.json] [--weights w.safetensors|w.json]
                 [--cell ${CELL_KINDS.join('|')}] [--json <file>|-] [--out report.html] [--max-steps N] [--flow-budget X]
                 [--max-memory MB] [--max-work N]
  unroll analyze <run.unroll-trace|run.unroll-trace/step-N.safetensors> [--step N|latest] [--layer N] [--reverse]
                 [--json <file>|-] [--out report.html] [--flow-budget X] [--max-memory MB] [--max-work N]
  unroll train   <data|model.unroll.json> [--model m] [--weights w] [--epochs N] [--save w.safetensors [--force]]
                 [--json] [--out report.html] [--max-steps N] [--flow-budget X] [--max-memory MB] [--max-work N]
  unroll compare <data|model.unroll.json> [more model files...] [--model m] [--cells ${CELL_KINDS.join(',')}] [--epochs N]
                 [--json <file>|-] [--out report.html] [--max-steps N] [--flow-budget X] [--max-memory MB] [--max-work N]
  unroll example <${EXAMPLE_NAMES.join('|')}|all>
                 [--lag N] [--out DIR] [--force]
  unroll --help

Examples paper-*: setups from Bengio et al. 1994, Pascanu et al. 2013, Le et al. 2015 and Arjovsky et al. 2016,
  each model file saying which claim to look at (examples/README.md); Unroll's tests check them against the papers.
Sequence files (${sequenceExtensionsInWords()}): CSV/TSV with a header (optional "sequence"/"id" column), plain text, JSON, NumPy .npy.
--model applies to a sequence file; a *.unroll.json already names its data, so giving both is refused.
--flow-budget: work of the flow matrix as a multiple of the forward + backward pass (default 1; more rows when larger).
--max-memory, --max-work: a run estimated above this memory (MiB, default 2048) or work (billions of multiply-adds
  per analysis or training batch, default 120) is refused before it starts (exit 2, naming what drives the cost).
compare: one run per cell (--cells, else the model file's "compare", else ${CELL_KINDS.join(',')}) on the same data and seed,
  or one run per model file when several are given. Every run trains first, for its model file's epochs or
  --epochs N (--epochs 0 compares at initialization). A run that diverges stays in the table, marked.
train --out and compare --out write the standalone HTML report (Training tab: loss, held-out loss, gradient norm
  before clipping, clip events; Compare tab for compare).
Outputs (--json, --out, --save) are never an input of the run, and are written whole or not at all. --save replaces
only weights Unroll wrote; --force replaces any file there, or the weights the run started from.
Ctrl-C stops at the next check (training saves what it has); a second Ctrl-C quits at once.
A *.unroll-trace folder (written by python/unroll_trace during a PyTorch training) is replayed: the snapshot at
  --step N (default: the latest) is recomputed from the recorded input, state, weights and output gradients, and
  checked against PyTorch's own gradients (bound 1e-5 for float32 runs, 1e-10 for float64). The views show
  --layer N (PyTorch's numbering from 0, default the last) in its forward direction, or --reverse for a
  bidirectional module's reverse direction.
Exit codes: 0 ok, 2 bad input or a refused output or cost (path:line:col: message), 3 training diverged (nothing
saved; train only: a compare whose run diverged still exits 0, the run is marked), 4 a trace replay does not match
PyTorch (an approximate replay, e.g. dropout between layers, exits 0 and says so), 130 stopped by Ctrl-C,
1 internal error.
`;

/** `rnn, lstm or gru` */
const CELLS_IN_WORDS = `${CELL_KINDS.slice(0, -1).join(', ')} or ${CELL_KINDS[CELL_KINDS.length - 1]}`;

/** A problem with how unroll was called (not with a file): printed with the usage hint, exit 2. */
class UsageError extends Error {}

/** The first Ctrl-C reached a check before the run had anything to show: nothing is written, exit 130. */
class Stopped extends Error {}

export async function main(argv: string[], io: CliIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      (command === undefined ? io.stderr : io.stdout).write(USAGE);
      return command === undefined ? 2 : 0;
    }
    switch (command) {
      case 'analyze':
        return await analyzeCommand(rest, io);
      case 'train':
        return await trainCommand(rest, io);
      case 'compare':
        return await compareCommand(rest, io);
      case 'example':
        return await exampleCommand(rest, io);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof Stopped) {
      io.stderr.write('unroll: stopped (Ctrl-C); nothing was written\n');
      return 130;
    }
    if (e instanceof InputError) {
      printProblems(e.problems, io);
      return 2;
    }
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`unroll: ${(e as Error).message}\nRun "unroll --help" for usage.\n`);
      return 2;
    }
    io.stderr.write(
      `unroll: internal error: ${e instanceof Error ? e.message : String(e)}\nPlease report this with the command you ran.\n`,
    );
    return 1;
  }
}

function printProblems(problems: Problem[], io: CliIo): void {
  for (const p of problems) {
    const severity = p.severity === 'warning' ? 'warning: ' : '';
    io.stderr.write(
      `${shown(p.file, io)}:${p.line}:${p.column}: ${severity}${p.message}${p.hint ? ` (hint: ${p.hint})` : ''}\n`,
    );
  }
}

/** Paths relative to where the user stands, when inside it. */
function shown(file: string, io: CliIo): string {
  const relative = path.relative(io.cwd, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

const sourceOptions = {
  model: { type: 'string' },
  weights: { type: 'string' },
  'max-steps': { type: 'string' },
  'flow-budget': { type: 'string' },
  'max-memory': { type: 'string' },
  'max-work': { type: 'string' },
} as const;

/** Digits only: Number() would also take "0x10", "1e3", " 5" and "" (as 0). */
function positiveInteger(value: string | undefined, flag: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= max)) throw new UsageError(`--${flag} must be a whole number from 1 to ${max}, got "${value}"`);
  return n;
}

function positiveNumber(
  value: string | undefined,
  flag: string,
  range: { minimum: number; maximum: number },
): number | undefined {
  if (value === undefined) return undefined;
  const n = plainNumber(value);
  if (!(n >= range.minimum && n <= range.maximum))
    throw new UsageError(`--${flag} must be a number from ${range.minimum} to ${range.maximum}, got "${value}"`);
  return n;
}

/** A decimal number written plainly (no hex, exponent, blanks or empty value); NaN otherwise. */
function plainNumber(value: string): number {
  return /^(\d+\.?\d*|\.\d+)$/.test(value) ? Number(value) : NaN;
}

function oneFile(positionals: string[], command: string, values: { model?: string }): string {
  if (positionals.length !== 1)
    throw new UsageError(`${command} takes one file (a sequence file or a *.unroll.json), got ${positionals.length}`);
  if (values.model !== undefined && isModelFile(positionals[0])) {
    throw new UsageError(
      `--model applies to a sequence file; ${positionals[0]} is a model file and names its own data (analyze the data file with --model, or the model file alone)`,
    );
  }
  return positionals[0];
}

/**
 * Ctrl-C during a run: the first sets the flag that the checks read (while loading, between training batches,
 * before the analysis), and the process's own handler makes a second one end it at once.
 */
function interrupts(io: CliIo): { stopped: () => boolean; stopIfAsked: () => void; release: () => void } {
  let stop = false;
  const release = io.onInterrupt?.(() => {
    stop = true;
    io.stderr.write('\nunroll: stopping at the next check; press Ctrl-C again to quit now\n');
  });
  const stopIfAsked = () => {
    if (stop) throw new Stopped();
  };
  return { stopped: () => stop, stopIfAsked, release: () => release?.() };
}

/** The files, with a check between the chunks a large data file is read in. */
function stoppable(files: FileSeam, stopIfAsked: () => void): FileSeam {
  const { readChunks } = files;
  if (!readChunks) return files;
  return {
    ...files,
    async *readChunks(file) {
      for await (const chunk of readChunks(file)) {
        stopIfAsked();
        yield chunk;
      }
    },
  };
}

/** Written whole or not at all; a failure (disk full, permissions changed since the check) is the user's to fix: exit 2. */
async function writeOutput(file: string, data: Uint8Array | string, what: string): Promise<void> {
  try {
    await nodeWrites.writeFile(file, data);
  } catch (e) {
    fail(file, START, `cannot write the ${what}: ${seamProblem(e)}`, 'choose a path you can write to');
  }
}

/** The workspace is where the user stands, unless the file lives elsewhere; then its own folder. */
function sourceFor(file: string, values: { model?: string; weights?: string }, io: CliIo): AnalyzeSource {
  const absolute = path.resolve(io.cwd, file);
  const inside = !path.relative(io.cwd, absolute).startsWith('..');
  return {
    path: absolute,
    workspaceRoot: inside ? io.cwd : path.dirname(absolute),
    ...(values.model ? { model: path.resolve(io.cwd, values.model) } : {}),
    ...(values.weights ? { weights: path.resolve(io.cwd, values.weights) } : {}),
  };
}

/** The extension's unroll.* settings' defaults, read from the manifest so the CLI and the panel agree. */
const settingDefaults = manifest.contributes.configuration.properties;

function settingsFrom(values: {
  'max-steps'?: string;
  'flow-budget'?: string;
  'max-memory'?: string;
  'max-work'?: string;
}): EngineSettings {
  const flowBudget = settingDefaults['unroll.flowBudget'];
  const budget = values['flow-budget'];
  if (
    budget !== undefined &&
    !(plainNumber(budget) >= flowBudget.minimum && plainNumber(budget) <= flowBudget.maximum)
  ) {
    throw new UsageError(
      `--flow-budget must be a number from ${flowBudget.minimum} to ${flowBudget.maximum} (passes), got "${budget}"`,
    );
  }
  return {
    maxSteps:
      positiveInteger(values['max-steps'], 'max-steps', 1_000_000) ?? settingDefaults['unroll.maxSteps'].default,
    flowBudget: budget !== undefined ? plainNumber(budget) : flowBudget.default,
    defaultCell: settingDefaults['unroll.defaultCell'].default as CellKind,
    maxMemoryMB:
      positiveInteger(values['max-memory'], 'max-memory', settingDefaults['unroll.maxMemoryMB'].maximum) ??
      settingDefaults['unroll.maxMemoryMB'].default,
    maxWork:
      positiveNumber(values['max-work'], 'max-work', settingDefaults['unroll.maxWork']) ??
      settingDefaults['unroll.maxWork'].default,
  };
}

async function analyzeCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...sourceOptions,
      cell: { type: 'string' },
      json: { type: 'string' },
      out: { type: 'string' },
      step: { type: 'string' },
      layer: { type: 'string' },
      reverse: { type: 'boolean' },
    },
  });
  const file = oneFile(positionals, 'analyze', values);
  if (values.cell !== undefined && !isCellKind(values.cell))
    throw new UsageError(`--cell must be ${CELLS_IN_WORDS}, got "${values.cell}"`);
  const trace = traceFolderOf(path.resolve(io.cwd, file)) !== undefined;
  if (trace) {
    const misplaced = (['cell', 'model', 'weights', 'max-steps'] as const).find((k) => values[k] !== undefined);
    if (misplaced)
      throw new UsageError(
        `--${misplaced} does not apply to a trace: the snapshot holds the module, its weights and its sequence`,
      );
  } else {
    const traceOnly = (['step', 'layer', 'reverse'] as const).find((k) => values[k] !== undefined);
    if (traceOnly === 'step') throw new UsageError('--step picks a snapshot of a trace (a *.unroll-trace folder)');
    if (traceOnly) throw new UsageError(`--${traceOnly} picks what a trace replay shows (a *.unroll-trace folder)`);
  }
  if (values.layer !== undefined && !/^\d+$/.test(values.layer))
    throw new UsageError(
      `--layer must be a layer number from 0 (PyTorch's numbering: weight_hh_l0 is layer 0), got "${values.layer}"`,
    );
  const traceLayer = values.layer !== undefined ? Number(values.layer) : undefined;
  const traceStep: number | 'latest' =
    values.step === undefined || values.step === 'latest'
      ? 'latest'
      : /^\d+$/.test(values.step)
        ? Number(values.step)
        : NaN;
  if (!(traceStep === 'latest' || Number.isSafeInteger(traceStep)))
    throw new UsageError(`--step must be a training step (a whole number) or "latest", got "${values.step}"`);
  const jsonFile = values.json !== undefined && values.json !== '-' ? path.resolve(io.cwd, values.json) : undefined;
  const outFile = values.out !== undefined ? path.resolve(io.cwd, values.out) : undefined;
  const targets: OutputTarget[] = [
    ...(jsonFile ? [{ path: jsonFile, what: 'JSON' }] : []),
    ...(outFile ? [{ path: outFile, what: 'report' }] : []),
  ];
  const { stopIfAsked, release } = interrupts(io);
  try {
    const beforeCompute: BeforeCompute = async (inputs) => {
      stopIfAsked();
      await checkOutputs(targets, inputs, nodeFiles, nodeWrites);
    };
    const source = {
      ...sourceFor(file, values, io),
      ...(trace ? { traceStep } : {}),
      ...(traceLayer !== undefined ? { traceLayer } : {}),
      ...(values.reverse ? { traceReverse: true } : {}),
    };
    // ρ/σ_max on a second thread, as the worker does: the helper starts loading now, while the files are read.
    const cache = new AnalysisCache();
    const spectral = spectralThreadIfParallel();
    void spectral?.ready();
    cache.setSpectralSource(spectral);
    const outcome = await runAnalyze(
      source,
      settingsFrom(values),
      stoppable(nodeFiles, stopIfAsked),
      values.cell as CellKind | undefined,
      beforeCompute,
      cache,
    ).finally(() => void spectral?.terminate());
    printProblems(outcome.warnings, io);
    const { result } = outcome;
    if (values.json === '-') io.stdout.write(JSON.stringify(resultToJson(result)) + '\n');
    if (jsonFile) await writeOutput(jsonFile, JSON.stringify(resultToJson(result)) + '\n', 'JSON');
    if (outFile)
      await writeOutput(
        outFile,
        await renderReportHtml([result], `Unroll: ${path.basename(result.meta.dataFile)}`),
        'report',
      );
    // With --json - stdout carries only the JSON.
    const summaryTo = values.json === '-' ? io.stderr : io.stdout;
    summaryTo.write(
      result.trace
        ? traceSummary(result, shown(result.meta.dataFile, io))
        : humanSummary(result, shown(result.meta.modelFile ?? result.meta.dataFile, io)),
    );
    if (jsonFile) summaryTo.write(`wrote ${values.json}\n`);
    if (outFile) summaryTo.write(`wrote ${values.out}\n`);
    // A replay that does not reproduce PyTorch's gradients is a failed check (an approximate one is said, not failed).
    return result.replay && !result.replay.ok && result.replay.approximate === null ? 4 : 0;
  } finally {
    release();
  }
}

async function trainCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...sourceOptions,
      epochs: { type: 'string' },
      save: { type: 'string' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      out: { type: 'string' },
    },
  });
  const file = oneFile(positionals, 'train', values);
  const outFile = values.out !== undefined ? path.resolve(io.cwd, values.out) : undefined;
  if (outFile && values.save !== undefined && outFile === path.resolve(io.cwd, values.save))
    throw new UsageError('--out and --save name the same file');
  const epochs = positiveInteger(values.epochs, 'epochs', 100_000);
  if (values.save !== undefined && !values.save.endsWith('.safetensors'))
    throw new UsageError(`--save writes safetensors: name the file *.safetensors, got "${values.save}"`);
  if (values.force && values.save === undefined)
    throw new UsageError('--force applies to --save (replacing a file there)');
  const { stopped, stopIfAsked, release } = interrupts(io);
  const tty = io.stdout.isTTY === true && !values.json;
  try {
    const outcome = await runTrain(
      sourceFor(file, values, io),
      settingsFrom(values),
      stoppable(nodeFiles, stopIfAsked),
      { epochs, saveTo: values.save && path.resolve(io.cwd, values.save), force: values.force, writes: nodeWrites },
      {
        onProgress(point) {
          if (values.json) io.stdout.write(JSON.stringify({ type: 'progress', ...point }) + '\n');
          else if (tty) io.stdout.write(`\r${progressLine(point, io.stdout.columns ?? 80)}`);
          else io.stdout.write(progressLine(point, 80) + '\n');
        },
        shouldStop: stopped,
        yieldNow: () => new Promise((resolve) => setImmediate(resolve)),
        beforeCompute: async (inputs) => {
          stopIfAsked();
          if (outFile) await checkOutputs([{ path: outFile, what: 'report' }], inputs, nodeFiles, nodeWrites);
        },
      },
    );
    if (tty) io.stdout.write('\n');
    const diverged = outcome.reason === 'nonFinite' ? 3 : 0;
    // The report shows what the run did, a diverged or stopped one included (its Training tab says where it ended).
    if (outFile)
      await writeOutput(
        outFile,
        await renderReportHtml(
          [outcome.result],
          `Unroll training: ${path.basename(outcome.result.meta.modelFile ?? outcome.result.meta.dataFile)}`,
        ),
        'report',
      );
    if (values.json) {
      const { reason, last, saved, summary } = outcome;
      const training = trainingToJson(summary);
      io.stdout.write(
        JSON.stringify({
          type: 'done',
          reason,
          last: last && trainPointToJson(last),
          nonFinite: training.nonFinite,
          saved: saved ? shown(saved, io) : null,
          report: outFile ? shown(outFile, io) : null,
          training,
        }) + '\n',
      );
      return diverged;
    }
    const { summary } = outcome;
    const ending = {
      finished: 'Training finished.',
      cancelled: 'Training stopped (Ctrl-C).',
      nonFinite: summary.nonFinite ? divergedMessage(summary.nonFinite) : 'Training diverged; weights were not saved.',
    }[outcome.reason];
    const lines = [
      `${ending}${outcome.saved ? ` Weights written to ${shown(outcome.saved, io)}.` : ''}`,
      divergingLine(summary),
      baselineLine(summary),
    ].filter((l) => l !== undefined);
    io.stdout.write(lines.join('\n') + '\n\n');
    io.stdout.write(
      humanSummary(outcome.result, shown(outcome.result.meta.modelFile ?? outcome.result.meta.dataFile, io)),
    );
    if (outFile) io.stdout.write(`wrote ${values.out}\n`);
    return diverged;
  } finally {
    release();
  }
}

/**
 * Runs side by side: one per cell on one source, or one per model file. With --epochs every run trains first; a run
 * that diverges stays in the comparison, marked, and the others go on (exit 0: the comparison is complete).
 */
async function compareCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...sourceOptions,
      cells: { type: 'string' },
      epochs: { type: 'string' },
      json: { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (positionals.length === 0)
    throw new UsageError(
      'compare takes a sequence file or a *.unroll.json, or several *.unroll.json to run side by side',
    );
  let models: string[] | undefined;
  if (positionals.length > 1) {
    const notModels = positionals.filter((p) => !isModelFile(p));
    if (notModels.length)
      throw new UsageError(
        `several files are compared as model files (*.unroll.json), one run each; ${notModels.join(', ')} is not one`,
      );
    if (values.cells !== undefined)
      throw new UsageError(
        '--cells applies to one source (one run per cell); several model files each name their own cell',
      );
    if (values.model !== undefined || values.weights !== undefined)
      throw new UsageError(
        '--model and --weights apply to one source; several model files name their own data and weights',
      );
    models = positionals.map((p) => path.resolve(io.cwd, p));
    if (new Set(models).size !== models.length) throw new UsageError('the same model file is named twice');
  } else oneFile(positionals, 'compare', values);
  let cells: CellKind[] = [];
  if (values.cells !== undefined) {
    const listed = values.cells.split(',').map((c) => c.trim());
    const bad = listed.filter((c) => !isCellKind(c));
    if (bad.length || listed.length === 0)
      throw new UsageError(`--cells takes a comma-separated list of ${CELL_KINDS.join(', ')}, got "${values.cells}"`);
    if (new Set(listed).size !== listed.length) throw new UsageError(`--cells lists a cell twice: "${values.cells}"`);
    cells = listed as CellKind[];
  }
  // Like the panel's Compare after training: each run trains its model file's epochs unless --epochs says otherwise.
  const epochs =
    values.epochs === undefined
      ? 'model'
      : values.epochs === '0'
        ? 0
        : positiveInteger(values.epochs, 'epochs', 100_000);
  const jsonFile = values.json !== undefined && values.json !== '-' ? path.resolve(io.cwd, values.json) : undefined;
  const outFile = values.out !== undefined ? path.resolve(io.cwd, values.out) : undefined;
  const targets: OutputTarget[] = [
    ...(jsonFile ? [{ path: jsonFile, what: 'JSON' }] : []),
    ...(outFile ? [{ path: outFile, what: 'report' }] : []),
  ];
  // With --json - stdout carries only the JSON; progress and the table go to stderr.
  const text = values.json === '-' ? io.stderr : io.stdout;
  const { stopped, stopIfAsked, release } = interrupts(io);
  try {
    const source = sourceFor(positionals[0], values, io);
    let runs = 0;
    let labels: string[] = [];
    const outcome = await runCompare(source, settingsFrom(values), stoppable(nodeFiles, stopIfAsked), cells, {
      models,
      epochs,
      onProgress(run, point) {
        text.write(compareProgressLine(run, runs, labels[run] ?? String(run + 1), point) + '\n');
      },
      shouldStop: stopped,
      yieldNow: () => new Promise((resolve) => setImmediate(resolve)),
      beforeCompute: async (inputs) => {
        stopIfAsked();
        await checkOutputs(targets, inputs, nodeFiles, nodeWrites);
      },
      onRuns(names) {
        labels = names;
        runs = names.length;
      },
    });
    if (outcome.stopped) throw new Stopped();
    printProblems(outcome.warnings, io);
    const { results } = outcome;
    const json = JSON.stringify({ results: results.map(resultToJson) }) + '\n';
    if (values.json === '-') io.stdout.write(json);
    if (jsonFile) await writeOutput(jsonFile, json, 'JSON');
    const title = models
      ? `Unroll: ${models.map((m) => path.basename(m)).join(' vs ')}`
      : `Unroll: ${results.map(runName).join(', ')} on ${path.basename(results[0].meta.dataFile)}`;
    if (outFile) await writeOutput(outFile, await renderReportHtml(results, title), 'report');
    if (epochs) text.write('\n');
    text.write(compareTable(results));
    if (jsonFile) text.write(`wrote ${values.json}\n`);
    if (outFile) text.write(`wrote ${values.out}\n`);
    return 0;
  } finally {
    release();
  }
}

async function exampleCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { lag: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' } },
  });
  if (positionals.length !== 1) throw new UsageError(`example takes one name: ${EXAMPLE_NAMES.join(', ')} or all`);
  const name = positionals[0];
  const lag = positiveInteger(values.lag, 'lag', 10_000);
  let files: ExampleFile[];
  if (name === 'all') {
    if (lag !== undefined) throw new UsageError('--lag applies to one example (adding or copy), not to all');
    files = exampleFiles();
  } else if ((EXAMPLE_NAMES as readonly string[]).includes(name)) {
    if (lag !== undefined && name !== 'adding' && name !== 'copy')
      throw new UsageError(`--lag applies to adding and copy, not to ${name}`);
    files = exampleSet(name as ExampleName, lag);
  } else {
    throw new UsageError(`unknown example "${name}"; choose ${EXAMPLE_NAMES.join(', ')} or all`);
  }
  const dir = path.resolve(io.cwd, values.out ?? '.');
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    const reason =
      (e as { code?: string }).code === 'EEXIST' || (e as { code?: string }).code === 'ENOTDIR'
        ? 'a file is in the way (--out names a folder)'
        : seamProblem(e);
    fail(dir, START, `cannot create the folder for the examples: ${reason}`, 'choose another folder with --out');
  }
  const targets = files.map((f) => path.join(dir, f.name));
  await checkOutputs(
    targets.map((target) => ({ path: target, what: 'example file' })),
    {},
    nodeFiles,
    nodeWrites,
  );
  // Never overwrite a file that differs unless asked: it may be the user's own edit.
  const clashes: Problem[] = [];
  for (const f of files) {
    const target = path.join(dir, f.name);
    if (!values.force && existsSync(target) && (await readFile(target, 'utf8').catch(() => undefined)) !== f.contents) {
      clashes.push({
        file: target,
        line: 1,
        column: 1,
        message: 'exists and differs from the example; not overwritten',
        hint: 'use --force to overwrite, or --out DIR',
        severity: 'error',
      });
    }
  }
  if (clashes.length > 0) throw new InputError(clashes);
  for (const f of files) {
    await writeOutput(path.join(dir, f.name), f.contents, 'example file');
    io.stdout.write(`wrote ${shown(path.join(dir, f.name), io)}\n`);
  }
  return 0;
}

/**
 * The reader of our output went away (`unroll … | head -1`): nothing more to say, so end quietly. Any other
 * failure to write standard output (a full disk behind a redirect) is the user's to fix: exit 2.
 */
function quitOnClosedPipe(stream: NodeJS.WriteStream, name: string): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') process.stderr.write(`unroll: cannot write to ${name}: ${seamProblem(e)}\n`);
    process.exit(e.code === 'EPIPE' ? 0 : 2);
  });
}

if (require.main === module) {
  enableRelaxedSimd();
  quitOnClosedPipe(process.stdout, 'standard output');
  quitOnClosedPipe(process.stderr, 'standard error');
  const io: CliIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    onInterrupt(handler) {
      let count = 0;
      const onSignal = () => {
        if (++count > 1) process.exit(130);
        handler();
        // Signals already queued still reach this listener; after them the default action applies, which ends
        // the process at once even inside a long synchronous computation (the shell reports 130).
        setImmediate(() => process.off('SIGINT', onSignal));
      };
      process.on('SIGINT', onSignal);
      return () => process.off('SIGINT', onSignal);
    },
  };
  main(process.argv.slice(2), io).then((code) => (process.exitCode = code));
}
