// A tiny extension installed beside Unroll in the harness's VS Code: once the window has started, it runs the
// bundled suites (dist/suite/*.test.js) with mocha and writes what happened to UNROLL_TEST_RESULTS (DESIGN.md §7).
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
}

function write(path: string, report: RunnerReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(report, null, 2));
}

async function runSuites(suiteDir: string, report: RunnerReport): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, color: false, reporter: class {} as unknown as Mocha.ReporterConstructor });
  const files = readdirSync(suiteDir).filter((f) => f.endsWith('.test.js')).sort();
  if (files.length === 0) throw new Error(`no suites in ${suiteDir}`);
  for (const f of files) mocha.addFile(join(suiteDir, f));
  await mocha.loadFilesAsync();
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
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
  const report: RunnerReport = { vscodeVersion: vscode.version, nodeVersion: process.version, passed: 0, failed: 0, lines: [], failures: [], metrics: {} };
  try {
    await runSuites(join(context.extensionPath, 'dist', 'suite'), report);
  } catch (error) {
    report.crash = error instanceof Error ? (error.stack ?? error.message) : String(error);
  }
  report.metrics = metrics();
  write(resultsPath, report);
}
