// `unroll`: analyze, train and write examples from a terminal, with the same jobs the extension's worker runs.
// Exit codes: 0 ok, 2 bad input (one `path:line:col: message` line per problem), 1 internal error. No stack traces.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import manifest from '../../package.json';
import { EXAMPLE_NAMES, exampleFiles, exampleSet, InputError, type ExampleFile, type ExampleName } from '../data';
import { nodeFiles } from '../data/nodeFiles';
import type { AnalyzeSource, EngineSettings, Problem } from '../protocol/messages';
import { resultToJson } from '../protocol/json';
import type { CellKind } from '../protocol/result';
import { runAnalyze, runTrain } from '../worker/jobs';
import { renderReportHtml } from './report';
import { humanSummary, progressLine } from './summary';

export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown };
  cwd: string;
  /** Registers what Ctrl-C does during training; returns the function that unregisters it. */
  onInterrupt?(handler: () => void): () => void;
}

const USAGE = `Usage:
  unroll analyze <data|model.unroll.json> [--model m.unroll.json] [--weights w.safetensors|w.json]
                 [--cell rnn|lstm|gru] [--json <file>|-] [--out report.html] [--max-steps N] [--flow-budget X]
                 [--max-memory MB] [--max-work N]
  unroll train   <data|model.unroll.json> [--model m] [--weights w] [--epochs N] [--save w.safetensors]
                 [--json] [--max-steps N] [--flow-budget X] [--max-memory MB] [--max-work N]
  unroll example <${EXAMPLE_NAMES.join('|')}|all> [--lag N] [--out DIR] [--force]
  unroll --help

Sequence files: CSV/TSV with a header (optional "sequence"/"id" column), plain text, JSON, NumPy .npy.
--flow-budget: work of the flow matrix as a multiple of the forward + backward pass (default 1; more rows when larger).
--max-memory, --max-work: a run estimated above this memory (MiB, default 2048) or work (billions of multiply-adds
  per analysis or training batch, default 30) is refused before it starts (exit 2, naming what drives the cost).
Exit codes: 0 ok, 2 bad input (path:line:col: message), 1 internal error.
`;

const CELLS: readonly string[] = ['rnn', 'lstm', 'gru'];

/** A problem with how unroll was called (not with a file): printed with the usage hint, exit 2. */
class UsageError extends Error {}

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
      case 'example':
        return await exampleCommand(rest, io);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof InputError) {
      printProblems(e.problems, io);
      return 2;
    }
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`unroll: ${(e as Error).message}\nRun "unroll --help" for usage.\n`);
      return 2;
    }
    io.stderr.write(`unroll: internal error: ${e instanceof Error ? e.message : String(e)}\nPlease report this with the command you ran.\n`);
    return 1;
  }
}

function printProblems(problems: Problem[], io: CliIo): void {
  for (const p of problems) {
    const severity = p.severity === 'warning' ? 'warning: ' : '';
    io.stderr.write(`${shown(p.file, io)}:${p.line}:${p.column}: ${severity}${p.message}${p.hint ? ` (hint: ${p.hint})` : ''}\n`);
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

function positiveInteger(value: string | undefined, flag: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`--${flag} must be a whole number from 1 to ${max}, got "${value}"`);
  return n;
}

function positiveNumber(value: string | undefined, flag: string, range: { minimum: number; maximum: number }): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n >= range.minimum && n <= range.maximum)) throw new UsageError(`--${flag} must be a number from ${range.minimum} to ${range.maximum}, got "${value}"`);
  return n;
}

function oneFile(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`${command} takes one file (a sequence file or a *.unroll.json), got ${positionals.length}`);
  return positionals[0];
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

function settingsFrom(values: { 'max-steps'?: string; 'flow-budget'?: string; 'max-memory'?: string; 'max-work'?: string }): EngineSettings {
  const flowBudget = settingDefaults['unroll.flowBudget'];
  const budget = values['flow-budget'];
  if (budget !== undefined && !(Number(budget) >= flowBudget.minimum && Number(budget) <= flowBudget.maximum)) {
    throw new UsageError(`--flow-budget must be a number from ${flowBudget.minimum} to ${flowBudget.maximum} (passes), got "${budget}"`);
  }
  return {
    maxSteps: positiveInteger(values['max-steps'], 'max-steps', 1_000_000) ?? settingDefaults['unroll.maxSteps'].default,
    flowBudget: budget !== undefined ? Number(budget) : flowBudget.default,
    defaultCell: settingDefaults['unroll.defaultCell'].default as CellKind,
    maxMemoryMB: positiveInteger(values['max-memory'], 'max-memory', settingDefaults['unroll.maxMemoryMB'].maximum) ?? settingDefaults['unroll.maxMemoryMB'].default,
    maxWork: positiveNumber(values['max-work'], 'max-work', settingDefaults['unroll.maxWork']) ?? settingDefaults['unroll.maxWork'].default,
  };
}

async function analyzeCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...sourceOptions, cell: { type: 'string' }, json: { type: 'string' }, out: { type: 'string' } },
  });
  const file = oneFile(positionals, 'analyze');
  if (values.cell !== undefined && !CELLS.includes(values.cell)) throw new UsageError(`--cell must be rnn, lstm or gru, got "${values.cell}"`);
  const outcome = await runAnalyze(sourceFor(file, values, io), settingsFrom(values), nodeFiles, values.cell as CellKind | undefined);
  printProblems(outcome.warnings, io);
  const { result } = outcome;
  if (values.json !== undefined) {
    const text = JSON.stringify(resultToJson(result)) + '\n';
    if (values.json === '-') io.stdout.write(text);
    else await writeFile(path.resolve(io.cwd, values.json), text);
  }
  if (values.out !== undefined) {
    await writeFile(path.resolve(io.cwd, values.out), await renderReportHtml([result], `Unroll: ${path.basename(result.meta.dataFile)}`));
  }
  // With --json - stdout carries only the JSON.
  const summaryTo = values.json === '-' ? io.stderr : io.stdout;
  summaryTo.write(humanSummary(result, shown(result.meta.modelFile ?? result.meta.dataFile, io)));
  if (values.json !== undefined && values.json !== '-') summaryTo.write(`wrote ${values.json}\n`);
  if (values.out !== undefined) summaryTo.write(`wrote ${values.out}\n`);
  return 0;
}

async function trainCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...sourceOptions, epochs: { type: 'string' }, save: { type: 'string' }, json: { type: 'boolean' } },
  });
  const file = oneFile(positionals, 'train');
  const epochs = positiveInteger(values.epochs, 'epochs', 100_000);
  if (values.save !== undefined && !values.save.endsWith('.safetensors')) throw new UsageError(`--save writes safetensors: name the file *.safetensors, got "${values.save}"`);
  let stop = false;
  const unregister = io.onInterrupt?.(() => (stop = true));
  const tty = io.stdout.isTTY === true && !values.json;
  try {
    const outcome = await runTrain(
      sourceFor(file, values, io),
      settingsFrom(values),
      nodeFiles,
      { epochs, saveTo: values.save && path.resolve(io.cwd, values.save), writeFile: (p, bytes) => writeFile(p, bytes) },
      {
        onProgress(point) {
          if (values.json) io.stdout.write(JSON.stringify({ type: 'progress', ...point }) + '\n');
          else if (tty) io.stdout.write(`\r${progressLine(point, io.stdout.columns ?? 80)}`);
          else io.stdout.write(progressLine(point, 80) + '\n');
        },
        shouldStop: () => stop,
        yieldNow: () => new Promise((resolve) => setImmediate(resolve)),
      },
    );
    if (tty) io.stdout.write('\n');
    if (values.json) {
      const { reason, last, nonFinite, saved } = outcome;
      io.stdout.write(JSON.stringify({ type: 'done', reason, last, nonFinite, saved: saved ? shown(saved, io) : null }) + '\n');
      return 0;
    }
    const ending = { finished: 'Training finished.', cancelled: 'Training stopped (Ctrl-C).', nonFinite: `Training stopped: ${outcome.nonFinite?.what} at step ${outcome.nonFinite?.step}; weights were not saved.` }[outcome.reason];
    io.stdout.write(`${ending}${outcome.saved ? ` Weights written to ${shown(outcome.saved, io)}.` : ''}\n\n`);
    io.stdout.write(humanSummary(outcome.result, shown(outcome.result.meta.modelFile ?? outcome.result.meta.dataFile, io)));
    return 0;
  } finally {
    unregister?.();
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
    if (lag !== undefined && name !== 'adding' && name !== 'copy') throw new UsageError(`--lag applies to adding and copy, not to ${name}`);
    files = exampleSet(name as ExampleName, lag);
  } else {
    throw new UsageError(`unknown example "${name}"; choose ${EXAMPLE_NAMES.join(', ')} or all`);
  }
  const dir = path.resolve(io.cwd, values.out ?? '.');
  // Never overwrite a file that differs unless asked: it may be the user's own edit.
  const clashes: Problem[] = [];
  for (const f of files) {
    const target = path.join(dir, f.name);
    if (!values.force && existsSync(target) && (await readFile(target, 'utf8')) !== f.contents) {
      clashes.push({ file: target, line: 1, column: 1, message: 'exists and differs from the example; not overwritten', hint: 'use --force to overwrite, or --out DIR', severity: 'error' });
    }
  }
  if (clashes.length > 0) throw new InputError(clashes);
  await mkdir(dir, { recursive: true });
  for (const f of files) {
    await writeFile(path.join(dir, f.name), f.contents);
    io.stdout.write(`wrote ${shown(path.join(dir, f.name), io)}\n`);
  }
  return 0;
}

if (require.main === module) {
  const io: CliIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
  };
  main(process.argv.slice(2), io).then((code) => (process.exitCode = code));
}
