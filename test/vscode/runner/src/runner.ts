// A tiny extension installed beside Unroll in the harness's VS Code: once the window has started, it runs the
// bundled suites (dist/suite/*.test.js) with mocha and writes what happened to UNROLL_TEST_RESULTS.
import Mocha from 'mocha';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { metrics } from '../../suite/helpers';

export interface RunnerReport {
  vscodeVersion: string;
  nodeVersion: string;
  passed: number;
  failed: number;
  /** One line per test, in order: "✓ title (ms)" or "✗ title". */
  lines: string[];
  failures: { title: string; error: string }[];
  metrics: Record<string, unknown>;
  /** Set when the runner itself could not run the suites. */
  crash?: string;
  /** Errors thrown outside the suites (other extensions' network calls) that mocha would have pinned on a test. */
  ignored: string[];
}

/** This machine has no network: a built-in extension's failed lookup is not a failure of the test running then. */
const NETWORK_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENETUNREACH']);

function isForeignNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  return typeof code === 'string' && NETWORK_CODES.has(code) && !stack.includes('unroll-dev.');
}

type Listener = (...args: any[]) => void;
const PROCESS_ERROR_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

/**
 * Mocha pins every uncaught error in the process on the test running at that moment. Wrap the listeners it added
 * (those not in `before`) so that foreign network errors are noted instead; returns the undo.
 */
function filterMochaListeners(before: Map<string, Listener[]>, report: RunnerReport): () => void {
  const undo: (() => void)[] = [];
  for (const event of PROCESS_ERROR_EVENTS) {
    const mochaOwn = (process.listeners(event as 'uncaughtException') as Listener[]).filter(
      (l) => !before.get(event)!.includes(l),
    );
    for (const l of mochaOwn) process.removeListener(event, l);
    const filter: Listener = (error: unknown, ...rest: unknown[]) => {
      if (isForeignNetworkError(error)) report.ignored.push(String(error));
      else for (const l of mochaOwn) l(error, ...rest);
    };
    process.on(event, filter);
    undo.push(() => process.removeListener(event, filter));
  }
  return () => undo.forEach((u) => u());
}

function write(path: string, report: RunnerReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(report, null, 2));
}

async function runSuites(suiteDir: string, report: RunnerReport): Promise<void> {
  const grep = process.env.UNROLL_TEST_GREP; // run a subset while debugging: a substring of the full titles
  const mocha = new Mocha({
    ui: 'bdd',
    timeout: 90_000,
    color: false,
    grep,
    reporter: class {} as unknown as Mocha.ReporterConstructor,
  });
  const files = readdirSync(suiteDir)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  if (files.length === 0) throw new Error(`no suites in ${suiteDir}`);
  for (const f of files) mocha.addFile(join(suiteDir, f));
  await mocha.loadFilesAsync();
  await new Promise<void>((resolve) => {
    const before = new Map(
      PROCESS_ERROR_EVENTS.map((e) => [e as string, process.listeners(e as 'uncaughtException') as Listener[]]),
    );
    const unfilter = { run: () => {} };
    const runner = mocha.run(() => {
      unfilter.run();
      resolve();
    });
    unfilter.run = filterMochaListeners(before, report);
    runner.on('pass', (test) => {
      report.passed++;
      report.lines.push(`✓ ${test.fullTitle()} (${test.duration ?? 0} ms)`);
    });
    runner.on('fail', (test, error: Error) => {
      report.failed++;
      report.lines.push(`✗ ${test.fullTitle()}`);
      report.failures.push({ title: test.fullTitle(), error: error.stack ?? String(error) });
    });
  });
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const resultsPath = process.env.UNROLL_TEST_RESULTS;
  if (!resultsPath) return; // installed outside the harness: do nothing
  const report: RunnerReport = {
    vscodeVersion: vscode.version,
    nodeVersion: process.version,
    passed: 0,
    failed: 0,
    lines: [],
    failures: [],
    metrics: {},
    ignored: [],
  };
  try {
    await runSuites(join(context.extensionPath, 'dist', 'suite'), report);
  } catch (error) {
    report.crash = error instanceof Error ? (error.stack ?? error.message) : String(error);
  }
  report.metrics = metrics();
  write(resultsPath, report);
}
