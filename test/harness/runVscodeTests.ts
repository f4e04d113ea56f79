// `npm run test:vscode`: package Unroll, install it with the test runner into a real VS Code (code-server), open
// the workbench on a copy of examples/, and turn the suites' results into this process's exit code.
// A run that cannot start VS Code fails; it never skips.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunnerReport } from '../vscode/runner/src/runner';
import { repoRoot, harnessCache } from './install';
import { packageTestRunner, packageUnroll } from './package';
import { startWorkbench, type Workbench } from './workbench';

const RESULTS_TIMEOUT_MS = 15 * 60_000;

async function waitForReport(path: string, workbench: Workbench): Promise<RunnerReport> {
  const deadline = Date.now() + RESULTS_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as RunnerReport;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `no test results after ${RESULTS_TIMEOUT_MS / 60_000} min; code-server said:\n${workbench.serverLog().slice(-4000)}`,
  );
}

async function main(): Promise<number> {
  const started = Date.now();
  const unroll = packageUnroll();
  console.log(`packaged ${unroll.path}: ${(unroll.bytes / 1024).toFixed(1)} KiB, ${unroll.entries.length} files`);
  const runner = await packageTestRunner();
  const resultsPath = join(harnessCache, 'results', `vscode-${process.pid}.json`);
  rmSync(resultsPath, { force: true });
  const workbench = await startWorkbench({
    workspaceFrom: join(repoRoot, 'examples'),
    vsixFiles: [unroll.path, runner],
    // UNROLL_REPO_ROOT: suites that need the repository's own scripts (the trace suite's PyTorch trace writer).
    env: {
      UNROLL_TEST_RESULTS: resultsPath,
      UNROLL_REPO_ROOT: repoRoot,
      ...(process.env.UNROLL_TEST_GREP ? { UNROLL_TEST_GREP: process.env.UNROLL_TEST_GREP } : {}),
    },
  });
  // code-server runs in its own process group: a harness stopped from outside must not leave it behind.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void workbench.stop().finally(() => process.exit(1)));
  let report: RunnerReport;
  const artifacts = join(repoRoot, 'test', 'vscode', 'artifacts');
  try {
    report = await waitForReport(resultsPath, workbench);
  } finally {
    // What the workbench showed at the end, and VS Code's logs: the first things to read when a suite fails.
    await workbench.page.screenshot({ path: join(artifacts, 'workbench-at-end.png') }).catch(() => {});
    workbench.keepLogs(join(artifacts, 'logs'));
    await workbench.stop();
  }
  console.log(`VS Code ${report.vscodeVersion}, extension host Node ${report.nodeVersion}`);
  for (const line of report.lines) console.log('  ' + line);
  for (const f of report.failures) console.log(`\n✗ ${f.title}\n${f.error}`);
  if (report.ignored?.length)
    console.log(
      `\nignored ${report.ignored.length} network error(s) from other extensions: ${[...new Set(report.ignored)].join('; ')}`,
    );
  if (report.crash) console.log(`\nthe runner could not run the suites:\n${report.crash}`);
  console.log('\nmeasurements: ' + JSON.stringify({ vsixBytes: unroll.bytes, ...report.metrics }, null, 2));
  console.log(`test:vscode took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const failed = report.failed + (report.crash ? 1 : 0);
  console.log(`${report.passed} passed, ${failed} failed`);
  return failed === 0 && report.passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
